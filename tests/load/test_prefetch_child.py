"""load.prefetch with forked children (a fresh process, as `dq` runs): one judges the limits while
the other loads the sheets inside its memory sandbox. What comes back must equal the regular
read; a file past the limits stops the loading child and is reported by the parent; a child that
cannot load (its sandbox too small) leaves the sheets to be read here; no child outlives dq."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from builders import SHEET_HEAD, SHEET_TAIL, customer_workbook, error_cells_workbook, with_sheet_xml
from dq_cli import ROOT, assert_one_line_error, spawn_dq
from openpyxl import Workbook

from dataquality.load import limits, prefetch
from dataquality.load.grid import WorkbookGrids

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the loading child needs Linux (memfd, RLIMIT_AS)")

# Run in a fresh interpreter (no other thread yet, so prefetch forks): which process loaded
# each sheet, and the grids WorkbookGrids then gives.
_PROBE = """
import json, sys
from pathlib import Path
from dataquality.load import prefetch
path = Path(sys.argv[1])
prefetch.prefetch([path])
taken = prefetch.take_sheet
where = {}
def take(p, i):
    pending = taken(p, i)
    if pending is not None:
        where[i] = getattr(pending.result(), "where", "lazy")
    return pending
prefetch.take_sheet = take
from dataquality.load.grid import WorkbookGrids
book = WorkbookGrids(path)
grids = [book.grid(s) for s in book.sheets]
print(json.dumps({"where": where, "reader": type(book._reader).__name__,
                  "grids": [g.to_json(orient="split") for g in grids]}))
"""


def _probe(path: Path, **env: str) -> dict:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    full.pop("DQ_NO_FORK", None)
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(path)], env=full, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _book(path: Path) -> Path:
    return error_cells_workbook(path, rows=300)


def _regular(path: Path) -> list[pd.DataFrame]:
    limits.configure(None)
    prefetch.forget()
    book = WorkbookGrids(path)
    return [book.grid(sheet) for sheet in book.sheets]


def _same_grids(found: dict, path: Path) -> None:
    regular = _regular(path)
    assert len(found["grids"]) == len(regular)
    for text, grid in zip(found["grids"], regular, strict=True):
        assert json.loads(text) == json.loads(grid.to_json(orient="split"))


def test_sheets_loaded_in_the_child_equal_the_regular_read(tmp_path: Path) -> None:
    path = _book(tmp_path / "p.xlsx")
    found = _probe(path)
    assert found["where"] == {"0": "child", "1": "child"}
    assert found["reader"] == "_Reader"  # fastexcel's reader was never opened here
    _same_grids(found, path)
    first = json.loads(found["grids"][0])
    row, col = first["index"].index(8), first["columns"].index(5)
    assert first["data"][row][col] == "#N/A"  # F8: the error cell, from the scan


def test_a_sandbox_too_small_to_load_leaves_the_sheets_to_this_process(tmp_path: Path) -> None:
    path = _book(tmp_path / "p.xlsx")
    found = _probe(path, DQ_PREFETCH_MEMORY=str(64 << 20))  # less than the interpreter with pyarrow
    assert set(found["where"].values()) == {"here"}
    _same_grids(found, path)


def test_a_sheet_whose_error_cells_the_scan_cannot_tell_is_read_here(tmp_path: Path) -> None:
    import zipfile

    src = _book(tmp_path / "p.xlsx")
    path = tmp_path / "odd.xlsx"
    # ' t="e"' inside an inline text looks like an error mark to a byte scan: not guessed at.
    odd = b'<row r="400"><c r="C400" t="inlineStr"><is><t>a t="e" b</t></is></c></row></sheetData>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data.replace(b"</sheetData>", odd) if info.filename == "xl/worksheets/sheet1.xml" else data)
    found = _probe(path)
    assert found["where"]["0"] == "lazy"  # calamine's lazy sheet, which reports error cells itself
    _same_grids(found, path)


def _far_cell(path: Path) -> Path:
    wb = Workbook()
    wb.active.title = "客户主数据"
    wb.active["A1"] = "客户编码"
    wb.active["XFD1048576"] = "x"  # calamine would allocate 16,384 x 1,048,576 cells for this one value
    wb.save(path)
    return path


def _alive_with(marker: str) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                    alive.append(int(entry.name))
            except OSError:
                continue
    return alive


def test_a_file_past_the_limits_is_refused_by_the_parent_and_no_child_outlives_dq(tmp_path: Path) -> None:
    path = _far_cell(tmp_path / "far-cell-dq-child-test.xlsx")
    proc = spawn_dq("validate", path, env={"DQ_LANG": "en", "DQ_NO_FORK": None})
    assert_one_line_error(proc, path, "--max-cells", "DQ_MAX_CELLS")
    deadline = time.monotonic() + 10
    while _alive_with(path.name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_with(path.name) == []


def test_the_probe_of_a_refused_file_gets_nothing_and_reaps_both_children(tmp_path: Path) -> None:
    path = _book(tmp_path / "p.xlsx")
    script = """
