"""Issue 27: what the engine keeps between its queries, and how, so that 100M rows fit one machine.

- the derived table is kept in a compressed DuckDB file in the spill folder, removed after the run
  (and by the next run when a killed dq left it);
- the per-cell verdicts travel as bit masks, however many there are;
- a group rule groups on a hash of its keys on DuckDB and stays exact when hashes collide;
- a Parquet file's rows are numbered in the file's order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ibis
import pandas as pd
import pytest

from dataquality.checks import sql
from dataquality.engines import kept
from dataquality.engines.runner import FLAG_BITS, ROW, _flag_masks, _flag_rows


def _spill_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_kept_table_lives_in_a_file_of_the_spill_folder_and_goes_with_its_release(tmp_path: Path) -> None:
    con = ibis.duckdb.connect(temp_directory=str(tmp_path))
    source = con.create_table("source", ibis.memtable({ROW: list(range(1000)), "v": [str(i % 7) for i in range(1000)]}))
    first, second = kept.keep(source.mutate(w=source.v + "x")), kept.keep(source)
    files = _spill_files(tmp_path)
    assert any(f.startswith(f"dq-kept-{os.getpid()}-") and f.endswith(".duckdb") for f in files), files
    assert first.count().execute() == 1000 and set(first.w.execute()) == {f"{i}x" for i in range(7)}
    kept.release(first)
    assert second.count().execute() == 1000  # the other table stays readable
    kept.release(second)
    assert _spill_files(tmp_path) == []  # the file went with the last table
    con.disconnect()


def test_a_file_a_killed_run_left_is_removed_by_the_next(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"dq-kept-{int(dead.stdout)}-0.duckdb"
    stale.write_bytes(b"left by a killed run")
    (tmp_path / f"{stale.name}.wal").write_bytes(b"")
    other = tmp_path / "someone-elses.duckdb"
    other.write_bytes(b"not dq's")
    con = ibis.duckdb.connect(temp_directory=str(tmp_path))
    t = kept.keep(con.create_table("source", ibis.memtable({"a": [1, 2, 3]})))
    assert not stale.exists() and other.exists()
    kept.release(t)
    assert _spill_files(tmp_path) == ["someone-elses.duckdb"]
    con.disconnect()


@pytest.mark.parametrize("flags", [1, FLAG_BITS - 1, FLAG_BITS, FLAG_BITS + 1, 3 * FLAG_BITS + 5])
def test_per_cell_verdicts_travel_as_bit_masks_however_many(flags: int) -> None:
    """Each verdict column's true rows come back under its rule and field, across mask boundaries."""
    rows = 40
    data = {ROW: list(range(1, rows + 1))}
    names = {}
    for k in range(flags):
        col = f"f{k}__fail_X{k:03d}"
        data[col] = [(r * (k + 3)) % 11 == 0 for r in range(rows)]
        names[col] = (f"X{k:03d}", f"f{k}")
    t = ibis.memtable(pd.DataFrame(data))
    masked = t.select(ROW, **_flag_masks(t, list(names)))
    got = _flag_rows(masked, names)
    expected = {(r + 1, code, field) for col, (code, field) in names.items() for r in range(rows) if data[col][r]}
    assert set(zip(got["row"], got["code"], got["field"], strict=True)) == expected
    assert len(got) == len(expected)


def test_groups_on_hashed_keys_are_exact_when_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    """On DuckDB the groups are found on a 64-bit hash of the keys; when two keys share a hash (forced
    here by hashing every key to the same value), the exact GROUP BY still keeps groups apart."""
    frame = pd.DataFrame({
        ROW: [1, 2, 3, 4, 5, 6],
        "name": ["bolt", "bolt", "nut", "nut", "washer", None],
        "code": ["A1", "A2", "B1", "B1", "C1", "C2"],
    })
    con = ibis.duckdb.connect()
    t = con.create_table("t", frame)
    exact = sorted(sql.group_conflicts(t, [t.name], t.code).execute()[ROW])
    assert exact == [1, 2]
    monkeypatch.setattr(ibis.expr.types.StructValue, "hash", lambda self: ibis.literal(7, "int64"))
    collided = sorted(sql.group_conflicts(t, [t.name], t.code).execute()[ROW])
    assert collided == exact


def test_a_parquet_files_rows_are_numbered_in_the_files_order(tmp_path: Path) -> None:
    """The row an issue names is the row's place in the file (1 = the first), whatever the codes' order."""
    from builders import product
    from dq_cli import spawn_dq

    recs = [product(i) for i in range(1, 8)]
    recs.reverse()  # codes in descending order: a numbering by code would differ
    recs[2]["unit"] = "盒子"
    frame = pd.DataFrame([{k: (None if v is None else str(v)) for k, v in r.items()} for r in recs])
    frame.to_parquet(tmp_path / "products.parquet")
    done = spawn_dq("validate", str(tmp_path / "products.parquet"), "--engine", "duckdb", "-f", "json", "-q",
                    env={"DQ_DUCKDB_TEMP_DIR": str(tmp_path / "spill")})
    assert done.returncode == 1, done.stderr
    issues = json.loads(done.stdout)["issues"]
    unit = [i for i in issues if i["rule"] == "ENM001" and i["field"] == "unit"]
    assert [(i["row"], i["key"]) for i in unit] == [(3, recs[2]["internal_code"])]
    assert _spill_files(tmp_path / "spill") == []


