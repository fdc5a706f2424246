"""Resource limits checked before a file is read, so no input can exhaust memory or block.

A workbook is judged from its zip directory and a streamed scan of its XML parts (decompressed
in chunks, searched with C-level regexes; nothing is kept per cell): the bytes it expands to,
the cells and columns its sheets span (calamine allocates rows x columns for a sheet, so one
far cell such as XFD1048576 costs terabytes) and its shared strings. Only regular files are
read: a FIFO, a device (/dev/zero) or a socket is refused before it is opened.

The limits can be raised with `dq --max-bytes/--max-cells/--max-columns/--max-strings`
or the environment variables DQ_MAX_BYTES, DQ_MAX_CELLS, DQ_MAX_COLUMNS, DQ_MAX_STRINGS.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from dataquality.errors import InputError
from dataquality.load import zipparts

_CHUNK = 1 << 20
_OVERLAP = 64


@dataclass(frozen=True)
class Limits:
    """The largest input dq reads; a file past one is refused with exit 2 naming the limit."""

    max_bytes: int = 1 << 30  # a CSV file, or what a workbook's parts expand to (1 GiB)
    max_cells: int = 20_000_000  # rows x columns spanned by one sheet
    max_columns: int = 16_384  # columns spanned by one sheet (Excel's own maximum)
    max_strings: int = 10_000_000  # entries in a workbook's shared-string table

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, overridden by DQ_MAX_BYTES, DQ_MAX_CELLS, DQ_MAX_COLUMNS, DQ_MAX_STRINGS."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"DQ_{f.name.upper()}")
            if raw and raw.strip().isdigit() and int(raw) > 0:
                values[f.name] = int(raw)
        return cls(**values)


@dataclass(frozen=True)
class SheetScan:
    """What the scan of one sheet part saw that the reader can use, so the part is inflated once."""

    tail: bytes | None  # from </sheetData> to the end (None if not found or larger than _TAIL_MAX)
    errors: tuple[tuple[int, int, str], ...] | None  # Excel error cells (row from 1, column from 0, text); None: unknown
    # Whether some cell value is a number of 16+ digits (or 1E15 and up), which calamine reads back
    # from a double: only then is the part read again for the digits as stored (load/files.py).
    long_numbers: bool = True


_TAIL_MAX = 16 << 20  # a larger tail is not kept (load/cells.py reads it itself)


def check_input(path: Path, limits: Limits, parts_judged: Callable[[], None] | None = None) -> dict[str, SheetScan]:
    """Refuse anything but a regular file within `limits` (InputError naming the limit); a damaged
    zip is left to the reader. Returns, for a workbook, what the scan saw of each sheet part.

    `parts_judged` is called once a workbook's own parts (its size as declared, its shared strings)
    are judged, before its sheets are: what opening the workbook allocates is then known to be
    within the limits, and no sheet's cells yet."""
    if path.name.startswith("~$"):  # Excel's owner file while a workbook is open, not the workbook
        raise InputError("limits.lock_file", file=str(path), original=path.name[2:])
    st = regular_file(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(2)
    except OSError:
        return {}  # sniff_kind names the error
    if head == b"PK":
        return _check_zip(path, limits, parts_judged)
    if st.st_size > limits.max_bytes:
        _refuse("max_bytes", path, "-", st.st_size, limits.max_bytes)
    return {}


def regular_file(path: Path) -> os.stat_result:
    """The file's status, refusing what is not a regular file before it is opened (a FIFO would
    block, a device never ends); a symlink to a regular file is fine."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError("load.not_found", file=str(path)) from None
    except OSError as exc:
        raise InputError("load.unreadable", file=str(path), error=exc.strerror or str(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("load.is_directory", file=str(path))
    if not stat.S_ISREG(st.st_mode):
        raise InputError("limits.not_regular", file=str(path))
    return st


def check_span(path: Path, sheet: str, rows: int, columns: int, limits: Limits) -> None:
    """Refuse a sheet read from text (an HTML table, an XML Spreadsheet 2003) once it spans more
    columns or cells than the limits allow: called as its rows are read, before they are kept."""
    if columns > limits.max_columns:
        _refuse("max_columns", path, sheet, columns, limits.max_columns)
    if rows * columns > limits.max_cells:
        _refuse("max_cells", path, sheet, rows * columns, limits.max_cells)


def _refuse(limit: str, path: Path, sheet: str, found: int, allowed: int) -> None:
    raise InputError(
        f"limits.{limit}", file=str(path), sheet=sheet, found=f"{found:,}", limit=f"{allowed:,}",
        option=f"--{limit.replace('_', '-')}", env=f"DQ_{limit.upper()}",
    )


def _check_zip(path: Path, limits: Limits, parts_judged: Callable[[], None] | None = None) -> dict[str, SheetScan]:
    try:
        zf = zipparts.PartsZip(path)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error):
        return {}  # sniff_kind reports it as damaged
    with zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_bytes:
            _refuse("max_bytes", path, "-", declared, limits.max_bytes)
        sheets = _sheet_names(zf)
        budget = _Budget(limits.max_bytes)  # the directory may lie: count what the parts really expand to
        for info in infos:
            if info.filename.lower().endswith("sharedstrings.xml"):
                _check_strings(zf, info, path, limits, budget)
            elif info.filename == "content.xml":  # an OpenDocument spreadsheet's sheets
                _check_ods(zf, info, path, limits, budget)
        if parts_judged is not None:
            parts_judged()
        return {info.filename: _check_sheet(zf, info, path, sheets.get(info.filename, info.filename), limits, budget)
                for info in infos if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")}


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Part name -> sheet name as shown in Excel, best effort (for the message only)."""
    try:
        book = zf.read("xl/workbook.xml")[: 1 << 20].decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels")[: 1 << 20].decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, zlib.error, RuntimeError):
        return {}
    targets = {}
    for m in re.finditer(r"<Relationship\b[^>]*>", rels):
        rid, target = re.search(r'Id="([^"]+)"', m.group()), re.search(r'Target="([^"]+)"', m.group())
        if rid and target:
            targets[rid.group(1)] = "xl/" + target.group(1).lstrip("/").removeprefix("xl/")
    out = {}
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", book):
        name, rid = re.search(r'\bname="([^"]*)"', m.group()), re.search(r'\br:id="([^"]+)"', m.group())
        if name and rid and rid.group(1) in targets:
            out[targets[rid.group(1)]] = name.group(1)
    return out


@dataclass
class _Budget:
    """The bytes a workbook's parts may still expand to (max_bytes, counted as they are inflated)."""

    limit: int
    used: int = 0


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: _Budget) -> Iterator[tuple[bytes, int]]:
    """(chunk, start of the new bytes in it): the part in overlapping chunks, within the byte budget."""
    try:
        tail = b""
        for chunk in zipparts.chunks(zf, info, _CHUNK):
            budget.used += len(chunk)
            if budget.used > budget.limit:
                _refuse("max_bytes", path, "-", budget.used, budget.limit)
            yield tail + chunk, len(tail)
            tail = chunk[-_OVERLAP:]
    except (zipfile.BadZipFile, zlib.error, EOFError):
        # A member that inflates past its declared size or fails its CRC: a damaged file or a bomb
        # whose directory lies. Either way it is not read.
        raise InputError("load.corrupt", file=str(path)) from None
    except (OSError, RuntimeError, NotImplementedError):
        return  # encrypted member or an unusual compression method: the reader reports it


