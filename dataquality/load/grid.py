"""Read a file into a raw grid of cell text, by what the file is, never by its extension alone.

- a workbook (xlsx/xlsm, xls, ods, also under another extension such as an xlsx saved as .xls):
  fastexcel (calamine);
- an HTML table (many ERP web exports save one as .xls) or an XML Spreadsheet 2003: load/markup.py;
- text (CSV, TSV, Excel's "Unicode text", under any extension: .csv, .txt, .dat, .xls, none):
  the encoding and delimiter from load/text.py, then pandas.

Only what no reader opens stops with exit 2: an encrypted workbook, a damaged zip, binary junk.

A grid is a DataFrame of strings (NA where empty) whose index is the row number a person sees and
whose columns are 0-based absolute column indexes, so A1-style references stay exact. Row numbers:

- a workbook: Excel's own;
- CSV: line 1 of the table is row 1, as Excel shows it. A first line `sep=;` (Excel's delimiter
  hint) is hidden by Excel, so the line under it is row 1 (in a text editor it is line 2);
- HTML: the rows of the file's tables, one after another from 1 (load/markup.py).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dataquality.errors import InputError
from dataquality.load.limits import Limits, regular_file
from dataquality.load.source import LoadedSheet, WorkbookSource, as_source
from dataquality.load.table import TEXT
from dataquality.load.text import csv_field_limit, csv_lines, peek, read_csv_text

MARKUP_KINDS = ("html", "xml")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_PEEK_BYTES = 1 << 16
# An HTML document (a table, or the page around one) and Excel's XML Spreadsheet 2003.
_HTML = re.compile(r"<(?:table|html|!doctype\s+html|head|body|meta|title|style|div|p|span|h[1-6]|tr|td|th)\b", re.I)
_SPREADSHEET_XML = re.compile(r"<(?:\w+:)?Workbook\b[^>]*urn:schemas-microsoft-com:office:spreadsheet", re.I)
PEEK_ROWS = 20

@dataclass(frozen=True)
class SheetRef:
    """A sheet of a workbook (or the single 'sheet' of a CSV file or HTML page)."""

    name: str | None
    index: int
    visible: bool = True


def sniff_kind(file: Path | WorkbookSource) -> str:
    """'xlsx', 'xls', 'ods', 'html', 'xml' or 'csv' from the file's first bytes, once the limits
    passed it (a path: within the default limits); InputError when no reader opens it."""
    source = as_source(file)
    source.check()  # regular files within the resource limits only (load/limits.py)
    return file_kind(source.path)


def file_kind(path: Path) -> str:
    """sniff_kind of a file the limits already passed (a regular file is still required: a FIFO
    would block). A workbook is told by its first 8 bytes and its zip directory only."""
    regular_file(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            fh.seek(0)
            blob = fh.read(1 << 20) if head == _OLE_MAGIC else b""
            if head and head != _OLE_MAGIC and not head.startswith(b"PK"):
                blob = fh.read(_PEEK_BYTES)
    except FileNotFoundError:
        raise InputError("load.not_found", file=str(path)) from None
    except IsADirectoryError:
        raise InputError("load.is_directory", file=str(path)) from None
    except OSError as exc:
        raise InputError("load.unreadable", file=str(path), error=exc.strerror or str(exc)) from None
    if not head:
        raise InputError("load.empty_file", file=str(path))
    if head == _OLE_MAGIC:
        if _ENCRYPTED_MARK in blob:
            raise InputError("load.encrypted", file=str(path))
        return "xls"
    if head.startswith(b"PK"):
        return _zip_kind(path)
    return _text_kind(peek(blob, path), path)


def _zip_kind(path: Path) -> str:
    # Only the directory (and an ODS file's mimetype) is read here; damaged members surface when
    # calamine reads them.
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200 \
                    and zf.read("mimetype").strip() == _ODS_MIMETYPE:
                return "ods"
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, RuntimeError, NotImplementedError):
        raise InputError("load.corrupt", file=str(path)) from None
    if not any(n.startswith("xl/") for n in names):
        raise InputError("load.not_a_workbook", file=str(path))
    return "xlsx"


def _text_kind(head: str, path: Path) -> str:
    start = head.lstrip("\ufeff \t\r\n")
    if not start.startswith("<"):
        return "csv"
    if _SPREADSHEET_XML.search(head):
        return "xml"
    if _HTML.search(head):
        return "html"
    if _MARKUP.match(start):  # another XML document: no table dq reads
        raise InputError("load.markup_without_table", file=str(path))
    return "csv"  # a table whose first cell starts with '<'


_MARKUP = re.compile(r"<(?:\?xml|!doctype|!--|[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>)", re.I)


class WorkbookGrids:
    """The sheets of one workbook, read through fastexcel (calamine to Arrow)."""

    def __init__(self, file: Path | WorkbookSource, kind: str = "xlsx") -> None:
        self.source = as_source(file)
        self.path = self.source.path
        self.kind = kind
        try:
            names = self.source.sheet_names(kind)
        except InputError:
            raise
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise InputError("load.corrupt_detail", file=str(self.path), error=_short(exc)) from None
        self.sheets = [SheetRef(name, i) for i, name in enumerate(names)]

    def grid(self, sheet: SheetRef, n_rows: int | None = None) -> pd.DataFrame:
        """The sheet's cells as text; the first `n_rows` rows only when given."""
        try:
            loaded = self.source.sheet(sheet.index, self.kind, n_rows)
            shown: dict[int, dict[int, str]] = {}  # error cells: column position -> row position -> text
            if isinstance(loaded, LoadedSheet):  # already Arrow; its error cells from the XML
                offsets, batch = loaded.offsets, loaded.batch
                at = {c: i for i, c in enumerate(offsets)}
                for row, col, said in loaded.errors:
                    if col in at and row <= batch.num_rows:
                        shown.setdefault(at[col], {})[row - 1] = said
            else:
                offsets = [c.absolute_index for c in loaded.available_columns()]
                batch, errors = loaded.to_arrow_with_errors()
                for err in errors.errors if errors is not None else ():
                    row, col = err.position
                    shown.setdefault(col, {})[row] = excel_error(err.detail)
            # Straight into Arrow-backed text columns: no Python string per cell.
            frame = _text_frame(list(batch.columns), offsets, batch.num_rows)
        except Exception as exc:
            raise InputError("load.sheet_unreadable", file=str(self.path), sheet=sheet.name, error=_short(exc)) from None
        # An error cell (#DIV/0!, #N/A ...) is shown as the error a person sees, not as empty.
        # Only the columns holding one are rebuilt.
        for col, cells in shown.items():
            values = frame.iloc[:, col].astype(object).to_numpy(copy=True)
            values[list(cells)] = list(cells.values())
            frame.isetitem(col, pd.Series(values, index=frame.index).astype(TEXT))
        return frame


