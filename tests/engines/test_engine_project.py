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


def _parquet_master(path: Path, rows: int) -> Path:
    import pandas as pd

    from dataquality.track.workspace import configuration

    labels = {name: spec.label("zh") for name, spec in configuration(None, None, None).schemas["product"].fields.items()}
    frame = pd.DataFrame([{labels.get(k, k): (None if v is None else str(v)) for k, v in product(i).items()} for i in range(1, rows + 1)])
    frame.to_parquet(path)
    return path


def test_a_database_out_of_memory_is_one_line_naming_the_setting_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    """Issue 27: a memory limit too low for what DuckDB cannot spill is exit 2 and one line naming
    the limit and how to raise it, in either language; the spill folder is left empty."""
    from dq_cli import spawn_dq

    data = _parquet_master(tmp_path / "products.parquet", 20_000)
    spill = tmp_path / "spill"
    for lang in ("en", "zh"):
        done = spawn_dq("validate", "--engine", "duckdb", "--entity", "product", str(data), "-q",
                        env={"DQ_DUCKDB_MEMORY_LIMIT": "1MB", "DQ_DUCKDB_TEMP_DIR": str(spill), "DQ_LANG": lang})
        lines = [x for x in done.stderr.splitlines() if x.strip()]
        assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert "1MB" in lines[0] and "DQ_DUCKDB_MEMORY_LIMIT" in lines[0]
    assert not spill.exists() or not any(spill.iterdir())
    ok = spawn_dq("validate", "--engine", "duckdb", "--entity", "product", str(data), "-q",
                  env={"DQ_DUCKDB_TEMP_DIR": str(spill), "DQ_LANG": "en"})
    assert ok.returncode in (0, 1), ok.stderr
    assert not spill.exists() or not any(spill.iterdir())  # what DuckDB spilled went with its connection


def test_a_full_spill_disk_is_said_as_such() -> None:
    """DuckDB's and PostgreSQL's disk-full errors name the spill folder and how to move it."""
    from dataquality.engines.sources import out_of_room
    from dataquality.track.workspace import configuration

    config = configuration(None, None, None)
    full = out_of_room(duckdb.IOException('IO Error: Could not write file "x.tmp": No space left on device'), config)
    assert full is not None and full.key == "engine.disk_full" and "DQ_DUCKDB_TEMP_DIR" in full.message("en")
    assert "磁盘空间不足" in full.message("zh")
    assert out_of_room(duckdb.CatalogException("Table x does not exist"), config) is None  # a bug stays a bug


def test_a_library_run_on_duckdb_exits_without_a_traceback(tmp_path: Path) -> None:
    """The engine's derived tables are released before its connection closes: a script calling
    pipeline.run(engine="duckdb") ends quietly (Ibis would otherwise drop them at exit, on a
    closed connection, and print a traceback)."""
    import subprocess
    import sys

    from dq_cli import ROOT

    data = _parquet_master(tmp_path / "products.parquet", 500)
    script = ("import sys\nfrom pathlib import Path\nfrom dataquality import pipeline\n"
              "from dataquality.track.workspace import configuration\n"
              "r = pipeline.run(configuration(None, None, None), [Path(sys.argv[1])], 'en', engine='duckdb', source_entity='product')\n"
              "print(len(r.issues))\n")
    done = subprocess.run([sys.executable, "-c", script, str(data)], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip().isdigit(), done.stderr
    assert "Traceback" not in done.stderr, done.stderr
