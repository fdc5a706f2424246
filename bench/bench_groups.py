"""Time the grouping rules on a large product sheet: python bench/bench_groups.py [ROWS] [--xlsx FILE].

By default the sheet is built in memory (the same columns and text cells the loader yields), so
the figure is the rules' own cost, not the xlsx parser's; with --xlsx FILE (e.g. one written by
bench/make_products.py) the file is loaded first and the load is timed separately.
Rules timed: UNQ001 (duplicate internal codes), PRD003 (one item, many codes), PRD004 (customer
part number used as an internal code), and with --all the full check run over the sheet.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dataquality.checks import check_tables
from dataquality.checks.context import CheckContext
from dataquality.checks.registry import get_rule
from dataquality.checks.values import TableValues
from dataquality.config import Config
from dataquality.load import Table, load_file


def synthetic_products(rows: int) -> Table:
    """`rows` products as text cells, with ~0.1% one-item-many-codes pairs and ~0.05% duplicate codes."""
    i = np.arange(rows)
    cats = np.array(["FG", "SF", "RM"])[i % 3]
    code = pd.Series(cats, dtype="str") + pd.Series(i, dtype="int64").astype("str").str.zfill(6)
    name = "产品" + pd.Series(i // 2, dtype="int64").astype("str")
    spec = "规格-" + pd.Series(i, dtype="int64").astype("str")
    # Every 1000th row is the previous row's item again under its own code (一物多码).
    twin = (i % 1000 == 1)
    spec[twin] = spec.shift(1)[twin]
    # Every 2000th row reuses the previous row's code.
    code[i % 2000 == 7] = code.shift(1)[i % 2000 == 7]
    part = pd.Series(pd.NA, index=i, dtype="str")
    part[i % 5000 == 3] = code.shift(100)[i % 5000 == 3]
    data = pd.DataFrame({
        "internal_code": code, "product_name": name, "specification": spec,
        "category": pd.Series(cats, dtype="str"), "unit": pd.Series(np.array(["PCS", "个", "KG", "套"])[i % 4], dtype="str"),
        "customer_part_no": part, "list_price": "12.50", "cost_price": "8", "owner_department": "生产部",
    })
    data.index = pd.RangeIndex(2, rows + 2, name="row")
    return Table("product", Path("synthetic.xlsx"), "产品主数据", 1, data, {c: c for c in data.columns})


def timed(label: str, fn):
    start = time.perf_counter()
    out = fn()
    print(f"{label:<48} {time.perf_counter() - start:6.2f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--xlsx", type=Path, help="time on this workbook instead of an in-memory sheet")
    parser.add_argument("--all", action="store_true", help="also time every rule, issues built (about a minute at 1M rows)")
    args = parser.parse_args()
    config = Config.load()
    if args.xlsx:
        table = timed(f"load {args.xlsx.name}", lambda: load_file(args.xlsx, config)[0])
    else:
        table = timed(f"build {args.rows:,} rows in memory", lambda: synthetic_products(args.rows))
    print(f"rows: {len(table):,}")
    tv = TableValues(table, config.schemas["product"], config)
    ctx = CheckContext(config, [tv])
    rr = config.schemas["product"].record_rules
    unq = timed("UNQ001 duplicate internal_code", lambda: get_rule("UNQ001").check(tv["internal_code"], tv))
    print(f"  -> {int(unq.sum()):,} rows")
    prd3 = timed("PRD003 one item, many codes", lambda: get_rule("PRD003").check(tv, ctx, rr["same_item"]))
    print(f"  -> {len(prd3):,} rows")
    prd4 = timed("PRD004 customer part no used as code", lambda: get_rule("PRD004").check(tv, ctx, rr["customer_part_no_not_code"]))
    print(f"  -> {len(prd4):,} rows")
    if args.all:
        issues = timed("every rule, issues built", lambda: check_tables([table], config))
        print(f"  -> {len(issues):,} issues")


if __name__ == "__main__":
    main()
