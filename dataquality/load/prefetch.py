"""Start calamine reading the workbooks while the rest of dq is still importing.

calamine reads a sheet without holding Python's GIL (about a second for 200,000 rows), and a
command spends about as long importing pandas and the rules and reading its configuration. So
`dq validate` (fix, check, changes) hands its files here first.

Where the platform allows, two forked children work beside the imports, each with its own
interpreter and GIL. The judge scans each file against the resource limits (at a lower
priority: it only has to be done before the sheets are). On Linux the loader runs calamine on
the same files at the same time, inside a memory sandbox (RLIMIT_AS, `sandbox_bytes`): a file
past the limits can make calamine allocate without bound, and the sandbox stops it there. The
loaded sheets come back as Arrow IPC streams in an in-memory file (memfd), mapped here without
a copy, and are used only once the judge has passed the file; a refusal kills the loader, and
this process judges and reports the file itself. Elsewhere only the judge is forked, and a
background thread here gives calamine a file once it has passed. Without fork (Windows, other
threads already running, DQ_NO_FORK=1) the file is judged here and now, then loaded in the
background. `WorkbookGrids` takes what was loaded (`reader`, `take_sheet`) instead of reading
again, exactly as it would have read it.

Nothing here reports anything: a file that cannot be judged or opened is left alone, and the
regular read reports it in its place and order. This module imports neither pandas nor the rest
of dq, so it runs before they are imported.
"""

from __future__ import annotations

import os
import pickle
import signal
import stat
import sys
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
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
    """Judge each workbook by the limits and load its sheets, in the background.

    Where the platform can fork and nothing else runs yet, a forked child judges the files (and
    on Linux loads them in its sandbox at the same time) while this process goes on importing;
    otherwise the files are judged here, now, and loaded by a background thread. Either way
    nothing calamine read is used before the limits passed the file."""
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
    child = _fork_child(todo)
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
    # What the child loaded: its sheet names (None: it did not load the file) and, per sheet,
    # where the sheet's IPC stream lies in `memfd` (None: that sheet was not loaded there).
    book: Future = field(default_factory=Future)
    sheets: dict[int, Future] = field(default_factory=dict)
    memfd: list[int] = field(default_factory=list)  # the in-memory file the child writes to (Linux)


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


