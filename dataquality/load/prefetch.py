"""Start calamine reading the workbooks while the rest of dq is still importing.

calamine reads a sheet without holding Python's GIL (about a second for 200,000 rows), and a
command spends about as long importing pandas and the rules and reading its configuration. So
`dq validate` hands its files here first: each file is judged by the resource limits at once (in
the calling thread, so nothing past a limit is ever given to calamine), then one background
thread opens the workbooks and loads their sheets, exactly as `load.grid.WorkbookGrids` would.
`WorkbookGrids` takes what was loaded (`reader`, `take_sheet`) instead of reading again.

Nothing here reports anything: a file that cannot be judged or opened is left alone, and the
regular read reports it in its place and order. This module imports neither pandas nor the rest
of dq, so it runs before they are imported.
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataquality.errors import InputError
from dataquality.load import limits

# The arguments WorkbookGrids.grid gives calamine for a whole sheet.
SHEET_ARGS: dict[str, Any] = {"header_row": None, "skip_rows": 0, "n_rows": None, "dtypes": "string"}

_lock = threading.Lock()
# file key (path, inode, size, mtime) -> the opened reader, and (file key, sheet index) -> the load.
_readers: dict[tuple, Future] = {}
_sheets: dict[tuple, Future] = {}
_opened: dict[tuple, threading.Event] = {}  # set once a file's sheet loads are registered (or it failed)


def prefetch(paths: Iterable[Path | str]) -> None:
    """Judge each workbook by the limits now, and start loading its sheets in the background."""
    todo = []
    for raw in paths:
        path = Path(raw)
        try:
            if not _is_workbook(path):
                continue
            limits.check_input(path)
        except (InputError, OSError):
            continue  # the regular read says what is wrong, in its place
        key = limits.file_key(path)
        with _lock:
            if key is None or key in _readers:
                continue
            _readers[key] = Future()
            _opened[key] = threading.Event()
        todo.append((path, key))
    if todo:
        threading.Thread(target=_load, args=(todo,), name="dq-prefetch", daemon=True).start()


def prefetch_project(project: Any) -> None:
    """`prefetch` of a project's input files (a missing one is left to the run, which reports it)."""
    try:
        files = [f for paths in project.input_files().values() for f in paths]
    except (InputError, OSError):
        return
    prefetch(files)


def reader(path: Path) -> Any | None:
    """The fastexcel reader opened for `path` in the background, once every sheet is loaded (given
    once; a reader is not used from two threads at a time), or None (not prefetched, failed, changed)."""
    with _lock:
        future = _readers.pop(limits.file_key(path) or (), None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # noqa: BLE001 - the caller opens the file itself and reports the error
        return None


def take_sheet(path: Path, index: int) -> Future | None:
    """The background load of sheet `index` (given once: the caller owns the loaded sheet), or None."""
    key = limits.file_key(path)
    if key is None:
        return None
    with _lock:
        opened = _opened.get(key)
    if opened is not None:
        opened.wait()  # the sheets' loads are registered once the workbook is open
    with _lock:
        return _sheets.pop((key, index), None)


def forget() -> None:
    """Drop everything prefetched (the loads already running finish into nothing)."""
    with _lock:
        _readers.clear()
        _sheets.clear()
        _opened.clear()


def _is_workbook(path: Path) -> bool:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    with path.open("rb") as fh:
        if fh.read(2) != b"PK":
            return False
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.startswith("xl/worksheets/") for n in zf.namelist())
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        return False


@dataclass(frozen=True)
class LoadedSheet:
    """A sheet calamine loaded straight into Arrow: its columns and their absolute column indexes."""

    batch: Any  # pyarrow.RecordBatch
    offsets: list[int]
    errors: tuple[tuple[int, int, str], ...] = ()  # Excel error cells: (row from 1, absolute column, text)


def _load_sheet(book: Any, path: Path, index: int, member: str | None) -> Any:
    """The sheet as a LoadedSheet (calamine builds the Arrow columns itself, without the GIL) when
    the limits scan knows its error cells, which Arrow leaves empty; else fastexcel's lazy sheet,
    whose conversion reports them."""
    errors = limits.error_cells(path, member) if member is not None else None
    if errors is None:
        return book.load_sheet(index, **SHEET_ARGS)
    offsets: list[int] = []

    def every_column(column: Any) -> bool:
        offsets.append(column.absolute_index)
        return True

    batch = book.load_sheet(index, **SHEET_ARGS, eager=True, use_columns=every_column)
    if len(offsets) != batch.num_columns:
        return book.load_sheet(index, **SHEET_ARGS)
    return LoadedSheet(batch, offsets, errors)


def _members(path: Path, count: int) -> list[str | None]:
    """The sheet parts in the order calamine lists the sheets (None where unknown)."""
    from dataquality.load.cells import xlsx_sheet_members

    try:
        with zipfile.ZipFile(path) as zf:
            members: list[str | None] = list(xlsx_sheet_members(zf))
    except Exception:  # noqa: BLE001 - unknown parts are read the slower way
        return [None] * count
    return members if len(members) == count else [None] * count


def _load(todo: list[tuple[Path, tuple]]) -> None:
    import fastexcel

    for path, key in todo:
        opened = _readers[key]
        try:
            book = fastexcel.read_excel(str(path))
            names = book.sheet_names
        except BaseException as exc:  # noqa: BLE001 - handed over to the reader, which reports it
            opened.set_exception(exc)
            _opened[key].set()
            continue
        futures = [Future() for _ in names]
        with _lock:
            for index, future in enumerate(futures):
                _sheets[(key, index)] = future
        _opened[key].set()
        members = _members(path, len(names))
        for index, future in enumerate(futures):
            try:
                future.set_result(_load_sheet(book, path, index, members[index]))
            except BaseException as exc:  # noqa: BLE001 - raised again where the sheet is taken
                future.set_exception(exc)
        opened.set_result(book)  # only now: the reader is no longer used here