# fastexcel (up to the version pyproject.toml pins) tells an Excel error cell only in the text of
# its CellError, "Expected string but got 'Error(NA)'", naming calamine's CellErrorType. This is
# the one place that reads that text; tests/load/test_calamine_errors.py fails if it changes.
_CALAMINE_ERROR = re.compile(r"\bError\((\w+)\)")
_EXCEL_ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Value": "#VALUE!", "Ref": "#REF!", "Name": "#NAME?",
                 "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA"}


def excel_error(detail: str) -> str:
    """The error a person sees in Excel (#N/A ...) for fastexcel's CellError text; #ERROR! when
    the text names none."""
    found = _CALAMINE_ERROR.search(detail)
    return _EXCEL_ERRORS.get(found.group(1), "#ERROR!") if found else "#ERROR!"


def _arrow_text() -> dict:
    import pyarrow as pa

    return {pa.string(): TEXT, pa.large_string(): TEXT, pa.string_view(): TEXT}


_ARROW_TEXT = _arrow_text()


def _short(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as the text a person sees: dates without a midnight time, empty strings as NA."""
    import pyarrow as pa

    columns = []
    for col in frame.columns:
        s = frame[col] if frame[col].dtype == TEXT else frame[col].astype(TEXT)
        columns.append(pa.chunked_array(s.array._pa_array) if hasattr(s.array, "_pa_array") else pa.chunked_array([pa.array(s, pa.string())]))
    out = _text_frame(columns, list(frame.columns), len(frame))
    out.index = frame.index
    return out


# A sheet at least this large (cells) has its columns made text on two threads (Arrow's kernels
# release the GIL).
THREADED_CELLS = 1_000_000


def _text_frame(columns: list, labels: list, rows: int) -> pd.DataFrame:
    """Arrow columns as the grid's text columns (`_text_column`), labelled `labels`, indexed by
    the Excel row number from 1."""
    index = pd.RangeIndex(1, rows + 1)
    if rows * len(columns) >= THREADED_CELLS and len(columns) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2, thread_name_prefix="dq-text") as pool:
            arrays = list(pool.map(_text_column, columns))
    else:
        arrays = [_text_column(c) for c in columns]
    return pd.DataFrame({label: pd.Series(a, index=index, copy=False) for label, a in zip(labels, arrays, strict=True)}, index=index)


def _text_column(column: object) -> object:
    """One column as the text a person sees (dates without a midnight time, empty strings as NA),
    as pandas' Arrow-backed text array; computed in Arrow's C++ kernels."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    if pc.any(pc.ends_with(arr, " 00:00:00")).as_py():
        arr = pc.replace_substring_regex(arr, r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00$", r"\1")
    empty = pc.equal(arr, "")
    if pc.any(empty).as_py():
        arr = pc.if_else(empty, pa.scalar(None, arr.type), arr)
    return arr.to_pandas(types_mapper=_ARROW_TEXT.get).array


def _csv_width(path: Path, content: str, delimiter: str, limits: Limits) -> int:
    """The widest line's field count; refuses a line past the column limit or a quote never closed."""
    limit = limits.max_columns
    width = 0
    reader = csv.reader(io.StringIO(content), delimiter=delimiter, strict=False)
    try:
        with csv_field_limit(len(content)):
            for row in reader:
                if len(row) > width:
                    width = len(row)
                    if width > limit:
                        raise InputError("limits.max_fields", file=str(path), line=reader.line_num, found=f"{width:,}",
                                         limit=f"{limit:,}", option="--max-columns", env="DQ_MAX_COLUMNS")
    except csv.Error as exc:
        raise InputError("load.csv_unreadable", file=str(path), error=_short(exc)) from None
    return width


def read_csv_grid(file: Path | WorkbookSource) -> pd.DataFrame:
    """A CSV/TSV file (any extension; UTF-8, UTF-16, GB18030 or Big5) as a grid; the table's first
    line is row 1 (a `sep=` hint line above it is hidden, as Excel hides it)."""
    checked = as_source(file)
    path = checked.path
    source = read_csv_text(path)
    content = csv_lines(source.text)
    delimiter = source.delimiter
    width = _csv_width(path, content, delimiter, checked.limits)
    if width == 0:
        raise InputError("load.empty_file", file=str(path))
    try:
        frame = pd.read_csv(
            io.StringIO(content),
            sep=delimiter,
            header=None,
            names=list(range(width)),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        opened = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if opened:  # the line in a text editor: the hint line counts there
            line = int(opened.group(1)) + 1 + (1 if source.hint else 0)
            raise InputError("csv.open_quote", file=str(path), line=line) from None
        raise InputError("load.csv_unreadable", file=str(path), error=_short(exc)) from None
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return _as_text(frame)


class MarkupGrids:
    """The tables of an HTML page (one sheet, as Excel shows it) or the sheets of an XML
    Spreadsheet 2003, read by load/markup.py within the resource limits."""

    def __init__(self, file: Path | WorkbookSource, kind: str) -> None:
        from dataquality.load import markup

        source = as_source(file)
        self.path = source.path
        read = markup.read_html if kind == "html" else markup.read_spreadsheet_xml
        self._sheets = read(self.path, source.limits)
        self.sheets = [SheetRef(s.name, i) for i, s in enumerate(self._sheets)]

    def grid(self, sheet: SheetRef, n_rows: int | None = None) -> pd.DataFrame:
        """The sheet's cells as text; the first `n_rows` rows only when given."""
        rows = self._sheets[sheet.index].rows
        return rows_grid(rows[:n_rows] if n_rows is not None else rows)


def rows_grid(rows: list[list[str | None]]) -> pd.DataFrame:
    """Rows of cell text (None where empty) as a grid: row 1 first, columns from 0."""
    import pyarrow as pa

    width = max((len(r) for r in rows), default=0)
    columns = [pa.array([r[c] if c < len(r) else None for r in rows], pa.string()) for c in range(width)]
    return _text_frame(columns, list(range(width)), len(rows))


def open_book(file: Path | WorkbookSource, kind: str) -> WorkbookGrids | MarkupGrids:
    """The reader of a file that has sheets (every kind but CSV)."""
    return MarkupGrids(file, kind) if kind in MARKUP_KINDS else WorkbookGrids(file, kind)


def iter_grids(file: Path | WorkbookSource, kind: str) -> Iterator[tuple[SheetRef, WorkbookGrids | MarkupGrids | None]]:
    """The sheets to look at in a file: every sheet of a workbook or page, or the CSV as one sheet."""
    if kind == "csv":
        yield SheetRef(None, 0), None
        return
    book = open_book(file, kind)
    for sheet in book.sheets:
        yield sheet, book
