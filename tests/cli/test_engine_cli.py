"""Issue 15 on the command line: --engine duckdb, --source, dq rules' engines column, dq export."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from builders import PRODUCT_HEADERS_ZH, product, sheet_rows
from click.testing import CliRunner

from dataquality.cli import main
from dataquality.demo import write_demo


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _issues(out: str) -> list[tuple]:
    data = json.loads(out)
    return sorted((i["rule"], i["field"], i["row"], i["key"], i["severity"], i["value"]) for i in data["issues"])


def test_validate_with_duckdb_gives_the_pandas_json(runner: CliRunner, tmp_path: Path) -> None:
    files = [str(p) for p in write_demo(tmp_path)]
    pandas_run = runner.invoke(main, ["validate", *files, "--format", "json", "-q"])
    duck_run = runner.invoke(main, ["validate", *files, "--format", "json", "-q", "--engine", "duckdb"])
    assert pandas_run.exit_code == duck_run.exit_code == 1
    assert _issues(duck_run.stdout) == _issues(pandas_run.stdout)


def test_validate_a_parquet_file_and_a_duckdb_table(runner: CliRunner, tmp_path: Path) -> None:
    import duckdb

    recs = [product(i) for i in range(1, 21)]
    recs[3]["unit"] = "盒子"
    recs[5]["internal_code"] = recs[8]["internal_code"]  # same category (i = 6 and 9)
    frame = pd.DataFrame([{k: (None if v is None else str(v)) for k, v in r.items()} for r in recs])
    frame.to_parquet(tmp_path / "products.parquet")
    run = runner.invoke(main, ["validate", str(tmp_path / "products.parquet"), "--engine", "duckdb", "-f", "json", "-q"])
    assert run.exit_code == 1, run.output
    found = {(i[0], i[1]) for i in _issues(run.stdout)}
    assert found == {("ENM001", "unit"), ("UNQ001", "internal_code")}
    db = tmp_path / "master.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE product_master AS SELECT * FROM read_parquet('{tmp_path / 'products.parquet'}')")
    run = runner.invoke(main, ["validate", "--source", f"duckdb:///{db}#main.product_master", "-f", "json", "-q"])
    assert run.exit_code == 1, run.output
    assert {(i[0], i[1]) for i in _issues(run.stdout)} == found
    assert {i[3] for i in _issues(run.stdout) if i[0] == "ENM001"} == {recs[3]["internal_code"]}


@pytest.mark.parametrize("args, words", [
    (["--source", "postgresql+psycopg://nobody@127.0.0.1:1/none"], "URL#schema.table"),
    (["--source", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none#public.t"], "cannot be read"),
    (["--source", "duckdb:///x.duckdb#t", "--entity", "supplierx"], "unknown entity"),
    ([], "at least one file"),
])
def test_bad_sources_say_what_to_do_in_one_line(runner: CliRunner, args: list[str], words: str) -> None:
    run = runner.invoke(main, ["validate", *args, "--lang", "en"])
    assert run.exit_code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "secret" not in lines[0]


def test_a_table_without_known_columns(runner: CliRunner, tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS a, 'x' AS b")
    run = runner.invoke(main, ["validate", "--source", f"duckdb:///{db}#t", "--lang", "zh"])
    assert run.exit_code == 2 and "没有任何列" in run.stderr


def test_rules_lists_the_engines_of_each_rule(runner: CliRunner) -> None:
    run = runner.invoke(main, ["rules", "--lang", "en"])
    assert run.exit_code == 0 and "Engines" in run.stdout
    one = runner.invoke(main, ["rules", "PRD003", "--lang", "en"])
    assert "Engines: pandas, SQL (compiled)" in one.stdout
    idn = runner.invoke(main, ["rules", "IDN003", "--lang", "zh"])
    assert "引擎: pandas、SQL（去重值在 Python 中）" in idn.stdout
    fil = runner.invoke(main, ["rules", "FIL003", "--lang", "en"])
    assert "Engines: loader (files)" in fil.stdout


def test_export_cleaned_writes_parquet_with_the_rows(runner: CliRunner, write_xlsx, tmp_path: Path) -> None:
    recs = [product(i) for i in range(1, 6)]
    recs[1]["unit"] = "个"
    recs[2]["list_price"] = "1,000.00"
    path = write_xlsx("p.xlsx", {"产品": sheet_rows(recs, PRODUCT_HEADERS_ZH)})
    out = tmp_path / "out" / "cleaned.parquet"
    run = runner.invoke(main, ["export", "cleaned", str(path), "-o", str(out)])
    assert run.exit_code == 0, run.output
    frame = pd.read_parquet(out)
    assert list(frame["row"]) == [2, 3, 4, 5, 6]
    assert frame.loc[1, "unit"] == "PCS" and frame.loc[2, "list_price"] == 1000.0
    assert [p.name for p in out.parent.iterdir()] == ["cleaned.parquet"]  # no temporary file left


def test_export_to_an_unwritable_place_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = runner.invoke(main, ["export", "gx", "-o", str(blocker / "suite.json"), "--entity", "product"])
    assert run.exit_code == 2 and len(run.stderr.strip().splitlines()) == 1 and "cannot be written" in run.stderr


def test_export_frictionless_is_a_valid_table_schema(runner: CliRunner, tmp_path: Path) -> None:
    from frictionless import Schema

    out = tmp_path / "schema.json"
    run = runner.invoke(main, ["export", "frictionless", "-o", str(out), "--entity", "customer"])
    assert run.exit_code == 0, run.output
    schema = Schema.from_descriptor(json.loads(out.read_text(encoding="utf-8")))
    code = schema.get_field("customer_code")
    assert code.constraints == {"required": True, "pattern": "C\\d{6}", "unique": True}
    assert schema.get_field("grade").constraints["enum"] == ["A", "B", "C", "D"]
    assert schema.get_field("credit_limit").constraints == {"minimum": 0}
    assert "not exported: CUS001" in run.stderr


def test_duckdb_memory_limit_and_spill_folder_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from dataquality.engines.sources import connect

    monkeypatch.setenv("DQ_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("DQ_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    con = connect("duckdb")
    limit, folder = con.raw_sql("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    assert limit.startswith("286") and folder == str(tmp_path / "spill")


def test_header_only_sheet_and_csv_on_duckdb(runner: CliRunner, write_xlsx, tmp_path: Path) -> None:
    empty = write_xlsx("empty.xlsx", {"产品": [list(PRODUCT_HEADERS_ZH.values())]})
    run = runner.invoke(main, ["validate", str(empty), "--engine", "duckdb", "-f", "json", "-q", "--lang", "en"])
    pandas_empty = runner.invoke(main, ["validate", str(empty), "-f", "json", "-q", "--lang", "en"])
    # The loader's answer, as with pandas: read, no records, one FIL009 warning.
    assert run.exit_code == pandas_empty.exit_code == 0, run.output
    assert [i["rule"] for i in json.loads(run.stdout)["issues"]] == ["FIL009"]
    recs = [product(i) for i in range(1, 6)]
    recs[1]["unit"] = "盒子"
    csv = tmp_path / "products.csv"
    pd.DataFrame([{PRODUCT_HEADERS_ZH[k]: v for k, v in r.items()} for r in recs]).to_csv(csv, index=False, encoding="utf-8")
    pandas_run = runner.invoke(main, ["validate", str(csv), "-f", "json", "-q"])
    duck_run = runner.invoke(main, ["validate", str(csv), "--engine", "duckdb", "-f", "json", "-q"])
    assert duck_run.exit_code == pandas_run.exit_code == 1
    assert _issues(duck_run.stdout) == _issues(pandas_run.stdout)
    assert ("ENM001", "unit", 3) in {(i[0], i[1], i[2]) for i in _issues(duck_run.stdout)}