def sandbox_bytes() -> int:
    """The address space the loading child may use (RLIMIT_AS): a quarter of the machine's
    memory, between 2 GiB and 8 GiB, or DQ_PREFETCH_MEMORY bytes. A legitimate sheet past it
    is simply read again here; past the limits, calamine is stopped there."""
    raw = os.environ.get("DQ_PREFETCH_MEMORY", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = 8 << 30
    return min(max(memory // 4, 2 << 30), 8 << 30)


def _loads_in_child() -> bool:
    """Whether the child can load as well as judge: a memory sandbox and in-memory files (Linux)."""
    import resource

    return sys.platform == "linux" and hasattr(os, "memfd_create") and hasattr(resource, "RLIMIT_AS")


def _fork_child(todo: list[_File]) -> _Children | None:
    """The forked children for `todo`: one judging the files by the limits, and (see
    `_loads_in_child`) one loading them at the same time, each with its own interpreter and GIL.
    None when this process cannot fork safely (no fork on this platform, other threads already
    running, DQ_NO_FORK)."""
    if not hasattr(os, "fork") or threading.active_count() > 1 or os.environ.get("DQ_NO_FORK"):
        return None
    loaders: list[tuple[tuple[int, int], list[_File]]] = []
    if _loads_in_child():
        try:
            for file in todo:
                file.memfd.append(os.memfd_create("dq-prefetch", getattr(os, "MFD_CLOEXEC", 0)))
            # Two loaders (one core each) share the files: `dq changes` reads two workbooks at once.
            for group in (todo[0::2], todo[1::2]):
                loader = _fork(lambda out, group=group: _load_in_child(group, out)) if group else None
                if loader is not None:
                    loaders.append((loader, group))
        except OSError:  # out of file descriptors or memory: the judge alone, as elsewhere
            pass
        for file in todo:  # a file no loader has is read here
            if not any(file is f for _, group in loaders for f in group):
                _close_memfds([file])
    # Beside a loading child a judge has time to spare (it must only be done before the sheets
    # are): it yields the CPU to the loaders and to this process's imports. The files are judged
    # as they are loaded, by one judge per loader: two workbooks are judged side by side.
    judges: list[tuple[int, int]] = []
    for group in [g for _, g in loaders] if len(loaders) > 1 else [todo]:
        judge = _fork(lambda out, group=group: _judge_in_child(group, out, 10 if loaders else 0))
        if judge is None:
            for child in [*judges, *(loader for loader, _ in loaders)]:
                _stop(child)
                _reap(child[0])
            _close_memfds(todo)
            return None
        judges.append(judge)
    for file in todo:  # check_input here waits for a child's verdict instead of scanning again
        limits.expect(file.key)
    return _Children(tuple(judges), tuple(loaders))


@dataclass(frozen=True)
class _Children:
    judges: tuple[tuple[int, int], ...]  # (pid, read end of its pipe) of each judging child
    loaders: tuple[tuple[tuple[int, int], list[_File]], ...]  # ((pid, read end), the files it loads)

    def stop_loaders(self) -> None:
        for loader, _ in self.loaders:
            _stop(loader)


def _fork(work: Callable[[Any], None]) -> tuple[int, int] | None:
    """(pid, read end of a pipe) of a forked child running `work(pipe's write end as a binary
    file)`; it leaves without running any exit handler. None if the fork failed."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:
        try:
            os.close(read_end)
            # Let go of the parent's standard streams: whoever reads them sees the end when the
            # parent is done, not when this child is.
            quiet = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(quiet, fd)
            _die_with_parent(parent)
            with os.fdopen(write_end, "wb") as out:
                work(out)
        finally:
            os._exit(0)
    os.close(write_end)
    return pid, read_end


def _say(out: Any, *message: object) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def _judge_in_child(todo: list[_File], out: Any, niceness: int = 0) -> None:
    """The judging child: one verdict per file, said as soon as it is known."""
    if niceness:
        try:
            os.nice(niceness)
        except OSError:
            pass
    for file in todo:
        try:
            found_key, scanned = limits.judge(file.path, lambda key=file.key: _say(out, key, "open", {}))
            verdict = "ok" if found_key == file.key else "unknown"
        except InputError:
            verdict, scanned = "refused", {}
        except BaseException:  # noqa: BLE001 - the parent judges the file itself
            verdict, scanned = "unknown", {}
        _say(out, file.key, verdict, scanned)


def _die_with_parent(parent: int) -> None:
    """Linux: this child is killed when the dq process `parent` ends, however it ends."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(0)


_IPC_ALIGN = 64


def _load_in_child(todo: list[_File], out: Any) -> None:
    """The loading child, in its memory sandbox: each sheet of each file into Arrow, written as
    an IPC stream to the file's memfd, its place there said on the pipe. What fails (a damaged
    sheet, the sandbox's limit) is said as None: the parent reads it itself."""
    import resource

    limit = sandbox_bytes()
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import fastexcel
    import pyarrow as pa

    for file in todo:
        try:
            book = fastexcel.read_excel(str(file.path))
            names = list(book.sheet_names)
        except BaseException:  # noqa: BLE001 - the parent opens it and reports what is wrong
            _say(out, file.key, "book", None)
            continue
        _say(out, file.key, "book", names)
        end = 0
        for index in range(len(names)):
            try:
                offsets: list[int] = []

                def every_column(column: Any, offsets: list[int] = offsets) -> bool:
                    offsets.append(column.absolute_index)
                    return True

                batch = book.load_sheet(index, **SHEET_ARGS, eager=True, use_columns=every_column)
                if len(offsets) != batch.num_columns:
                    raise ValueError("column positions not known")
                start = -(-end // _IPC_ALIGN) * _IPC_ALIGN  # aligned: the parent maps it without a copy
                with open(file.memfd[0], "r+b", closefd=False) as sink:
                    sink.seek(start)
                    with pa.ipc.new_stream(sink, batch.schema) as writer:
                        writer.write_batch(batch)
                    end = sink.tell()
                del batch
                _say(out, file.key, "sheet", (index, start, end, offsets))
            except BaseException:  # noqa: BLE001 - MemoryError in the sandbox, a damaged sheet ...
                _say(out, file.key, "sheet", (index, None, None, None))


def _close_memfds(files: Iterable[_File]) -> None:
    for file in files:
        while file.memfd:
            try:
                os.close(file.memfd.pop())
            except OSError:
                pass


def _verdicts(children: _Children, todo: list[_File]) -> Iterator[tuple[str, _File]]:
    """What the judging children say of the files of `todo`, as they say it (one judge after the
    other): ("open", file) once the file may be opened (its shared strings passed), ("ok", file)
    once it is within the limits (its scan results installed here, its gate passed). A refused
    or unjudged file is shut out and left for check_input to judge here; the loading children
    are stopped then (calamine may be reading a file past the limits)."""
    waiting = {file.key: file for file in todo}  # files whose verdict has not come
    unheard = list(children.judges)  # judges not listened to yet (stopped and reaped if never)

    def messages() -> Iterator[tuple[Any, str, Any]]:
        while unheard:
            yield from _heard(unheard.pop(0))

    try:
        for key, kind, said in messages():
            file = waiting.get(key)
            if file is None:
                continue
            if kind == "open":
                yield "open", file
                continue
            del waiting[key]
            if kind == "ok":
                limits.accept(key, said)
                file.gate.pass_()
                yield "ok", file
            else:
                children.stop_loaders()
                limits.give_up(key)  # refused (check_input says so, in its place) or unknown
                file.gate.shut()
                _not_loaded(file)
    except Exception:  # noqa: BLE001 - no verdict: the files are judged here when read
        pass
    finally:
        for pid, read_end in unheard:
            _stop((pid, read_end))
            os.close(read_end)
            _reap(pid)
        if waiting:
            children.stop_loaders()
        for file in waiting.values():  # no verdict came
            limits.give_up(file.key)
            file.gate.shut()
            _not_loaded(file)


def _heard(child: tuple[int, int]) -> Iterator[tuple[Any, str, Any]]:
    """The messages (key, kind, what) a child says on its pipe (`_say`), until it is done; the
    child is reaped then (or when the reader stops listening)."""
    pid, read_end = child
    try:
        with os.fdopen(read_end, "rb") as pipe:
            while True:
                try:
                    yield pickle.load(pipe)
                except EOFError:
                    return
    finally:
        _reap(pid)


def _stop(child: tuple[int, int] | None) -> None:
    if child is not None:
        try:
            os.kill(child[0], signal.SIGKILL)
        except OSError:
            pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _take_loaded(loader: tuple[int, int], todo: list[_File]) -> None:
    """The loading child's messages, handed to the files' futures as they come; at the end (the
    child done, stopped or dead) whatever did not come is handed over as None."""
    by_key = {file.key: file for file in todo}
    try:
        for key, kind, said in _heard(loader):
            file = by_key.get(key)
            if file is None:
                continue
            if kind == "book":
                with _lock:
                    for index in range(len(said or ())):
                        file.sheets[index] = Future()
                file.book.set_result(said)
            elif kind == "sheet":
                index, start, end, offsets = said
                with _lock:
                    pending = file.sheets.get(index)
                if pending is not None and not pending.done():
                    pending.set_result(None if start is None else (start, end, offsets))
    except Exception:  # noqa: BLE001 - a garbled message: what did not come is read here
        pass
    finally:
        for file in todo:
            if not file.book.done():
                file.book.set_result(None)
            with _lock:
                for future in file.sheets.values():
                    if not future.done():
                        future.set_result(None)


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
    where: str = "here"  # "child": loaded by the forked child, mapped from its memfd


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


class _Reader:
    """The workbook's reader as WorkbookGrids uses it: the sheet names the child read, and
    fastexcel's own reader opened here only if a sheet must still be read here."""

    def __init__(self, path: Path, names: list[str]) -> None:
        self.path = path
        self.sheet_names = names
        self._book: Any = None
        self._opening = threading.Lock()

    def book(self) -> Any:
        with self._opening:
            if self._book is None:
                import fastexcel

                self._book = fastexcel.read_excel(str(self.path))
            return self._book

    def load_sheet(self, *args: Any, **kwargs: Any) -> Any:
        return self.book().load_sheet(*args, **kwargs)


def _mapped_sheet(memfd: int, start: int, end: int) -> Any:
    """The RecordBatch the child wrote to `memfd` at [start, end), mapped without a copy."""
    import mmap

    import pyarrow as pa

    mapped = mmap.mmap(memfd, end, prot=mmap.PROT_READ)
    return pa.ipc.open_stream(pa.py_buffer(mapped).slice(start, end - start)).read_next_batch()


_LOADERS = threading.Semaphore(2)  # workbooks loaded at once here (calamine, one core each)


def _load(todo: list[_File], children: _Children | None = None) -> None:
    """The background thread: the verdicts as they come, each accepted workbook handed over on
    its own thread. Whatever happens, nobody is left waiting: what was not loaded is handed over
    as None."""
    threads = []
    started: set[tuple] = set()
    for loader, group in children.loaders if children is not None else ():
        taker = threading.Thread(target=_take_loaded, args=(loader, group), name="dq-prefetch-take", daemon=True)
        taker.start()
        threads.append(taker)
    events = _verdicts(children, todo) if children is not None else (("ok", file) for file in todo)
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
        _close_memfds(todo)


def _load_one(file: _File) -> None:
    try:
        if file.memfd:
            _take_from_child(file)
        else:
            with _LOADERS:
                _load_file(file)
    finally:
        if not file.reader.done():
            _not_loaded(file)


def _take_from_child(file: _File) -> None:
    """Once the limits passed the file: the sheets the child loaded, mapped from its memfd; a
    sheet it could not load (or whose error cells the scan does not know) is read here."""
    file.gate.event.wait()
    if not file.gate.ok:
        _not_loaded(file)
        return
    names = file.book.result()
    if names is None:  # the child did not open it: read here, as without a child
        with _LOADERS:
            _load_file(file)
        return
    reader = _Reader(file.path, names)
    _hand_over(file, len(names), lambda index, member: _child_sheet(file, reader, index, member))
    file.reader.set_result(reader)


def _hand_over(file: _File, count: int, load: Callable[[int, str | None], Any]) -> None:
    """Register the `count` sheets of `file` for take_sheet, then fill each with `load(index, its
    part)` in order; an error is handed over with its sheet (raised where the sheet is taken)."""
    futures: list[Future] = [Future() for _ in range(count)]
    with _lock:
        for index, future in enumerate(futures):
            _sheets[(file.key, index)] = future
    file.opened.set()
    members = _members(file.path, count)
    for index, future in enumerate(futures):
        try:
            future.set_result(load(index, members[index]))
        except BaseException as exc:  # noqa: BLE001 - raised again where the sheet is taken
            future.set_exception(exc)
            if not isinstance(exc, Exception):  # interpreter shutting down: stop here
                for rest in futures[index + 1:]:
                    rest.set_exception(exc)
                raise


def _child_sheet(file: _File, reader: _Reader, index: int, member: str | None) -> Any:
    with _lock:
        pending = file.sheets.get(index)
    where = pending.result() if pending is not None else None
    errors = limits.error_cells(file.path, member) if member is not None else None
    if where is not None and errors is not None:
        start, end, offsets = where
        try:
            return LoadedSheet(_mapped_sheet(file.memfd[0], start, end), offsets, errors, "child")
        except (OSError, ValueError, MemoryError):  # not mapped (memory, a short file): read it here
            pass
    return _load_sheet(reader.book(), file.path, index, member)


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
    _hand_over(file, len(names), lambda index, member: _load_sheet(book, file.path, index, member))
    file.reader.set_result(book)  # only now: the reader is no longer used here
