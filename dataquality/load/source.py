"""One input file as dq reads it: `WorkbookSource`, its verdict, what its scan kept, its sheets.

The load stage reads every input through one `WorkbookSource` (a command may make them first,
to start early, and hand them to the run: `pipeline.Run.workbooks`). It holds, for the life of
the run and no longer:

- the limits' verdict on the file (load/limits.py, with the run's `Limits`), judged once, and
  again only if the file changed since;
- what the limits scan kept of each sheet part (its tail from </sheetData>, its Excel error
  cells), so the reader does not inflate the part again;
- the workbook's reader and its sheets as calamine loads them.

Nothing of a sheet reaches calamine before the verdict passed its file, so a sheet's cells are
allocated only once their exact extent is known to be within the limits. The workbook itself
(its sheet list, its shared strings) is opened as soon as the verdict passed those parts, while
the sheets are still being judged; a file refused on those parts is never opened. `start()` judges and loads on a background thread: calamine reads without
Python's GIL, so a workbook loads while the command is still importing pandas and the rules. The
scan itself is Python (regular expressions over the inflated XML) and would hold the GIL against
those imports: where the process can fork and has no other thread yet, `start()` runs it in a
forked child (`_Judge`) that sends back the verdict, so judging overlaps the imports on another
core. Anything unusual there (the child killed, an unexpected error) and the verdict is made
here instead, as without a fork.

This module imports neither pandas nor the rest of the loader: a command can start its sources
before those are imported.
"""

from __future__ import annotations

import os
import pickle
import threading
import zipfile
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataquality.errors import InputError
from dataquality.load.limits import Limits, SheetScan, check_input

# The arguments calamine is given for a whole sheet: every cell as text, no header.
SHEET_ARGS: dict[str, Any] = {"header_row": None, "skip_rows": 0, "n_rows": None, "dtypes": "string"}
# At most this much workbook (on disk) is loaded ahead of the run by `start_all`; the rest is read
# in its turn (loaded sheets wait in memory until the run takes them).
AHEAD_BYTES = 256 << 20
# At most this many workbooks are judged in forked children at once (the rest on their threads).
JUDGES_MAX = 4
# The kinds calamine reads, and the extensions it knows each by (it opens a file by its extension).
CALAMINE_KINDS = {"xlsx": (".xlsx", ".xlsm"), "xls": (".xls",), "ods": (".ods",)}


@dataclass(frozen=True)
class LoadedSheet:
    """A sheet calamine loaded straight into Arrow: its columns, their absolute column indexes and
    the sheet's Excel error cells (row from 1, absolute column, text), which Arrow leaves empty."""

    batch: Any  # pyarrow.RecordBatch
    offsets: list[int]
    errors: tuple[tuple[int, int, str], ...] = ()