# Where calamine puts a cell: at its own reference (r="C40" puts it in row 40 whatever its row
# says; letters in either case, any number of them), else one column right of the cell before it,
# in the row counted from the row before (a row without r= is the row after the one before). The
# span it allocates reaches the farthest cell, so the scan looks at cells, not at rows.
#
# Regular writers (Excel, openpyxl, XlsxWriter, LibreOffice, WPS) start every cell with `<c r="`:
# a chunk where every cell does is scanned at memchr speed (literal-led patterns; the last cell's
# row is a real row, and only cells placed below it or right of the widest so far are looked at
# one by one: rows and columns are both counted exactly). Any other chunk
# (cells without r=, attributes before r, namespace prefixes) is walked tag by tag (_Walk).
_CELL_AT = re.compile(rb'<c r="[A-Za-z]*([0-9]{1,10})"')


def _beyond(letters: bytes) -> re.Pattern[bytes]:
    """Cells written `<c r="..">` whose column is past column `letters` (upper case; b"" for none
    yet): as many letters and a later column (a trie of the letters, so most cells fail at their
    first letter), or more letters. One search of each chunk finds every one: the width is
    counted exactly, and costs one pass when it does not grow (the common case)."""
    return _beyond_pattern(letters)


@functools.lru_cache(maxsize=64)
def _beyond_pattern(letters: bytes) -> re.Pattern[bytes]:
    def later(d: bytes) -> bytes:
        alternatives = []
        if d[0] < ord("Z"):
            alternatives.append(b"[%c-Z%c-z]" % (d[0] + 1, d[0] + 33) + b"[A-Za-z]" * (len(d) - 1))
        if len(d) > 1 and (rest := later(d[1:])):
            alternatives.append(b"[%c%c]" % (d[0], d[0] + 32) + rest)
        return b"(?:" + b"|".join(alternatives) + b")" if alternatives else b""

    same = later(letters) if letters else b""
    return re.compile(rb'<c r="(%s[A-Za-z]{%d,})[0-9]' % (same + b"|" if same else b"", len(letters) + 1))


