"""Read a file into a raw grid of cell text: fastexcel (calamine) for workbooks, pandas for CSV.

A grid is a DataFrame of strings (NA where empty) whose index is the Excel row number and whose
columns are 0-based absolute column indexes, so A1-style references stay exact.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import pandas as pd

from dataquality.errors import InputError
from dataquality.load import prefetch
from dataquality.load.limits import check_input
from dataquality.load.limits import current as current_limits
from dataquality.load.table import TEXT

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
PEEK_ROWS = 20
_EXCEL_ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Value": "#VALUE!", "Ref": "#REF!", "Name": "#NAME?",
                 "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA"}


@dataclass(frozen=True)
class SheetRef:
    """A sheet of a workbook (or the single 'sheet' of a CSV file)."""

    name: str | None
    index: int
    visible: bool = True


def sniff_kind(path: Path) -> str:
    """'xlsx', 'xls', 'ods' or 'csv' from the file's first bytes; raises InputError when unusable."""
    check_input(path)  # regular files within the resource limits only (load/limits.py)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            fh.seek(0)
            blob = fh.read(1 << 20) if head == _OLE_MAGIC else b""
    except FileNotFoundError:
        raise InputError("load.not_found", file=str(path)) from None
    except IsADirectoryError:
        raise InputError("load.is_directory", file=str(path)) from None
    except OSError as exc:
        raise InputError("load.unreadable", file=str(path), error=exc.strerror or str(exc)) from None
    suffix = path.suffix.lower()
    if not head:
        raise InputError("load.empty_file", file=str(path))
    if head == _OLE_MAGIC:
        if _ENCRYPTED_MARK in blob:
            raise InputError("load.encrypted", file=str(path))
        return "xls"
    if head.startswith(b"PK"):
        # Only the directory is read here; damaged members surface when calamine reads them.
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error):
            raise InputError("load.corrupt", file=str(path)) from None
        if "mimetype" in names and suffix == ".ods":
            return "ods"
        if not any(n.startswith("xl/") for n in names):
            raise InputError("load.not_a_workbook", file=str(path))
        return "xlsx"
    if suffix in WORKBOOK_SUFFIXES:
        raise InputError("load.text_as_workbook", file=str(path))
    return "csv"


class WorkbookGrids:
    """The sheets of one workbook, read through fastexcel (calamine to Arrow)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._reader = prefetch.reader(path) or fastexcel.read_excel(str(path))
            names = self._reader.sheet_names
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise InputError("load.corrupt_detail", file=str(path), error=_short(exc)) from None
        self.sheets = [SheetRef(name, i) for i, name in enumerate(names)]

    def grid(self, sheet: SheetRef, n_rows: int | None = None) -> pd.DataFrame:
        """The sheet's cells as text; the first `n_rows` rows only when given."""
        try:
            pending = prefetch.take_sheet(self.path, sheet.index) if n_rows is None else None
            if pending is not None:  # calamine read it while dq was starting up (load/prefetch.py)
                loaded = pending.result()
            else:
                loaded = self._reader.load_sheet(sheet.index, **{**prefetch.SHEET_ARGS, "n_rows": n_rows})
            shown: dict[int, dict[int, str]] = {}  # error cells: column position -> row position -> text
            if isinstance(loaded, prefetch.LoadedSheet):  # already Arrow; its error cells from the XML
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
                    m = re.search(r"Error\((\w+)\)", err.detail)
                    shown.setdefault(col, {})[row] = _EXCEL_ERRORS.get(m.group(1), "#ERROR!") if m else "#ERROR!"
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


def decode_csv(path: Path) -> tuple[str, str]:
    """A CSV file's text and its encoding (UTF-8 with or without BOM, or GBK/GB18030)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError("load.csv_encoding", file=str(path))
    if "\x00" in content[:4096]:
        raise InputError("load.binary_as_csv", file=str(path))
    if encoding == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8"
    return content, encoding


def sniff_delimiter(content: str) -> str:
    """The CSV delimiter (, ; tab or |), comma when unsure."""
    # The sniffer's regexes are slow on very long lines: judge from whole lines of a bounded sample.
    sample = content[:65536]
    if len(content) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    try:
        with csv_field_limit(len(sample)):
            return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


class csv_field_limit:  # noqa: N801 - a context manager, named like one
    """Lift the csv module's 131,072-character field limit to the size of the text being read."""

    def __init__(self, size: int) -> None:
        self.size = max(size, csv.field_size_limit())
        self.before = csv.field_size_limit()

    def __enter__(self) -> None:
        csv.field_size_limit(min(self.size, sys.maxsize))

    def __exit__(self, *exc: object) -> None:
        csv.field_size_limit(self.before)


def csv_lines(content: str) -> str:
    """Line endings made uniform: a file saved with lone CRs (old Mac Excel) reads as lines too."""
    return content.replace("\r\n", "\n").replace("\r", "\n") if "\r" in content else content


def _csv_width(path: Path, content: str, delimiter: str) -> int:
    """The widest line's field count; refuses a line past the column limit or a quote never closed."""
    limit = current_limits().max_columns
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


def read_csv_grid(path: Path) -> pd.DataFrame:
    """A CSV file (UTF-8 with or without BOM, or GBK/GB18030) as a grid; line 1 is row 1."""
    content, _ = decode_csv(path)
    content = csv_lines(content)
    delimiter = sniff_delimiter(content)
    width = _csv_width(path, content, delimiter)
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
        if opened:
            raise InputError("csv.open_quote", file=str(path), line=int(opened.group(1)) + 1) from None
        raise InputError("load.csv_unreadable", file=str(path), error=_short(exc)) from None
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return _as_text(frame)


def iter_grids(path: Path, kind: str) -> Iterator[tuple[SheetRef, WorkbookGrids | None]]:
    """The sheets to look at in a file: every sheet of a workbook, or the CSV as one sheet."""
    if kind == "csv":
        yield SheetRef(None, 0), None
        return
    book = WorkbookGrids(path)
    for sheet in book.sheets:
        yield sheet, book