class WorkbookSource:
    """One input file: the limits' verdict, what the scan kept, the loaded sheets (see the module)."""

    def __init__(self, path: Path | str, limits: Limits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits if limits is not None else Limits.from_env()
        self._lock = threading.RLock()  # the verdict and the reader are made once
        self._judged: tuple[tuple[int, int, int] | None, dict[str, SheetScan] | InputError] | None = None
        self._book: Any = None
        self._ahead: dict[int, Future] = {}  # sheets loaded by start(), taken once
        self._started: threading.Thread | None = None
        self._parts: list[str | None] | None = None  # the sheet parts in calamine's order
        self._judge: _Judge | None = None  # the verdict being made in a forked child, taken once

    # --- the verdict ------------------------------------------------------------------------

    def check(self) -> Mapping[str, SheetScan]:
        """The limits' verdict on the file as it is now: what the scan kept of each sheet part, or
        InputError (refused, missing, not a regular file) naming the limit and how to raise it."""
        with self._lock:
            now = _identity(self.path)
            judge, self._judge = self._judge, None
            if judge is not None:
                verdict = judge.verdict()  # (the child reaped in any case)
                if verdict is not None and self._judged is None and now is not None and judge.identity == now:
                    self._judged = (now, verdict)
            if self._judged is None or self._judged[0] != now or now is None:
                try:
                    found: dict[str, SheetScan] | InputError = check_input(self.path, self.limits)
                except InputError as exc:
                    found = exc
                self._judged = (now, found)
            found = self._judged[1]
        if isinstance(found, InputError):
            raise InputError(found.key, **found.params)
        return found

    def scan(self, member: str | None) -> SheetScan | None:
        """What the limits scan saw of sheet part `member` (None when it was not scanned)."""
        return self.check().get(member) if member is not None else None

    # --- the workbook -----------------------------------------------------------------------

    def sheet_names(self, kind: str = "xlsx") -> list[str]:
        """The workbook's sheets, as calamine lists them (InputError when the limits refuse it)."""
        self._wait()
        book = self._open(kind)
        self.check()
        return list(book.sheet_names)

    def loading(self) -> bool:
        """Whether `start()`'s thread is still judging or loading the workbook."""
        return self._started is not None and self._started.is_alive()

    def _wait(self) -> None:
        if self._started is not None:
            self._started.join()  # the reader is not used from two threads at a time

    def _open(self, kind: str) -> Any:
        """fastexcel's reader of the workbook, opened once the verdict passed it, or passed the
        workbook's own parts while its sheets are still being judged (see `_Judge`)."""
        with self._lock:
            judge = self._judge
            early = (judge is not None and self._judged is None and judge.identity == _identity(self.path)
                     and judge.parts())
        if not early:
            self.check()
        with self._lock:
            if self._book is None:
                import fastexcel

                self._book = fastexcel.read_excel(calamine_source(self.path, kind))
            return self._book

    def sheet(self, index: int, kind: str = "xlsx", n_rows: int | None = None) -> Any:
        """Sheet `index` as calamine reads it: a LoadedSheet (straight into Arrow) when the scan
        knows the sheet's error cells, else fastexcel's lazy sheet (whose conversion reports them).
        A whole sheet loaded by `start()` is handed over once."""
        self._wait()
        ahead = self._ahead.pop(index, None) if n_rows is None else None
        if ahead is not None:
            return ahead.result()
        book = self._open(kind)
        if n_rows is not None:
            self.check()  # (calamine reads the whole sheet even for its first rows)
            return book.load_sheet(index, **{**SHEET_ARGS, "n_rows": n_rows})
        return self._whole_sheet(book, index)

    def _whole_sheet(self, book: Any, index: int) -> Any:
        verdict = self.check()  # every sheet judged before any is loaded
        members = self._members(len(book.sheet_names))
        found = verdict.get(members[index]) if index < len(members) and members[index] is not None else None
        if found is None or found.errors is None:
            return book.load_sheet(index, **SHEET_ARGS)
        offsets: list[int] = []

        def every_column(column: Any) -> bool:
            offsets.append(column.absolute_index)
            return True

        batch = book.load_sheet(index, **SHEET_ARGS, eager=True, use_columns=every_column)
        if len(offsets) != batch.num_columns:
            return book.load_sheet(index, **SHEET_ARGS)
        return LoadedSheet(batch, offsets, found.errors)

    def _members(self, count: int) -> list[str | None]:
        """The sheet parts in the order calamine lists the sheets (None where unknown), read once."""
        from dataquality.load.cells import xlsx_sheet_members

        if self._parts is None:
            try:
                with zipfile.ZipFile(self.path) as zf:
                    self._parts = list(xlsx_sheet_members(zf))
            except Exception:  # noqa: BLE001 - not an xlsx, or unusual parts: the lazy sheet reports error cells
                self._parts = []
        return list(self._parts) if len(self._parts) == count else [None] * count

    # --- early start ------------------------------------------------------------------------

    def start(self) -> WorkbookSource:
        """Judge the workbook and load its sheets on a background thread (an .xlsx or .xlsm only);
        whatever fails there is left for the run, which reports it in its place. The judging goes
        to a forked child when this is the process's only thread (see the module)."""
        if self._started is None and self.path.suffix.lower() in CALAMINE_KINDS["xlsx"]:
            self._fork_judge()
            self._started = threading.Thread(target=self._load_ahead, name="dq-load", daemon=True)
            self._started.start()
        return self

    def _fork_judge(self) -> bool:
        """Start judging in a forked child (see `_Judge`); False where it is not done."""
        if self._judge is None and self._judged is None and self.path.suffix.lower() in CALAMINE_KINDS["xlsx"]:
            self._judge = _Judge.fork(self.path, self.limits)
        return self._judge is not None

    def _load_ahead(self) -> None:
        try:
            book = self._open("xlsx")  # raises when the limits refuse the file: nothing is loaded
            for index in range(len(book.sheet_names)):
                future: Future = Future()
                try:
                    future.set_result(self._whole_sheet(book, index))
                except Exception as exc:  # noqa: BLE001 - raised where the run takes the sheet
                    future.set_exception(exc)
                self._ahead[index] = future
        except Exception:  # noqa: BLE001 - the run judges and opens the file again, and reports
            self._ahead.clear()


def as_source(file: Path | str | WorkbookSource) -> WorkbookSource:
    """`file` itself, or a source of the path within the default limits (DQ_MAX_* or built in)."""
    return file if isinstance(file, WorkbookSource) else WorkbookSource(file)


def start_all(paths: Iterable[Path | str], limits: Limits | None = None,
              ahead_bytes: int = AHEAD_BYTES) -> dict[Path, WorkbookSource]:
    """A source for each path, the first workbooks (up to `ahead_bytes` on disk) started early."""
    sources = {}
    ahead = []
    left = ahead_bytes
    for raw in paths:
        source = WorkbookSource(raw, limits)
        sources[source.path] = source
        try:
            left -= source.path.stat().st_size
        except OSError:
            continue  # the run says what is wrong, in its place
        if left >= 0:
            ahead.append(source)
    forked = 0
    for source in ahead:  # every judge is forked before the first thread starts (a fork copies one thread)
        if forked < JUDGES_MAX and source._fork_judge():
            forked += 1
    for source in ahead:
        source.start()
    return sources


class _Judge:
    """The limits' verdict on one workbook, made in a forked child and sent back through a pipe.

    The child shares nothing with the parent afterwards: it scans the file (load/limits.py), writes
    the pickled verdict (what the scan kept, or the refusal's message key and values) and leaves by
    os._exit, running none of the parent's exit handlers. The parent takes the verdict once; when
    the child died or failed it gets None and judges the file itself.

    The child first says when the workbook's own parts passed (`parts`: its shared strings, which
    opening the workbook allocates), then sends the verdict; the parent opens the workbook in
    between. Opening holds the GIL against the command's imports, but on a big workbook the sheets'
    scan takes longer than both (1M rows: the scan 2.1 s, the opening 0.6 s)."""

    def __init__(self, pid: int, fd: int, identity: tuple[int, int, int]) -> None:
        self.pid, self.fd, self.identity = pid, fd, identity
        self._verdict: dict[str, SheetScan] | InputError | None = None
        self._done = False
        self._parts: bool | None = None  # whether the workbook's own parts passed (None: not yet read)

    @classmethod
    def fork(cls, path: Path, limits: Limits) -> _Judge | None:
        """A judge of `path` in a forked child; None where forking is not safe or possible (no
        os.fork, or another thread running, whose locks the child would inherit held)."""
        identity = _identity(path)
        if not hasattr(os, "fork") or threading.active_count() > 1 or identity is None:
            return None
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # pragma: no cover - the child (measured by the tests through its verdict)
            _judge_child(path, limits, read_end, write_end)
        os.close(write_end)
        return cls(pid, read_end, identity)

    def verdict(self) -> dict[str, SheetScan] | InputError | None:
        """The child's verdict (None: it failed; the caller judges again), the child reaped."""
        if not self._done:
            self.parts()
        if not self._done:
            self._finish(self._read())
        return self._verdict

    def parts(self) -> bool:
        """Whether the workbook's own parts passed (False: refused, the child failed, or nothing
        was said of them; the whole verdict then decides). Waits for the child's first word."""
        if self._parts is None:
            message = self._read() if not self._done else None
            self._parts = message == ("parts",)
            if not self._parts and not self._done:
                self._finish(message)
        return self._parts

    def __del__(self) -> None:
        """A judge whose verdict was never asked for (the run ended first): its child is stopped
        and reaped, not left behind."""
        if not self._done:
            import signal

            self._done = True
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                os.close(self.fd)
            except OSError:
                pass

    def _read(self) -> tuple[Any, ...] | None:
        head = self._exactly(8)
        if head is None:
            return None
        body = self._exactly(int.from_bytes(head, "little"))
        return pickle.loads(body) if body is not None else None  # written by our own child, just now

    def _exactly(self, size: int) -> bytes | None:
        chunks, left = [], size
        try:
            while left and (chunk := os.read(self.fd, min(left, 1 << 20))):
                chunks.append(chunk)
                left -= len(chunk)
        except OSError:
            return None
        return b"".join(chunks) if not left else None

    def _finish(self, message: tuple[Any, ...] | None) -> None:
        self._done = True
        os.close(self.fd)
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            status = -1
        if status != 0 or message is None or message[0] not in ("verdict", "refused"):
            self._verdict = None
        elif message[0] == "refused":
            self._verdict = InputError(message[1], **message[2])
        else:
            self._verdict = message[1]


def _judge_child(path: Path, limits: Limits, read_end: int, write_end: int) -> None:  # pragma: no cover
    """The forked child's whole life: judge, write the verdict, leave without cleaning up."""

    def send(message: tuple[Any, ...]) -> None:
        body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        data = memoryview(len(body).to_bytes(8, "little") + body)
        while data:
            data = data[os.write(write_end, data):]

    code = 1
    try:
        os.close(read_end)
        # The caller's terminal or pipes are not the judge's: a caller waiting for dq's output to
        # end (a shell's $(dq ...), subprocess.communicate) must not wait for a judge still scanning
        # after dq itself has left (interrupted, say).
        quiet = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(quiet, fd)
        try:
            found: tuple[Any, ...] = ("verdict", check_input(path, limits, lambda: send(("parts",))))
        except InputError as exc:
            found = ("refused", exc.key, exc.params)
        send(found)
        code = 0
    except BaseException:  # noqa: BLE001, S110 - the parent judges again; nothing is said from here
        pass
    finally:
        os._exit(code)


def calamine_source(path: Path, kind: str) -> str | bytes:
    """What to give calamine for a workbook: its path when the extension names its kind (calamine
    picks its reader by the extension), else its bytes (calamine then reads what they are)."""
    if path.suffix.lower() in CALAMINE_KINDS.get(kind, ()):
        return str(path)
    return path.read_bytes()


def _identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of the file now: a changed file is judged again."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