def _below(row: int) -> re.Pattern[bytes]:
    """Cells written `<c r="..">` whose row is past `row`: as many digits and a larger number
    (a trie of the digits, so most cells fail at their first digit), or more digits. A chunk
    with a reference of four letters or more is walked instead (_check_sheet)."""
    return _below_pattern(str(row).encode())


@functools.lru_cache(maxsize=64)
def _below_pattern(digits: bytes) -> re.Pattern[bytes]:
    def larger(d: bytes) -> bytes:
        alternatives = [b"[%c-9]" % (d[0] + 1) + b"[0-9]" * (len(d) - 1)] if d[0] < ord("9") else []
        if len(d) > 1 and (rest := larger(d[1:])):
            alternatives.append(d[:1] + rest)
        return b"(?:" + b"|".join(alternatives) + b")" if alternatives else b""

    same = larger(digits)
    return re.compile(rb'<c r="[A-Za-z][A-Za-z]?[A-Za-z]?(%s[0-9]{%d,10})"' % (same + b"|" if same else b"", len(digits) + 1))


# A value of 16 or more digits, or written 1E15 and up: a number a double may not hold (any `<v>`,
# any namespace prefix; a shared string's index is never that long). Presence only.
_LONG_NUMBER = rb"<(?:[A-Za-z_][A-Za-z0-9_.-]*:)?v(?:\s[^>]*)?>\s*-?(?:[0-9]{16}|[0-9](?:\.[0-9]+)?[Ee]\+?(?:1[5-9]|[2-9][0-9]))"
_LONG_NUMBER_RE = re.compile(_LONG_NUMBER)
# A cell tag (or any tag whose name starts with c) not written `<c r="`: the chunk is walked.
_ODD_CELL = re.compile(rb'<c(?! r=")')


def _re2() -> Any:
    """google-re2, where installed: a DFA that tells in one pass over a chunk whether any of the
    scan's patterns occurs (about four times faster than Python's re, which then reads the rare
    chunk where one does). None where it is not installed: every chunk is read with re."""
    try:
        import re2
    except ImportError:
        return None
    return re2


@functools.lru_cache(maxsize=8)
def _nothing_to_read(widest: bytes, row: int, long_seen: bool) -> Any:
    """One RE2 pattern for a chunk the regular way needs nothing more from: a cell wider than
    `widest`, a cell below `row`, a tag starting `<c` not written `<c r="` (the alternatives
    spell out what _ODD_CELL's look-ahead says), a namespace prefix (`:c`) or, until one was
    seen, a long number. Bytes as Latin-1, so any byte is a character. (Error cells are not
    among them: a master with #N/A in every chunk is common, and they are found apart.)"""
    re2 = _re2()
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.never_capture = True
    options.log_errors = False
    odd = rb'<c(?:[^ ]| [^r]| r[^=]| r=[^"])'
    wanted = (_beyond(widest).pattern, _below(row).pattern, odd, rb":c", *(() if long_seen else (_LONG_NUMBER,)))
    return re2.compile(b"|".join(wanted), options)


