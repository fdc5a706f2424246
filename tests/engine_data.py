"""Planted master tables for the engine parity tests: valid builder records with problems planted
at random cells, including hypothesis-generated strings (full-width, invisible, regex
metacharacters, control characters), and the duplicates and groups the record rules look for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from builders import customer, product
from hypothesis import strategies as st

from dataquality.load.table import TEXT, Table

# Characters chosen to hit every branch of the cleaning: control characters (no NUL: PostgreSQL
# text cannot hold it), ASCII whitespace and separators, full-width forms, invisible and
# non-ASCII spaces, regex metacharacters, accented and special-case letters, other digits, CJK.
ALPHABET = (
    "".join(chr(c) for c in range(1, 0x20)) + "\x7f\x85\xa0\u1680\u2000\u2009\u200a\u2028\u3000"
    + "\u200b\u200c\u200d\u2060\ufeff"
    + "ＡＢＣａｂｃ０１２３９，．－（）＠￥"
    + ".*+?^$()[]{}|\\-,:;/@#%&_'\""
    + "éÉßİıǅﬁ٣۴①Ⅻ㎏"
    + "ABCDEFGHIJKLMNOPRSTUVWXYZabcdefgxyz0123456789 "
    + "螺栓规格成品半件个套公斤上海有限公司销售部生产部"
)
weird_text = st.text(alphabet=ALPHABET, min_size=0, max_size=12)


def weird_pool(n: int, seed: int) -> list[str]:
    """`n` strings over ALPHABET (0 to 12 characters), the same ones for a seed: the planted tables'
    odd values, drawn without hypothesis' `.example()` (meant for interactive use only)."""
    import random

    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(n)]

_FULL = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def _variants(value: str, rng: np.random.Generator) -> str:
    """A valid value made untidy the ways people do it."""
    kind = rng.integers(0, 8)
    if kind == 0:
        return f"  {value} "
    if kind == 1:
        return value.lower()
    if kind == 2:
        return "".join(_FULL.get(ch, ch) for ch in value)
    if kind == 3:
        return f"\u200b{value}\ufeff"
    if kind == 4:
        return value.replace("0", "\u3000", 1)
    if kind == 5:
        return f"{value[:3]}  {value[3:]}"
    if kind == 6:
        return "#N/A"
    return f"{value}\n"


def _text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    cols = list(records[0])
    data = pd.DataFrame({c: pd.Series([_text(r.get(c)) for r in records], dtype=object) for c in cols})
    return data


def _plant(data: pd.DataFrame, pool: list[str], rng: np.random.Generator, share: float) -> None:
    """Replace about `share` of the cells by weird strings, untidy variants or empties."""
    n = len(data)
    for col in data.columns:
        hit = np.flatnonzero(rng.random(n) < share)
        if not len(hit):
            continue
        choice = rng.integers(0, 3, len(hit))
        values = data[col].to_numpy(dtype=object).copy()
        for i, c in zip(hit, choice, strict=True):
            if c == 0:
                values[i] = pool[rng.integers(0, len(pool))] if pool else None
            elif c == 1 and values[i] is not None:
                values[i] = _variants(str(values[i]), rng)
            else:
                values[i] = None
        data[col] = values


def _copy_cells(data: pd.DataFrame, cols: list[str], rng: np.random.Generator, count: int) -> None:
    """Give `count` rows the values of other rows in `cols` (duplicates and groups)."""
    src = rng.integers(0, len(data), count)
    dst = rng.integers(0, len(data), count)
    for c in cols:
        values = data[c].to_numpy(dtype=object).copy()
        values[dst] = values[src]
        data[c] = values


def _spread(data: pd.DataFrame, col: str, values: list[str], rng: np.random.Generator, count: int) -> None:
    """Put `values` into `count` random cells of `col`."""
    cells = data[col].to_numpy(dtype=object).copy()
    cells[rng.integers(0, len(data), count)] = np.array(values, dtype=object)[rng.integers(0, len(values), count)]
    data[col] = cells


def _table(entity: str, data: pd.DataFrame, name: str) -> Table:
    data = data.copy()
    data.index = pd.RangeIndex(3, len(data) + 3, name="row")
    for c in data.columns:
        data[c] = data[c].astype(TEXT)
    letters = {c: chr(ord("A") + i) for i, c in enumerate(data.columns)}
    return Table(entity, Path(name), entity, 2, data, letters, {c: c for c in data.columns})


