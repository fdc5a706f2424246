"""pandera runs dq's exported DataFrameSchema on dq's cleaned values and fails the same rows."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pytest
import yaml
from engine_data import planted_tables, weird_pool

from dataquality.config import Config
from dataquality.export import cleaned_frame, pandera_schema
from dataquality.pipeline import validate

pa = pytest.importorskip("pandera.pandas")

# pandera's name for each exported check -> dq's rule
_RULE = {"not_nullable": "REQ001", "str_matches": "FMT001", "isin": "ENM001", "field_uniqueness": "UNQ001",
         "greater_than_or_equal_to": "RNG001", "greater_than": "RNG001", "less_than_or_equal_to": "RNG002",
         "less_than": "RNG002"}


def _pandera_failures(frame: pd.DataFrame, schema) -> dict[tuple[str, str], set[int]]:
    try:
        schema.validate(frame, lazy=True)
        return {}
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    out: dict[tuple[str, str], set[int]] = defaultdict(set)
    enums = {n for s in Config.load().schemas.values() for n, f in s.fields.items() if f.type == "enum"}
    for case in cases.itertuples():
        check = str(case.check).split("(")[0]
        rule = _RULE[check]
        if rule == "FMT001" and str(case.column) in enums:
            rule = "ENM001"  # an enum with value patterns (NET{1}) is exported as a pattern
        out[(rule, str(case.column))].add(int(frame.loc[case.index, "row"]))
    return out


@pytest.mark.parametrize("entity", ["customer", "product"])
def test_pandera_fails_the_rows_dq_fails(config, entity: str) -> None:
    tables = [t for t in planted_tables(21, weird_pool(60, seed=39), customers=1_500, products=2_500) if t.entity == entity]
    data, skipped = pandera_schema(config, entity)
    schema = pa.DataFrameSchema.from_yaml(yaml.safe_dump(data, allow_unicode=True))  # what `dq export pandera` writes, read back
    assert {"IDN001", "IDN002"} & set(skipped) and "REQ001" not in skipped
    frame = cleaned_frame(tables, config)
    found = _pandera_failures(frame, schema)
    dq: dict[tuple[str, str], set[int]] = defaultdict(set)
    for issue in validate(tables, config):
        rule = {"FMT005": "FMT001", "REF001": "ENM001"}.get(issue.rule, issue.rule)
        dq[(rule, issue.field or "")].add(issue.row)
    assert sum(len(rows) for rows in found.values()) > 50, "the planted problems are found"
    # A cell showing an Excel error (#N/A) is TYP004's finding alone in dq; the exported check fails it too.
    errors = defaultdict(set)
    for (rule, name), rows in dq.items():
        if rule == "TYP004":
            errors[name] |= rows
    for key, rows in found.items():
        assert rows - (errors[key[1]] if key[0] not in ("REQ001", "TYP004") else set()) == dq.get(key, set()), key


def test_dq_export_pandera_then_pandera_checks_the_cleaned_parquet(tmp_path, write_xlsx) -> None:
    """The user's path: dq export pandera -o schema.yaml; dq export cleaned FILE -o cleaned.parquet;
    pandera loads the schema and fails exactly the rows dq reports for the exported rules."""
    from dq_cli import run_dq

    book = write_xlsx("products.xlsx", {"产品": [["内部编码", "品名", "规格型号", "单位", "成本价", "标准售价", "状态"],
        ["FG000001", "螺栓", "M8", "PCS", 1.5, 2.0, "active"],
        ["FG000001", "螺母", "M8", "BOX", 0.5, 1.0, "active"],      # UNQ001 twice
        ["XX12", "垫圈", "M8", "PCS", -1, 1.0, "active"],            # FMT001, RNG001
        ["FG000004", "弹簧", "M8", "盒子", 1.0, 2.0, "active"],      # ENM001
    ]})
    assert run_dq("export", "pandera", "--entity", "product", "-o", tmp_path / "schema.yaml").returncode == 0
    assert run_dq("export", "pandera", "--entity", "product", "-o", tmp_path / "schema.json").returncode == 0
    done = run_dq("export", "cleaned", book, "-o", tmp_path / "cleaned.parquet")
    assert done.returncode == 0, done.stderr
    frame = pd.read_parquet(tmp_path / "cleaned.parquet")
    for schema in (pa.DataFrameSchema.from_yaml(tmp_path / "schema.yaml"), pa.DataFrameSchema.from_json(tmp_path / "schema.json")):
        found = _pandera_failures(frame, schema)
        assert {k: rows for k, rows in found.items()} == {
            ("UNQ001", "internal_code"): {2, 3}, ("FMT001", "internal_code"): {4}, ("RNG001", "cost_price"): {4},
            ("ENM001", "unit"): {5}}