# The walk: row and cell tags (any namespace prefix), attributes read with their quotes (a quoted
# value may hold '>').
_TAG = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_TAG_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|c)[\s/>]")
_NAME_CUT = re.compile(rb"<[\w.:-]{0,64}")
_R = re.compile(rb"""\sr\s*=\s*["']\s*([A-Za-z]*)([0-9]*)""")
_TAG_MAX = 1 << 20  # a tag longer than this is not a spreadsheet's
_LETTERS_MAX = 8  # more letters than this are past any limit already (and not counted one by one)


def _number(digits: bytes) -> int:
    """A row number as written, any length: past 15 significant digits it is far beyond any limit
    (and int() refuses strings of over 4,300 digits)."""
    significant = digits.lstrip(b"0")
    return int(significant) if len(significant) <= 15 else 10 ** 15


@dataclass
class _Walk:
    """Calamine's placing of cells, followed tag by tag across chunks: the farthest cell seen."""

    row: int = 0  # the row a cell without r= goes into (an upper bound after skipped chunks)
    column: int = 0  # the column of the last cell of the row
    far_row: int = 0
    far_column: int = 0
    carry: bytes = b""  # an unfinished row or cell tag at the end of the last chunk walked
    after_skip: bool = False  # the last chunk was not walked: walk this one from its overlap

    def skipped(self, far_row: int, rows: int, far_column: int) -> None:
        """A chunk scanned the regular way (every cell `<c r=`): bounds for what comes after."""
        self.row = max(self.row, far_row) + rows
        self.column = max(self.column, far_column)
        self.after_skip = True

    def walk(self, chunk: bytes, fresh: int, path: Path) -> None:
        """Follow the tags of `chunk` (new bytes from `fresh`; a tag cut by the last chunk's end
        is finished here)."""
        data = chunk if self.after_skip else self.carry + chunk[fresh:]
        self.after_skip = False
        end = 0
        for tag in _TAG.finditer(data):
            end = tag.end()
            r = _R.search(tag.group(2))
            if tag.group(1) == b"row":
                self.row = _number(r.group(2)) if r and r.group(2) and not r.group(1) else self.row + 1
                self.column = 0
                continue
            if r and r.group(1):
                self.column = _column_number(r.group(1)[:_LETTERS_MAX].upper())
            else:
                self.column += 1
            row = _number(r.group(2)) if r and r.group(2) else self.row
            self.far_row = max(self.far_row, row)
            self.far_column = max(self.far_column, self.column)
        rest = data.rfind(b"<", end)
        # Carried: a row or cell tag without its end yet, or a name cut short ("<ro", "<x:").
        cut = rest >= 0 and (_TAG_START.match(data, rest) is not None or _NAME_CUT.fullmatch(data, rest) is not None)
        self.carry = data[rest:] if cut else b""
        if len(self.carry) > _TAG_MAX:
            raise InputError("load.corrupt", file=str(path))


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


# An Excel error cell: <c r="J809" s="3" t="e"><f>NA()</f><v>#N/A</v></c> (formula optional).
_ERROR_CELL = re.compile(
    rb"""<(?:\w+:)?c\s[^>]*?\br=["']([A-Z]{1,3})([0-9]{1,7})["'][^>]*>"""
    rb"""(?:<(?:\w+:)?f\b[^>]*/>|<(?:\w+:)?f\b[^>]*>[^<]*</(?:\w+:)?f>)?<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>""")
_ERROR_TEXT = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"))


def _error_cells(chunk: bytes, fresh: int, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]] | None:
    """`found` with the error cells whose t="e" mark lies in the new bytes of `chunk` (from `fresh`).
    None when one is not wholly in this chunk or is written in a way not understood here: the
    reader then asks calamine, which knows."""
    for mark in (b't="e"', b"t='e'"):
        at = chunk.find(mark, fresh)  # memchr-speed; one step per error cell (a handful)
        while at >= 0:
            start = chunk.rfind(b"<", 0, at)
            cell = _ERROR_CELL.match(chunk, start) if start >= 0 and chunk[at - 1: at] in _SPACES else None
            if cell is None or chunk.find(b">", start) < at:  # not an attribute of this cell's tag
                return None
            text = cell.group(3).decode("utf-8", "replace")
            found.append((int(cell.group(2)), _column_number(cell.group(1)) - 1, text if text in _ERROR_TEXT else "#ERROR!"))
            at = chunk.find(mark, at + 1)
        if mark == b't="e"' and b"'" not in chunk:
            break
    return found


