#!/usr/bin/env python3
"""The product master of the shared generator (bench/gen_master.py) as Parquet, at any size.

usage:  python bench/parquet_master.py ROWS OUT.parquet [--defect-rate 0.001] [--seed 7]

The generator builds a workbook's rows in Python lists; 10M or 100M rows do not fit in memory that
way, so the master is generated in chunks of at most 1M rows (seed + chunk number), each written
as Parquet row groups. Across chunks the items and codes continue where the previous chunk
stopped, so every item (name, specification, unit) and every code stays distinct, as in one
generated file: the n-th item of a category is `item_of(category, n)` with n counted over the
whole file (past the generator's 4.8 M items of a category, with a round number in the
specification), and a code is its category and n + 1, written with 8 digits (a 10M-row master has
more than a million codes per category). `schema_dir` writes the matching copy of the shipped
schemas (internal codes of 8 digits). All cells are text, as a workbook's cells reach dq.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHUNK = 1_000_000
CODE = re.compile(r"^(FG|SF|RM)(\d{6})$")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_master", HERE / "gen_master.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _text(value) -> str | None:
    if value is None:
        return None
    return repr(value) if isinstance(value, float) else str(value)


def distinct_item(item_of, cat: str, n: int, per_cat: int) -> tuple[str, str, str]:
    """The n-th item of a category, distinct for every n: the generator's items repeat after
    `per_cat` (4.8 M per category, reached past about 14 M rows), so a later round of the same
    combinations gets its round in the specification ("... R2"). Without it, a 100M-row master
    held 28 M distinct items, and every row of it was "one item under several codes"."""
    round_, k = divmod(n, per_cat)
    name, spec, unit = item_of(cat, k)
    return (name, f"{spec} R{round_ + 1}", unit) if round_ else (name, spec, unit)


def write(rows: int, out: Path, defect_rate: float = 0.001, seed: int = 7, items_per_category: int | None = None) -> Path:
    """Write `rows` products to `out` (through a temporary name) and return it. `items_per_category`
    (the generator's 4.8 M unless given) is where the items of a category start a new round."""
    gen = _generator()
    per_cat = items_per_category or gen.ITEMS_PER_CAT
    item_of = gen.item_of
    offsets = {"FG": 0, "SF": 0, "RM": 0}
    seen = dict.fromkeys(offsets, -1)

    def continued_item(cat: str, n: int):
        seen[cat] = max(seen[cat], n)
        return distinct_item(item_of, cat, n + offsets[cat], per_cat)

    gen.item_of = continued_item  # product_rows looks it up at call time

    def recode(value):
        if not isinstance(value, str):
            return value
        m = CODE.match(value)
        return f"{m.group(1)}{int(m.group(2)) + offsets[m.group(1)]:08d}" if m else value

    tmp = out.with_name(out.name + ".partial")
    schema = pa.schema([(h, pa.string()) for h in gen.PRODUCT_HEADERS])
    writer = pq.ParquetWriter(tmp, schema, compression="zstd")
    try:
        done, chunk = 0, 0
        while done < rows:
            n = min(CHUNK, rows - done)
            a = SimpleNamespace(rows=n, seed=seed + chunk, customers=50_000, pathological=False, canonical=False,
                                defect_rate=defect_rate, fixable=0, mutate=0.0)
            seen.update(dict.fromkeys(seen, -1))
            data, _ = gen.product_rows(a)
            columns = list(zip(*data, strict=True))
            arrays = []
            for i, column in enumerate(columns):
                if i in (gen.P_CODE, gen.P_PART):
                    column = [recode(v) for v in column]
                arrays.append(pa.array([_text(v) for v in column], type=pa.string()))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=256_000)
            for cat in offsets:
                offsets[cat] += seen[cat] + 1
            done += n
            chunk += 1
            print(f"  {done:,} rows", file=sys.stderr, flush=True)
    finally:
        writer.close()
    tmp.replace(out)
    return out


def schema_dir(folder: Path) -> Path:
    """A copy of the shipped schemas with internal codes of 8 digits (FG00000123); returns the folder."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(ROOT / "schemas", folder)
    product = folder / "product.yaml"
    text = product.read_text(encoding="utf-8")
    text = text.replace(r"pattern: '^(FG|SF|RM)\d{6}$'", r"pattern: '^(FG|SF|RM)\d{8}$'")
    text = text.replace("followed by 6 digits, e.g. FG000123", "followed by 8 digits, e.g. FG00000123")
    text = text.replace("加 6 位数字，例如 FG000123", "加 8 位数字，例如 FG00000123")
    assert r"\d{8}" in text, "the product schema's code pattern moved: update bench/parquet_master.py"
    product.write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rows", type=int)
    p.add_argument("out", type=Path)
    p.add_argument("--defect-rate", type=float, default=0.001)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    write(a.rows, a.out, a.defect_rate, a.seed)


if __name__ == "__main__":
    main()