def _suppliers(cus: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A supplier master made of customers' companies: names, tax numbers, contacts, under S codes."""
    take = cus.iloc[:n]
    sup = pd.DataFrame({
        "supplier_code": [f"S{200000 + i:06d}" for i in range(1, len(take) + 1)],
        "supplier_name": take["customer_name"].to_numpy(dtype=object),
        "uscc": take["uscc"].to_numpy(dtype=object),
        "phone": take["phone"].to_numpy(dtype=object),
        "email": take["email"].to_numpy(dtype=object),
        "bank_account": take["bank_account"].to_numpy(dtype=object),
        "status": take["status"].to_numpy(dtype=object),
        "department": np.array(["采购部", "生产部"], dtype=object)[rng.integers(0, 2, len(take))],
        "created_on": take["created_on"].to_numpy(dtype=object),
    })
    # The same company under two codes, once with its legal form written another way (SUP001, SUP002).
    names = sup["supplier_name"].to_numpy(dtype=object).copy()
    hit = rng.integers(0, len(sup), max(1, n // 50))
    names[hit] = [str(v).replace("有限公司", "有限责任公司") if isinstance(v, str) else v for v in names[rng.integers(0, len(sup), len(hit))]]
    sup["supplier_name"] = names
    _copy_cells(sup, ["uscc"], rng, max(1, n // 50))
    return sup


def planted_tables(seed: int, pool: list[str], customers: int = 2_000, products: int = 18_000, share: float = 0.02,
                   suppliers: int = 1_000) -> list[Table]:
    """A customer, a product and a supplier master with problems planted everywhere (about 21k rows by default)."""
    rng = np.random.default_rng(seed)
    cus = _frame([customer(i) for i in range(1, customers + 1)])
    cus["grade"] = np.array(["A", "B", "C", "D", "b", "Ｃ"], dtype=object)[rng.integers(0, 6, len(cus))]
    cus["credit_limit"] = np.array(["500000", "6,000,000", "200000", "0", "(500)", "五十万", "1e6"], dtype=object)[rng.integers(0, 7, len(cus))]
    _spread(cus, "phone", ["+86 138 1234 5678", "021 1234 5678", "(021)12345678", "138-1234-5678"], rng, customers // 50)
    _spread(cus, "bank_account", ["6,222,021,234", "6222021234.00", "6,222,021,23"], rng, customers // 50)
    # Wrong values that are not Excel errors (an Excel error cell is TYP004's finding alone).
    _spread(cus, "department", ["不存在的部门", "Unknown"], rng, customers // 100 + 1)
    _spread(cus, "created_on", ["2024-13-45", "last spring"], rng, customers // 100 + 1)
    _copy_cells(cus, ["customer_name"], rng, customers // 50)
    _copy_cells(cus, ["uscc"], rng, customers // 50)
    _copy_cells(cus, ["customer_code"], rng, customers // 100)
    _plant(cus, pool, rng, share)
    prd = _frame([product(i) for i in range(1, products + 1)])
    prd["list_price"] = np.array(["12.5", "8", "0", "-1", "1,000.00", "¥20", "abc", "7.0"], dtype=object)[rng.integers(0, 8, len(prd))]
    prd["cost_price"] = np.array(["8", "12.5", "0", "-3", "９", None], dtype=object)[rng.integers(0, 6, len(prd))]
    prd["unit"] = np.array(["个", "PCS", "pcs", "套", "箱", "盒子", " KG"], dtype=object)[rng.integers(0, 7, len(prd))]
    part = prd["customer_part_no"].to_numpy(dtype=object).copy()
    hit = rng.integers(0, len(prd), products // 100)
    part[hit] = prd["internal_code"].to_numpy(dtype=object)[rng.integers(0, len(prd), len(hit))]
    prd["customer_part_no"] = part
    ccode = prd["customer_code"].to_numpy(dtype=object).copy()
    hit = rng.integers(0, len(prd), products // 100)
    ccode[hit] = np.array([f"C{100000 + i:06d}" for i in rng.integers(1, customers * 2, len(hit))], dtype=object)
    prd["customer_code"] = ccode
    _copy_cells(prd, ["product_name", "specification"], rng, products // 100)
    _copy_cells(prd, ["internal_code"], rng, products // 200)
    _plant(prd, pool, rng, share)
    tables = [_table("customer", cus, "customers.xlsx"), _table("product", prd, "products.xlsx")]
    if suppliers:
        sup = _suppliers(cus, min(suppliers, customers), rng)
        _plant(sup, pool, rng, share)
        tables.append(_table("supplier", sup, "suppliers.xlsx"))
    return tables


FIELDS = ("rule", "field", "row", "key", "severity", "value", "fixed_value", "related_rows", "department", "params")


def issue_keys(issues: list[Any], fields: tuple[str, ...] = FIELDS) -> list[str]:
    """Issues as comparable, sorted strings of the named attributes."""
    return sorted(repr(tuple(getattr(i, f) for f in fields)) for i in issues)
