"""load.source.WorkbookSource: one input's verdict, what its scan kept and its sheets (issue 26.2).

What a source started early hands over must be exactly what the regular read gives (values,
column positions, Excel error cells); a file past the limits is never given to calamine; a file
it cannot judge or open is left to the run, which reports it in its place."""

from __future__ import annotations

import json
import os
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from builders import error_cells_workbook
from dq_cli import run_dq, spawn_dq

from dataquality.errors import InputError
from dataquality.load import limits
from dataquality.load.grid import WorkbookGrids
from dataquality.load.source import LoadedSheet, WorkbookSource, start_all

_PART = "xl/worksheets/sheet1.xml"


def _grids(source: Path | WorkbookSource) -> list[pd.DataFrame]:
    book = WorkbookGrids(source)
    return [book.grid(sheet) for sheet in book.sheets]


def _patched(src: Path, out: Path, edit) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, edit(data) if info.filename == _PART else data)
    return out


def test_a_started_source_hands_over_what_the_regular_read_gives(tmp_path: Path) -> None:
    path = error_cells_workbook(tmp_path / "p.xlsx")
    regular = _grids(path)
    source = WorkbookSource(path).start()
    loaded = source.sheet(0)
    # The scan found both error cells, so calamine went straight to Arrow.
    assert isinstance(loaded, LoadedSheet)
    assert sorted(loaded.errors) == [(8, 5, "#N/A"), (10, 4, "#DIV/0!")]
    started = _grids(WorkbookSource(path).start())
    for a, b in zip(regular, started, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert started[0].at[8, 5] == "#N/A" and started[0].at[10, 4] == "#DIV/0!"
    assert list(started[0].columns) == [2, 3, 4, 5]


def test_an_error_mark_it_does_not_understand_falls_back_to_calamine(tmp_path: Path) -> None:
    # ' t="e"' inside a text: not an error cell; the scan cannot tell cheaply, so calamine is asked.
    src = error_cells_workbook(tmp_path / "p.xlsx")
    path = _patched(src, tmp_path / "odd.xlsx", lambda xml: xml.replace(
        b"</sheetData>", b'<row r="60"><c r="C60" t="inlineStr"><is><t>a t="e" b</t></is></c></row></sheetData>'))
    source = WorkbookSource(path).start()
    assert not isinstance(source.sheet(0), LoadedSheet)
    for a, b in zip(_grids(path), _grids(WorkbookSource(path).start()), strict=True):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("chunk", [1 << 20, 4096, 97, 13])
def test_error_cells_from_the_scan_are_exact_or_unknown(tmp_path: Path, monkeypatch, chunk: int) -> None:
    # An error cell split between two chunks of the scan is not guessed at: the sheet's error
    # cells are then unknown and calamine is asked (the lazy path), never given wrong.
    monkeypatch.setattr(limits, "_CHUNK", chunk)
    path = error_cells_workbook(tmp_path / "p.xlsx")
    found = WorkbookSource(path).scan(_PART).errors
    assert found is None or sorted(found) == [(8, 5, "#N/A"), (10, 4, "#DIV/0!")]
    if chunk >= 4096:
        assert found is not None


def test_no_sheet_of_a_file_past_the_limits_is_given_to_calamine(tmp_path: Path, monkeypatch) -> None:
    import fastexcel

    opened: list[object] = []
    loaded: list[object] = []
    real, real_load = fastexcel.read_excel, fastexcel.ExcelReader.load_sheet
    monkeypatch.setattr(fastexcel, "read_excel", lambda source, *a, **k: opened.append(source) or real(source, *a, **k))
    monkeypatch.setattr(fastexcel.ExcelReader, "load_sheet", lambda self, *a, **k: loaded.append(a) or real_load(self, *a, **k))
    path = error_cells_workbook(tmp_path / "p.xlsx")
    source = WorkbookSource(path, limits.Limits(max_cells=20)).start()
    with pytest.raises(InputError) as refused:
        source.sheet(0)
    assert refused.value.key == "limits.max_cells"
    with pytest.raises(InputError):
        WorkbookGrids(source)
    with pytest.raises(InputError):
        source.sheet(0, n_rows=5)  # (a header peek reads the whole sheet too)
    with pytest.raises(InputError):
        source.sheet_names()
    assert loaded == []  # no sheet's cells: calamine never read one (the workbook may have been opened: see the forked judge)
    assert WorkbookSource(path).start().sheet_names()[0] == "产品" and opened  # within the limits: opened


def test_the_verdict_is_the_sources_own_limits(tmp_path: Path) -> None:
    path = error_cells_workbook(tmp_path / "p.xlsx")
    assert WorkbookSource(path, limits.Limits(max_cells=10_000)).check()
    with pytest.raises(InputError) as refused:
        WorkbookSource(path, limits.Limits(max_cells=20)).check()
    assert refused.value.params["limit"] == "20"


def test_unreadable_files_are_left_to_the_run(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    missing = tmp_path / "missing.xlsx"
    sources = start_all([broken, missing, tmp_path])
    with pytest.raises(InputError):
        WorkbookGrids(sources[broken])
    with pytest.raises(InputError) as gone:
        sources[missing].check()
    assert gone.value.key == "load.not_found"
    assert run_dq("validate", broken, "--format", "json").returncode == 2


def test_a_fifo_named_like_a_workbook_is_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    done = threading.Event()
    said: list[str] = []

    def judge() -> None:
        try:
            WorkbookSource(fifo).start().check()  # must not block on open()
        except InputError as exc:
            said.append(exc.key)
        done.set()

    threading.Thread(target=judge, daemon=True).start()
    assert done.wait(10)
    assert said == ["limits.not_regular"]


def test_dq_validate_in_a_process_reports_the_same_as_in_this_one(tmp_path: Path) -> None:
    """A real `dq validate` process (the source started before pandas is imported) and the in-process
    run (everything already imported) find the same; past a limit, one exit-2 line in either language."""
    path = error_cells_workbook(tmp_path / "p.xlsx")
    spawned = spawn_dq("validate", path, "--format", "json", env={"DQ_LANG": "en"})
    here = run_dq("validate", path, "--format", "json", env={"DQ_LANG": "en"})
    assert spawned.returncode == here.returncode == 1, spawned.stderr

    def issues(out: str) -> list[tuple]:
        return [(i["rule"], i["cell"], i["value"]) for i in json.loads(out)["issues"]]

    assert issues(spawned.stdout) == issues(here.stdout)
    assert any(cell == "产品!F8" and value == "#N/A" for _, cell, value in issues(spawned.stdout))
    refused = spawn_dq("--max-cells", "20", "validate", path, env={"DQ_LANG": "en"})
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and path.name in lines[0] and "20" in lines[0] and "DQ_MAX_CELLS" in lines[0], refused.stderr
    zh = spawn_dq("--max-cells", "20", "validate", path, env={"DQ_LANG": "zh"})
    assert zh.returncode == 2 and len([x for x in zh.stderr.splitlines() if x.strip()]) == 1
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.stderr)


def test_the_limits_given_to_one_invocation_do_not_outlive_it(tmp_path: Path) -> None:
    path = error_cells_workbook(tmp_path / "p.xlsx")
    assert run_dq("--max-cells", "20", "validate", path, env={"DQ_LANG": "en"}).returncode == 2
    assert run_dq("validate", path, env={"DQ_LANG": "en"}).returncode == 1  # the defaults again


# The judge in a forked child: only where the process has one thread, so it is measured in a
# process of its own (this test process has other threads).
_FORKED = r"""
import json, os, sys, threading
from pathlib import Path
from dataquality.errors import InputError
from dataquality.load import limits, source

path, mode = Path(sys.argv[1]), sys.argv[2]
parent = os.getpid()
if mode == "child fails":
    real = source.check_input
    def failing(*args, **kwargs):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real(*args, **kwargs)
    source.check_input = failing
lim = {"refused": limits.Limits(max_cells=20), "strings refused": limits.Limits(max_strings=1)}.get(mode, limits.Limits())
import fastexcel
opened, loaded = [], []
real_open, real_load = fastexcel.read_excel, fastexcel.ExcelReader.load_sheet
fastexcel.read_excel = lambda *a, **k: opened.append(1) or real_open(*a, **k)
fastexcel.ExcelReader.load_sheet = lambda self, *a, **k: loaded.append(1) or real_load(self, *a, **k)
here = None
try:
    here = {k: (v.tail is not None, v.errors) for k, v in limits.check_input(path, lim).items()}
except InputError as exc:
    here = exc.key
judges = []
real_fork = source._Judge.fork.__func__
def fork(cls, *args):
    judge = real_fork(cls, *args)
    judges.append(judge)
    return judge
source._Judge.fork = classmethod(fork)
sources = source.start_all([path, path.with_name("copy.xlsx")], lim)
pids = [j.pid for j in judges if j is not None]
out = {"forked": [j is not None for j in judges]}
for s in sources.values():
    try:
        out.setdefault("verdicts", []).append({k: (v.tail is not None, v.errors) for k, v in s.check().items()})
    except InputError as exc:
        out.setdefault("verdicts", []).append(exc.key)
    try:
        out.setdefault("sheets", []).append(s.sheet_names())
    except InputError as exc:
        out.setdefault("sheets", []).append(exc.key)
out["here"] = here
out["opened"], out["loaded"] = len(opened), len(loaded)
out["reaped"] = all(not os.path.exists(f"/proc/{pid}") for pid in pids)
late = source.WorkbookSource(path, lim)
held = threading.Event()
threading.Thread(target=held.wait).start()  # another thread now: no fork from here on
out["fork with a thread"] = late._fork_judge()
held.set()
print(json.dumps(out, default=list))
"""


def _forked(path: Path, mode: str) -> dict:
    import shutil
    import subprocess
    import sys

    from dq_cli import ROOT

    shutil.copy(path, path.with_name("copy.xlsx"))
    done = subprocess.run([sys.executable, "-c", _FORKED, str(path), mode], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here: the judging stays on the thread")
@pytest.mark.parametrize("mode", ["passes", "refused", "strings refused", "child fails"])
def test_a_forked_judge_gives_the_verdict_judged_here(tmp_path: Path, mode: str) -> None:
    path = error_cells_workbook(tmp_path / "p.xlsx")
    out = _forked(path, mode)
    assert out["forked"] == [True, True]  # both judged in children before the first thread started
    assert out["verdicts"] == [out["here"], out["here"]]  # what the child sent, or judged again here
    if mode == "refused":  # a sheet past the limits: the workbook was opened meanwhile, no sheet loaded
        assert out["here"] == "limits.max_cells" and out["sheets"] == ["limits.max_cells"] * 2
        assert out["opened"] >= 2 and out["loaded"] == 0
    elif mode == "strings refused":  # its shared strings past the limits: not even opened
        assert out["here"] == "limits.max_strings" and out["sheets"] == ["limits.max_strings"] * 2
        assert out["opened"] == 0 and out["loaded"] == 0
    else:
        assert out["sheets"][0][0] == "产品"
        assert any(errors for _, errors in out["here"].values())  # the error cells came across
    assert out["reaped"]
    assert out["fork with a thread"] is False