import os, sys, threading
from pathlib import Path
from dataquality.load import prefetch
path = Path(sys.argv[1])
prefetch.prefetch([path])
print(prefetch.take_sheet(path, 0) is None, prefetch.reader(path) is None)
for t in threading.enumerate():
    if t.name.startswith("dq-prefetch"):
        t.join(30)
try:
    os.waitpid(-1, os.WNOHANG)
    print("a child left")
except ChildProcessError:
    print("no child left")
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_MAX_CELLS": "20"}
    env.pop("DQ_NO_FORK", None)
    proc = subprocess.run([sys.executable, "-c", script, str(path)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "no", "child", "left"]


def test_sandbox_size_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DQ_PREFETCH_MEMORY", "123456789")
    assert prefetch.sandbox_bytes() == 123456789
    for bad in ("", "0", "-5", "lots"):
        monkeypatch.setenv("DQ_PREFETCH_MEMORY", bad)
        assert 2 << 30 <= prefetch.sandbox_bytes() <= 8 << 30


def _far_cells(fh) -> None:  # type: ignore[no-untyped-def]
    # A far cell first, rows out of order, an attribute after a tab: calamine would span 900,000 x 800.
    fh.write(SHEET_HEAD + b'<row r="900000"><c r="ADT900000"><v>1</v></c></row>'
             b'<row\tr="1"><c\tr="A1" t="inlineStr"><is><t>x</t></is></c></row>' + SHEET_TAIL)


def _many_cells(fh) -> None:  # type: ignore[no-untyped-def]
    fh.write(SHEET_HEAD)
    for r in range(1, 30_001):  # 30,000 rows x 800 columns spanned: 24 M cells
        fh.write(b'<row r="%d"><c r="A%d"><v>1</v></c><c r="ADT%d"><v>1</v></c></row>' % (r, r, r))
    fh.write(SHEET_TAIL)


def _whitespace(fh) -> None:  # type: ignore[no-untyped-def]
    fh.write(SHEET_HEAD)
    block = b" " * (1 << 24)
    for _ in range(65):  # 1.09 GB of whitespace in a few MB on disk
        fh.write(block)
    fh.write(SHEET_TAIL)


@pytest.mark.parametrize(("write_sheet", "needle"), [
    (_far_cells, "--max-cells"), (_many_cells, "--max-cells"), (_whitespace, "--max-bytes")])
def test_hostile_workbooks_through_both_children_end_in_one_line(tmp_path: Path, write_sheet, needle: str) -> None:
    base = _book(tmp_path / "base.xlsx")
    path = with_sheet_xml(base, tmp_path / f"hostile-{write_sheet.__name__.strip('_')}-child-test.xlsx", write_sheet)
    proc = spawn_dq("validate", path, env={"DQ_LANG": "en", "DQ_NO_FORK": None})
    assert_one_line_error(proc, path, needle)
    deadline = time.monotonic() + 10
    while _alive_with(path.name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_with(path.name) == []


def test_two_workbooks_are_loaded_by_two_children_and_equal_the_regular_read(tmp_path: Path) -> None:
    first, second = _book(tmp_path / "a.xlsx"), customer_workbook(tmp_path / "b.xlsx", 50)
    script = """
import json, sys
from pathlib import Path
from dataquality.load import prefetch
paths = [Path(p) for p in sys.argv[1:]]
prefetch.prefetch(paths)
out = []
for path in paths:
    pending = prefetch.take_sheet(path, 0)
    loaded = pending.result()
    out.append([getattr(loaded, "where", None), loaded.batch.num_rows, list(loaded.offsets)])
print(json.dumps(out))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DQ_NO_FORK", None)
    proc = subprocess.run([sys.executable, "-c", script, str(first), str(second)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert [f[0] for f in found] == ["child", "child"]
    for (_, rows, offsets), path in zip(found, (first, second), strict=True):
        grid = _regular(path)[0]
        assert rows == len(grid) and offsets == list(grid.columns)