def test_a_columns_own_convention_is_one_finding_on_duckdb_as_on_pandas(config) -> None:
    """A company's codes in its own format (P-12345, k00001), a few off it, and a specification
    column mostly written with a trailing space: one CNV001 per column and the off-format codes, the
    same on DuckDB. The specification's clean text is not kept by the engine (only whether it is
    filled, as a bit): it is read back from the source because its convention qualified."""
    from builders import product
    from engine_data import _frame, _table, issue_keys

    from dataquality.engines.runner import check_sources
    from dataquality.engines.sources import loaded_source
    from dataquality.pipeline import validate

    records = [product(i) for i in range(1, 401)]
    for i, r in enumerate(records):
        r["internal_code"] = f"P-{10000 + i}" if i % 97 else f"X{i}"
        r["customer_part_no"] = f"k{i:05d}" if i % 89 else f"ZZ{i}"
        if i % 5:
            r["specification"] = f"{r['specification']} "
    tables = [_table("product", _frame(records), "products.xlsx")]
    reference = validate(tables, config)
    found = sorted((i.rule, i.field) for i in reference)
    assert found == [("CNV001", "customer_part_no"), ("CNV001", "internal_code"), ("CNV001", "specification"),
                     *[("CNV002", "customer_part_no")] * 5, *[("CNV002", "internal_code")] * 5]
    con = ibis.duckdb.connect()
    assert issue_keys(check_sources([loaded_source(con, t) for t in tables], config)) == issue_keys(reference)


def test_the_big_parquet_master_keeps_its_items_distinct_past_the_generators_rounds(tmp_path: Path) -> None:
    """bench/parquet_master.py: the generator's items repeat after 4.8 M per category, so a 100M-row
    master made every row "one item under several codes". Past a round the specification carries
    the round number: every item stays distinct (here with rounds of 400 items in 3,000 rows)."""
    import importlib.util

    import pyarrow.parquet as pq
    from dq_cli import ROOT

    spec = importlib.util.spec_from_file_location("parquet_master", ROOT / "bench" / "parquet_master.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.write(3_000, tmp_path / "p.parquet", defect_rate=0.0, items_per_category=400)
    table = pq.read_table(out).to_pydict()
    names = list(table)
    items = list(zip(table[names[1]], table[names[2]], table[names[4]], strict=True))
    assert len(set(items)) == len(items) == 3_000
    assert len(set(table[names[0]])) == 3_000
    assert any(s.endswith(" R2") for s in table[names[2]]) and any(s.endswith(" R3") for s in table[names[2]])


def test_unusual_values_are_computed_a_slice_at_a_time_into_the_kept_file(config, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A field whose cleaning compiles sends only its unusual values (Φ, ², full-width spaces) to
    pandas, and those one slice at a time, written into the kept file as they are made (at 100M
    rows a product master had 1.6M such specifications). Here slices of 7: the same issues as the
    pandas engine, including one item under two codes whose specification only pandas cleans, and
    the spill folder empty after the run."""
    from builders import product
    from engine_data import _frame, _table, issue_keys

    from dataquality.engines import derived
    from dataquality.engines.runner import check_sources
    from dataquality.engines.sources import loaded_source
    from dataquality.pipeline import validate

    records = [product(i) for i in range(1, 121)]
    for i, r in enumerate(records):
        r["specification"] = f"Φ{i}mm　" if i % 3 else f"M{i}×2０ L{i}²"
    records[50]["product_name"], records[50]["specification"] = records[10]["product_name"], "Φ10mm"  # Φ10mm　 cleaned
    records[51]["unit"] = records[10]["unit"]
    records[50]["unit"] = records[10]["unit"]
    tables = [_table("product", _frame(records), "products.xlsx")]
    reference = validate(tables, config)
    assert any(i.rule == "PRD003" for i in reference)
    monkeypatch.setattr(derived, "SLICE", 7)
    slices: list[int] = []
    stored = kept.stored

    def counted(con, chunks):
        def each():
            for c in chunks:
                slices.append(c.num_rows)
                yield c
        return stored(con, each())

    monkeypatch.setattr(kept, "stored", counted)
    spill = tmp_path / "spill"
    con = ibis.duckdb.connect(temp_directory=str(spill))
    assert issue_keys(check_sources([loaded_source(con, t) for t in tables], config)) == issue_keys(reference)
    assert slices.count(7) >= 120 // 7  # the 120 specifications; fields parsed whole (prices) come in one
    assert _spill_files(spill) == []
    con.disconnect()


def test_forgetting_the_kept_file_on_a_dead_connection_hides_no_error(tmp_path: Path) -> None:
    """`kept.forget` runs while a run's own error may be on its way out: on a connection that can
    no longer answer it does nothing, and the file left is removed by the next run as stale."""
    con = ibis.duckdb.connect(temp_directory=str(tmp_path))
    kept.keep(con.create_table("source", ibis.memtable({"a": [1, 2, 3]})))
    con.disconnect()
    kept.forget(con)  # no exception
    fresh = ibis.duckdb.connect(temp_directory=str(tmp_path))
    kept.forget(fresh)  # nothing attached: nothing to do
    assert any(f.startswith("dq-kept-") for f in _spill_files(tmp_path))  # this process is alive: its file stays
    fresh.disconnect()