_SPACES = (b" ", b"\t", b"\n", b"\r")


def _check_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, sheet: str, limits: Limits,
                 budget: _Budget) -> SheetScan:
    """Refuse a sheet past the limits; returns what the scan saw that the reader can use."""
    far_row = 0
    widest = b""  # the widest column reference of a cell written `<c r="` (counted exactly)
    walk = _Walk()
    # The last chunks, enough to hold a tail of _TAIL_MAX: </sheetData> is looked for once, at the end.
    recent: deque[tuple[bytes, int]] = deque()
    held = 0
    errors: list[tuple[int, int, str]] | None = []  # Excel error cells seen; None: some not understood
    fast = _re2() is not None
    long_seen = False
    stream = _stream(zf, info, path, budget)
    chunks = _SearchAhead(lambda: (widest, far_row, long_seen)).chunks(stream) if fast else _unsearched(stream)
    for chunk, fresh, searched in chunks:
        recent.append((chunk, fresh))
        held += len(chunk) - fresh
        while len(recent) > 1 and held - (len(recent[0][0]) - recent[0][1]) > _TAIL_MAX + _OVERLAP:
            first, start = recent.popleft()
            held -= len(first) - start
        if errors is not None:
            errors = _error_cells(chunk, fresh, errors)
        if fast and not walk.carry:
            row = max(far_row, _last_cell_row(chunk))
            if _found(searched, (widest, row, long_seen), chunk) is None:  # (almost every chunk)
                far_row = row
                walk.skipped(far_row, (len(chunk) - fresh) // 6, _column_number(widest))
                continue
        # The cell tags starting from 6 bytes before the new bytes to 6 before the end (one cut
        # there is counted with the next chunk) all written `<c r="`, or the chunk is walked.
        since, until = max(0, fresh - 6), len(chunk) - 6
        if walk.carry or b":c" in chunk:
            long_seen = long_seen or _LONG_NUMBER_RE.search(chunk) is not None
            walk.walk(chunk, fresh, path)  # cells placed some other way: followed one by one
            continue
        row = max(far_row, _last_cell_row(chunk))
        long_seen = long_seen or _LONG_NUMBER_RE.search(chunk) is not None
        odd = _ODD_CELL.search(chunk, since, until + 5)  # (a `<c` from `until` on is the next chunk's)
        wider = {letters[:_LETTERS_MAX].upper() for letters in _beyond(widest).findall(chunk)}
        if (odd is not None and odd.start() < until) or any(len(letters) > 3 for letters in wider):  # (_below: three letters)
            walk.walk(chunk, fresh, path)
            continue
        below = _below(row).findall(chunk)
        far_row = max(row, max(map(int, below))) if below else row
        for letters in wider:
            if (len(letters), letters) > (len(widest), widest):
                widest = letters
        # Rows are not counted here (cells with r= do not need them): at most one per 6 bytes
        # (`<row/>`), a bound for cells without r= in a later chunk (a mixed sheet, rare).
        walk.skipped(far_row, (len(chunk) - fresh) // 6, _column_number(widest))
    max_row = max(far_row, walk.far_row)
    columns = max(_column_number(widest), walk.far_column, 1)
    if columns > limits.max_columns:
        _refuse("max_columns", path, sheet, columns, limits.max_columns)
    if max_row * columns > limits.max_cells:
        _refuse("max_cells", path, sheet, max_row * columns, limits.max_cells)
    return SheetScan(_tail(recent), tuple(errors) if errors is not None else None, long_seen)


class _SearchAhead:
    """The RE2 search of each chunk (`_nothing_to_read`) started on a worker thread as soon as the
    chunk is inflated, while the scan's own thread inflates the next one and looks for its error
    cells: RE2 and the inflating release the GIL, so on two cores the scan takes about the time of
    its searches alone. A search is made with the state (widest column, row, long number seen) the
    scan has when the chunk is inflated, and the chunk's own last row; the scan uses it only where
    that is the state it reaches (`_found`), which it is unless a chunk before it changed the state."""

    def __init__(self, state: Callable[[], tuple[bytes, int, bool]]) -> None:
        self.state = state

    def chunks(self, stream: Iterator[tuple[bytes, int]]) -> Iterator[tuple[bytes, int, Any]]:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="dq-scan") as pool:
            pending = None
            for chunk, fresh in stream:
                widest, far_row, long_seen = self.state()
                key = (widest, max(far_row, _last_cell_row(chunk)), long_seen)
                started = (key, pool.submit(_search, key, chunk))
                if pending is not None:
                    yield pending
                pending = (chunk, fresh, started)
            if pending is not None:
                yield pending


def _search(key: tuple[bytes, int, bool], chunk: bytes) -> Any:
    return _nothing_to_read(*key).search(chunk)


def _unsearched(stream: Iterator[tuple[bytes, int]]) -> Iterator[tuple[bytes, int, Any]]:
    for chunk, fresh in stream:
        yield chunk, fresh, None


def _found(searched: Any, key: tuple[bytes, int, bool], chunk: bytes) -> Any:
    """The search of `chunk` with the scan's state `key`: the one started ahead when it was made with
    that state, else made now."""
    if searched is not None:
        made_with, future = searched
        found = future.result()
        if made_with == key:
            return found
    return _search(key, chunk)


def _last_cell_row(chunk: bytes) -> int:
    """The row of the last whole cell written `<c r="` in `chunk` (a row some cell is in; 0: none)."""
    last = chunk.rfind(b'<c r="')
    for at in (last, chunk.rfind(b'<c r="', 0, max(last, 0))):
        cell = _CELL_AT.match(chunk, at) if at >= 0 else None
        if cell is not None:
            return int(cell.group(1))
    return 0


def _tail(recent: deque[tuple[bytes, int]]) -> bytes | None:
    """From </sheetData> (or an empty <sheetData/>) to the end, when that is at most _TAIL_MAX."""
    end = b"".join(chunk[fresh:] for chunk, fresh in recent)
    at = end.rfind(b"</sheetData>")
    if at < 0:
        at = end.rfind(b"<sheetData/>")
    return end[at:] if at >= 0 and len(end) - at <= _TAIL_MAX else None


# OpenDocument (content.xml): calamine reads the tags with exactly these names. A cell repeated
# N times (table:number-columns-repeated) is N cells; a row repeated N times is N rows once a
# later row has a value; empty cells at the end of a row and empty rows at the end of a sheet
# take no room. A cell has a value when it has a value attribute, a formula or a string type.
# The scan goes from row tag to row tag (its end found at memchr speed); a row's cells are looked
# at one by one from its end back to its last cell with a value, and forward only when a cell
# before that is repeated.
_ATTRS = rb"""([^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*)"""  # attributes, a quoted '>' among them
_ODS_START = re.compile(rb"<(/?)table:table(-row)?(?=[\s/>])" + _ATTRS + rb">")  # a table's or a row's tag
_ODS_ROW_END = b"</table:table-row>"
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell(?=[\s/>])" + _ATTRS + rb">")
_ODS_REPEATED = re.compile(rb"""table:number-(?:rows|columns)-repeated\s*=\s*["']\s*([0-9]{1,18})""")
_ODS_VALUE = re.compile(rb"""office:(?:value|string-value|date-value|time-value|boolean-value)\s*=|table:formula\s*="""
                        rb"""|office:value-type\s*=\s*["']string["']""")
_ODS_NAME = re.compile(rb"""table:name\s*=\s*["']([^"']*)""")
_ROW_MAX = 64 << 20  # a row longer than this (unfinished at a chunk's end) is not a spreadsheet's


@dataclass
class _OdsTable:
    """One sheet of content.xml as calamine lays it out: rows (repeats counted) from the first row
    with a value to the last, columns to the last cell with a value in any row."""

    name: str = "-"
    rows: int = 0  # rows so far, repeats counted
    first: int | None = None  # the first row with a value (from 0)
    last: int = 0  # one past the last row with a value
    width: int = 0  # one past the last cell with a value, in any row

    def row(self, attrs: bytes, used: int) -> None:
        """A row (its attributes) whose cells reach `used` columns with a value (0: none)."""
        found = _ODS_REPEATED.search(attrs)
        repeats = _number(found.group(1)) if found else 1
        if used:
            self.first = self.rows if self.first is None else self.first
            self.last = self.rows + repeats
            self.width = max(self.width, used)
        self.rows += repeats

    def cells(self) -> tuple[int, int]:
        """(columns, cells) of the sheet as calamine will hold it (from its first row, column A)."""
        rows = self.last - self.first if self.first is not None else 0
        return self.width, rows * self.width


def _ods_row_width(data: bytes, start: int, end: int) -> int:
    """One past the last cell with a value among a row's cells, data[start:end] (0: none has one)."""
    covered = data.find(b"<table:covered-table-cell", start, end) >= 0  # (merged cells: rare)
    while True:  # the last cell with a value: what follows it takes no room
        at = data.rfind(b"<table:table-cell", start, end)
        if covered:
            at = max(at, data.rfind(b"<table:covered-table-cell", start, end))
        if at < 0:
            return 0
        last = _ODS_CELL.match(data, at, end)
        if last is not None and _ODS_VALUE.search(last.group(1)):
            break
        end = at
    end = last.end()
    if data.find(b"repeated", start, end) < 0:
        return data.count(b"<table:table-cell", start, end) + (data.count(b"<table:covered-table-cell", start, end) if covered else 0)
    column = 0
    for cell in _ODS_CELL.finditer(data, start, end):
        found = _ODS_REPEATED.search(cell.group(1))
        column += _number(found.group(1)) if found else 1
    return column


def _check_ods(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: Limits, budget: _Budget) -> None:
    """Refuse an OpenDocument sheet past the limits, as calamine will place its cells."""
    table: _OdsTable | None = None
    carry = b""
    for chunk, fresh in _stream(zf, info, path, budget):
        data = carry + chunk[fresh:]
        at = 0
        while (tag := _ODS_START.search(data, at)) is not None:
            closing, row, attrs = tag.group(1), tag.group(2), tag.group(3)
            if not row:  # a table starts or ends
                if table is not None:
                    _check_ods_table(table, path, limits)
                named = _ODS_NAME.search(attrs)
                table = None if closing else _OdsTable(named.group(1).decode("utf-8", "replace") if named else "-")
                at = tag.end()
                continue
            if closing:
                at = tag.end()
                continue
            end = tag.end() if attrs.endswith(b"/") else data.find(_ODS_ROW_END, tag.end())
            if end < 0:
                break  # the row ends in the next chunk
            if table is not None:
                width = _ods_row_width(data, tag.end(), end) if end > tag.end() else 0
                table.row(attrs, width)
            at = end
        # An unfinished row or tag is finished with the next chunk.
        rest = tag.start() if tag is not None else data.rfind(b"<", at)
        carry = data[rest:] if rest >= 0 else b""
        if len(carry) > _ROW_MAX:
            raise InputError("load.corrupt", file=str(path))
    if table is not None:
        _check_ods_table(table, path, limits)


def _check_ods_table(table: _OdsTable, path: Path, limits: Limits) -> None:
    columns, cells = table.cells()
    if columns > limits.max_columns:
        _refuse("max_columns", path, table.name, columns, limits.max_columns)
    if cells > limits.max_cells:
        _refuse("max_cells", path, table.name, cells, limits.max_cells)


# A shared string starts `<si` (no other element of the part starts so): one count per chunk, an
# upper bound (a tag of another name starting `<si` would count too, refusing sooner, never later).
_SI = b"<si"


def _check_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: Limits, budget: _Budget) -> None:
    count = 0
    for chunk, fresh in _stream(zf, info, path, budget):
        count += chunk.count(_SI, max(0, fresh - 2))  # (a tag cut at the seam: counted with the next chunk)
        if count > limits.max_strings:
            _refuse("max_strings", path, "-", count, limits.max_strings)
