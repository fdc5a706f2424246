"""load.prefetch: calamine reads a workbook in the background while dq starts up.

What it hands over must be exactly what the regular read gives (values, column positions, Excel
error cells), a file past the limits is never given to calamine, and a file it cannot judge is
left to the regular read, which reports it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from builders import error_cells_workbook
from dq_cli import run_dq

from dataquality.load import limits, prefetch
from dataquality.load.grid import WorkbookGrids


@pytest.fixture(autouse=True)
def _fresh():
    limits.configure(None)
    prefetch.forget()
    yield
    limits.configure(None)
    prefetch.forget()


def _book(path: Path) -> Path:
    return error_cells_workbook(path)


def _grids(path: Path) -> list[pd.DataFrame]:
    book = WorkbookGrids(path)
    return [book.grid(sheet) for sheet in book.sheets]


def _patched(src: Path, out: Path, edit) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, edit(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out


def test_prefetched_sheets_equal_the_regular_read(tmp_path: Path) -> None:
    path = _book(tmp_path / "p.xlsx")
    regular = _grids(path)
    prefetch.prefetch([path])
    pending = prefetch.take_sheet(path, 0)
    assert pending is not None
    loaded = pending.result()
    # The scan found both error cells, so calamine went straight to Arrow.
    assert isinstance(loaded, prefetch.LoadedSheet)
    assert sorted(loaded.errors) == [(8, 5, "#N/A"), (10, 4, "#DIV/0!")]
    prefetch.forget()
    prefetch.prefetch([path])
    fetched = _grids(path)
    for a, b in zip(regular, fetched, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert fetched[0].at[8, 5] == "#N/A" and fetched[0].at[10, 4] == "#DIV/0!"
    assert list(fetched[0].columns) == [2, 3, 4, 5]


def test_an_error_mark_it_does_not_understand_falls_back_to_calamine(tmp_path: Path) -> None:
    # ' t="e"' inside a text: not an error cell; the scan cannot tell cheaply, so calamine is asked.
    src = _book(tmp_path / "p.xlsx")
    path = _patched(src, tmp_path / "odd.xlsx", lambda xml: xml.replace(
        b"</sheetData>", b'<row r="60"><c r="C60" t="inlineStr"><is><t>a t="e" b</t></is></c></row></sheetData>'))
    regular = _grids(path)
    prefetch.prefetch([path])
    pending = prefetch.take_sheet(path, 0)
    assert pending is not None and not isinstance(pending.result(), prefetch.LoadedSheet)
    prefetch.forget()
    prefetch.prefetch([path])
    for a, b in zip(regular, _grids(path), strict=True):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("chunk", [1 << 20, 4096, 97, 13])
def test_error_cells_from_the_scan_are_exact_or_unknown(tmp_path: Path, monkeypatch, chunk: int) -> None:
    # An error cell split between two chunks of the scan is not guessed at: the sheet's error
    # cells are then unknown and calamine is asked (the lazy path), never given wrong.
    monkeypatch.setattr(limits, "_CHUNK", chunk)
    path = _book(tmp_path / "p.xlsx")
    limits.check_input(path)
    found = limits.error_cells(path, "xl/worksheets/sheet1.xml")
    assert found is None or sorted(found) == [(8, 5, "#N/A"), (10, 4, "#DIV/0!")]
    if chunk >= 4096:
        assert found is not None


def test_a_file_past_the_limits_is_never_given_to_calamine(tmp_path: Path) -> None:
    path = _book(tmp_path / "p.xlsx")
    limits.configure(limits.Limits(max_cells=20))
    prefetch.prefetch([path])  # says nothing: the regular read reports it
    assert prefetch.take_sheet(path, 0) is None and prefetch.reader(path) is None


def test_unreadable_files_are_left_to_the_regular_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    missing = tmp_path / "missing.xlsx"
    prefetch.prefetch([broken, missing, tmp_path])
    assert prefetch.take_sheet(broken, 0) is None
    result = run_dq("validate", broken, "--format", "json")
    assert result.returncode == 2


def test_dq_validate_reports_the_same_with_and_without_prefetch(tmp_path: Path, monkeypatch) -> None:
    path = _book(tmp_path / "p.xlsx")
    with_prefetch = run_dq("validate", path, "--format", "json")
    prefetch.forget()
    limits.configure(None)
    monkeypatch.setattr(prefetch, "prefetch", lambda paths: None)
    without = run_dq("validate", path, "--format", "json")
    assert with_prefetch.returncode == without.returncode == 1

    def issues(out: str) -> list[tuple]:
        import json

        return [(i["rule"], i["cell"], i["value"]) for i in json.loads(out)["issues"]]

    found = issues(with_prefetch.stdout)
    assert found == issues(without.stdout)
    assert any(cell == "产品!F8" and value == "#N/A" for _, cell, value in found)


def test_the_limits_scan_in_a_forked_child_gives_the_same_verdicts(tmp_path: Path) -> None:
    """A real `dq validate` process: the scan runs in a forked child, calamine starts on its verdict."""
    import json
    import os

    from dq_cli import spawn_dq

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform: the scan runs in-process (the other tests)")
    path = _book(tmp_path / "p.xlsx")
    forked = spawn_dq("validate", path, "--format", "json", env={"DQ_LANG": "en"})
    in_process = spawn_dq("validate", path, "--format", "json", env={"DQ_LANG": "en", "DQ_NO_FORK": "1"})
    assert forked.returncode == in_process.returncode == 1, forked.stderr

    def issues(out: str) -> list[tuple]:
        return [(i["rule"], i["cell"], i["value"]) for i in json.loads(out)["issues"]]

    assert issues(forked.stdout) == issues(in_process.stdout)
    assert any(cell == "产品!F8" and value == "#N/A" for _, cell, value in issues(forked.stdout))
    # Past a limit: the child's refusal is said once by the parent, as exit 2, naming the limit.
    refused = spawn_dq("--max-cells", "20", "validate", path, env={"DQ_LANG": "en"})
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and path.name in lines[0] and "20" in lines[0] and "DQ_MAX_CELLS" in lines[0], refused.stderr
    # The same line in Chinese.
    zh = spawn_dq("--max-cells", "20", "validate", path, env={"DQ_LANG": "zh"})
    assert zh.returncode == 2 and len([x for x in zh.stderr.splitlines() if x.strip()]) == 1
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.stderr)


def test_a_fifo_named_like_a_workbook_is_not_opened(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    done = threading.Event()

    def run() -> None:
        prefetch.prefetch([fifo])  # must not block on open()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(10)
    assert prefetch.take_sheet(fifo, 0) is None
