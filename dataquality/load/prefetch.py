"""Start calamine reading the workbooks while the rest of dq is still importing.

calamine reads a sheet without holding Python's GIL (about a second for 200,000 rows), and a
command spends about as long importing pandas and the rules and reading its configuration. So
`dq validate` (fix, check, changes) hands its files here first. Each file is judged by the
resource limits: in a forked child where the platform allows (its own GIL, beside the imports),
else here and now. A background thread opens a workbook once its shared strings have passed and
gives calamine its sheets only once the whole file has passed, loading them exactly as
`load.grid.WorkbookGrids` would; `WorkbookGrids` takes what was loaded (`reader`, `take_sheet`)
instead of reading again. Nothing past a limit is ever given to calamine.

Nothing here reports anything: a file that cannot be judged or opened is left alone, and the
regular read reports it in its place and order. This module imports neither pandas nor the rest
of dq, so it runs before they are imported.
"""

from __future__ import annotations

import os
import pickle
import stat
import threading
import zipfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataquality.errors import InputError
from dataquality.load import limits

# At most this much workbook (on disk) is loaded ahead of the run; the rest is read in its turn.
PREFETCH_BYTES = 256 << 20
# The arguments WorkbookGrids.grid gives calamine for a whole sheet.
SHEET_ARGS: dict[str, Any] = {"header_row": None, "skip_rows": 0, "n_rows": None, "dtypes": "string"}

_lock = threading.Lock()
# file key (path, inode, size, mtime) -> the opened reader, and (file key, sheet index) -> the load.
_readers: dict[tuple, Future] = {}
_sheets: dict[tuple, Future] = {}
_opened: dict[tuple, threading.Event] = {}  # set once a file's sheet loads are registered (or it failed)


def prefetch(paths: Iterable[Path | str]) -> None:
    """Judge each workbook by the limits, then load its sheets in the background.

    Where the platform can fork and nothing else runs yet, the limits scan runs in a forked child
    (its own interpreter, its own GIL: the scan overlaps the imports that follow in this process)
    and the background thread starts calamine once the child's verdict is in; otherwise the scan
    runs here, now. Either way calamine never sees a file the limits refuse."""
    todo: list[_File] = []
    budget = PREFETCH_BYTES
    for raw in paths:
        path = Path(raw)
        try:
            if not _is_workbook(path):
                continue
            budget -= path.stat().st_size
        except OSError:
            continue  # the regular read says what is wrong, in its place
        if budget < 0:
            break  # the rest are read when their turn comes: loaded sheets wait in memory
        key = limits.file_key(path)
        with _lock:
            if key is None or key in _readers:
                continue
            file = _File(path, key, Future(), threading.Event(), _Gate())
            _readers[key], _opened[key] = file.reader, file.opened
        todo.append(file)
    if not todo:
        return
    child = _fork_judge(todo)
    if child is None:
        judged = []
        for file in todo:
            try:
                limits.check_input(file.path)
                file.gate.pass_()
                judged.append(file)
            except InputError:
                file.gate.shut()
                _not_loaded(file)
        todo = judged
    threading.Thread(target=_load, args=(todo, child), name="dq-prefetch", daemon=True).start()


