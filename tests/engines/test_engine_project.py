"""Issue 15: dq.yaml entities that live in a database, `product: {url: ..., table: ...}`, checked by dq check."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from builders import product
from click.testing import CliRunner

from dataquality.cli import main
from dataquality.demo import write_demo
from dataquality.errors import ConfigError
from dataquality.track.project import Project
from dataquality.track.scaffold import init_project


def _product_db(path: Path, bad_unit_row: int) -> None:
    recs = [product(i) for i in range(1, 31)]
    recs[bad_unit_row]["unit"] = "盒子"
    cols = list(recs[0])
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE IF EXISTS product_master")
        con.execute(f"CREATE TABLE product_master ({', '.join(f'{c} VARCHAR' for c in cols)})")
        con.executemany(f"INSERT INTO product_master VALUES ({', '.join('?' for _ in cols)})",
                        [[None if r[c] is None else str(r[c]) for c in cols] for r in recs])


def test_dq_check_reads_a_database_entity_where_it_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "proj"
    init_project(folder, lang="en")
    write_demo(folder / "data")
    db = tmp_path / "erp.duckdb"
    _product_db(db, bad_unit_row=4)
    monkeypatch.setenv("ERP_DB", str(db))
    config = folder / "dq.yaml"
    text = config.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("product:")]
    body = "\n".join(lines).replace("entities:", "entities:\n  product: {url: 'duckdb:///${ERP_DB}', table: main.product_master}", 1)
    config.write_text(body + "\n", encoding="utf-8")
    project = Project.load(folder)
    assert project.sources == {"product": f"duckdb:///{db}#main.product_master"}
    runner = CliRunner()
    first = runner.invoke(main, ["check", "--config", str(config), "--format", "json", "-q"])
    assert first.exit_code == 1, first.output
    listed = runner.invoke(main, ["issues", "list", "-c", str(folder), "--json"])
    issues = json.loads(listed.stdout)["issues"] if listed.stdout.strip().startswith("{") else json.loads(listed.stdout)
    products = [i for i in issues if i["entity"] == "product"]
    assert [(i["rule"], i["field"], i["key"]) for i in products] == [("ENM001", "unit", product(5)["internal_code"])]
    assert any(i["entity"] == "customer" for i in issues)
    # Fixed in the database: the next night resolves the issue.
    _product_db(db, bad_unit_row=0)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE product_master SET unit = '个'")
    runner.invoke(main, ["check", "--config", str(config), "--format", "json", "-q"])
    listed = runner.invoke(main, ["issues", "list", "-c", str(folder), "--json"])
    issues = json.loads(listed.stdout)["issues"] if listed.stdout.strip().startswith("{") else json.loads(listed.stdout)
    assert not [i for i in issues if i["entity"] == "product"]


@pytest.mark.parametrize(("raw", "key"), [
    ("{url: 'duckdb:///x.duckdb'}", "entities.product.table"),
    ("{url: 'duckdb:///x.duckdb', table: t, user: me}", "entities.product.user"),
    ("{url: 'postgresql+psycopg://dq:${DQ_NOT_SET_15}@erp/erp', table: t}", "entities.product.url"),
])
def test_bad_database_entities_are_named(tmp_path: Path, raw: str, key: str) -> None:
    path = tmp_path / "dq.yaml"
    path.write_text(f"entities:\n  product: {raw}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Project.load(tmp_path)
    assert key in err.value.message("en")


def test_dq_yaml_sets_duckdbs_memory_limit_and_spill_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 27: DuckDB runs within a memory limit dq sets (dq.yaml `engine:`), spilling to a folder."""
    from dataquality.engines.sources import MEMORY_LIMIT, connect, duckdb_settings

    monkeypatch.delenv("DQ_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("DQ_DUCKDB_TEMP_DIR", raising=False)
    folder = tmp_path / "proj"
    init_project(folder, lang="en")
    config = folder / "dq.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "engine:\n  memory_limit: 512MB\n  temp_directory: spill\n", encoding="utf-8")
    settings = Project.load(config).config().engine_settings
    assert settings["memory_limit"] == "512MB" and Path(settings["temp_directory"]) == folder / "spill"
    con = connect("duckdb", settings)
    limit, spill = con.raw_sql("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    assert limit.replace(" ", "") in ("512.0MiB", "488.2MiB", "512MB", "488.2MB") and Path(spill) == folder / "spill"
    assert duckdb_settings({})["memory_limit"] == MEMORY_LIMIT  # without dq.yaml: dq's own limit, not DuckDB's 80 % of RAM
    monkeypatch.setenv("DQ_DUCKDB_MEMORY_LIMIT", "1GB")
    assert duckdb_settings(settings)["memory_limit"] == "1GB"
    config.write_text(config.read_text(encoding="utf-8").replace("512MB", "lots"), encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        Project.load(config)
    assert "engine.memory_limit" in str(bad.value)