class _Gate:
    """Set once the limits have judged a workbook's sheets; `ok` says whether they passed."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.ok = False

    def pass_(self) -> None:
        self.ok = True
        self.event.set()

    def shut(self) -> None:
        self.event.set()


@dataclass(frozen=True)
class _File:
    """A workbook being prefetched: what waits for it is held here, not looked up again (a
    consumer may already have taken it from the tables)."""

    path: Path
    key: tuple
    reader: Future  # the fastexcel reader, once every sheet is loaded (None: not loaded)
    opened: threading.Event  # set once the sheets' loads are registered (or nothing will be)
    gate: _Gate  # whether the sheets may be given to calamine: the limits' verdict


def _not_loaded(file: _File) -> None:
    """Nothing will be loaded for `file`: whoever waits for its reader or sheets gets None."""
    with _lock:
        if _readers.get(file.key) is file.reader:
            del _readers[file.key]
    if not file.reader.done():
        file.reader.set_result(None)
    file.opened.set()
    if not file.gate.event.is_set():
        file.gate.shut()


def _fork_judge(todo: list[_File]) -> tuple[int, int] | None:
    """(pid, read end of a pipe) of a forked child judging `todo` by the limits; None when this
    process cannot fork safely (no fork on this platform, or other threads already running)."""
    if not hasattr(os, "fork") or threading.active_count() > 1 or os.environ.get("DQ_NO_FORK"):
        return None
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: judge, write the verdicts, leave without running any exit handler
        try:
            os.close(read_end)
            # Let go of the parent's standard streams: whoever reads them sees the end when the
            # parent is done, not when this child is.
            quiet = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(quiet, fd)
            with os.fdopen(write_end, "wb") as out:
                for file in todo:  # one verdict per file, sent as soon as it is known
                    def may_open(key: tuple = file.key) -> None:  # its shared strings passed
                        pickle.dump((key, "open", {}), out, protocol=pickle.HIGHEST_PROTOCOL)
                        out.flush()

                    try:
                        found_key, scanned = limits.judge(file.path, may_open)
                        verdict = (file.key, "ok" if found_key == file.key else "unknown", scanned)
                    except InputError:
                        verdict = (file.key, "refused", {})
                    except BaseException:  # noqa: BLE001 - the parent judges the file itself
                        verdict = (file.key, "unknown", {})
                    pickle.dump(verdict, out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()
        finally:
            os._exit(0)
    os.close(write_end)
    for file in todo:  # check_input here waits for the child's verdict instead of scanning again
        limits.expect(file.key)
    return pid, read_end


def _verdicts(child: tuple[int, int], todo: list[_File]) -> Iterator[tuple[str, _File]]:
    """What the child says of the files of `todo`, as it says it: ("open", file) once the file may
    be opened (its shared strings passed), ("ok", file) once it is within the limits (its scan
    results installed here, its gate passed). A refused or unjudged file is shut out and left for
    check_input to judge here."""
    pid, read_end = child
    by_key = {file.key: file for file in todo}
    try:
        with os.fdopen(read_end, "rb") as pipe:
            while True:
                try:
                    key, kind, scanned = pickle.load(pipe)
                except EOFError:
                    break
                if kind == "open":
                    if key in by_key:
                        yield "open", by_key[key]
                    continue
                file = by_key.pop(key, None)
                if file is None:
                    continue
                if kind == "ok":
                    limits.accept(key, scanned)
                    file.gate.pass_()
                    yield "ok", file
                else:
                    limits.give_up(key)  # refused (check_input says so, in its place) or unknown
                    file.gate.shut()
                    _not_loaded(file)
    except Exception:  # noqa: BLE001 - no verdict: the files are judged here when read
        pass
    finally:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        for file in by_key.values():  # no verdict came
            limits.give_up(file.key)
            file.gate.shut()
            _not_loaded(file)


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
    """A regular file that looks like an xlsx/xlsm workbook (never opens a FIFO or a device)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not stat.S_ISREG(path.stat().st_mode):
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


_LOADERS = threading.Semaphore(2)  # workbooks loaded at once (calamine, one core each)


def _load(todo: list[_File], child: tuple[int, int] | None = None) -> None:
    """The background thread: the child's verdicts as they come, each accepted workbook loaded on
    its own thread (two at a time). Whatever happens, nobody is left waiting: what was not loaded
    is handed over as None."""
    threads = []
    started: set[tuple] = set()
    events = _verdicts(child, todo) if child is not None else (("ok", file) for file in todo)
    try:
        for _, file in events:  # a workbook is opened on "open" (or "ok"); its sheets wait for its gate
            if file.key in started:
                continue
            started.add(file.key)
            thread = threading.Thread(target=_load_one, args=(file,), name="dq-prefetch-load", daemon=True)
            thread.start()
            threads.append(thread)
    finally:
        for thread in threads:
            thread.join()
        for file in todo:
            if not file.reader.done():
                _not_loaded(file)


def _load_one(file: _File) -> None:
    with _LOADERS:
        try:
            _load_file(file)
        finally:
            if not file.reader.done():
                _not_loaded(file)


def _load_file(file: _File) -> None:
    import fastexcel

    try:
        book = fastexcel.read_excel(str(file.path))
        names = book.sheet_names
    except BaseException as exc:  # noqa: BLE001 - handed over to the reader, which reports it
        file.gate.event.wait()
        file.reader.set_exception(exc)
        file.opened.set()
        return
    file.gate.event.wait()  # calamine gets the sheets only once the limits passed them
    if not file.gate.ok:
        del book
        _not_loaded(file)
        return
    futures = [Future() for _ in names]
    with _lock:
        for index, future in enumerate(futures):
            _sheets[(file.key, index)] = future
    file.opened.set()
    members = _members(file.path, len(names))
    for index, future in enumerate(futures):
        try:
            future.set_result(_load_sheet(book, file.path, index, members[index]))
        except BaseException as exc:  # noqa: BLE001 - raised again where the sheet is taken
            future.set_exception(exc)
            if not isinstance(exc, Exception):  # interpreter shutting down: stop here
                for rest in futures[index + 1:]:
                    rest.set_exception(exc)
                raise
    file.reader.set_result(book)  # only now: the reader is no longer used here
