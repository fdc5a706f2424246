"""Tables written as markup: an HTML page (many ERP web exports save one as .xls) and Excel's XML
Spreadsheet 2003. Read with lxml's parsers in streaming mode (a parser target: no document tree is
built, so memory follows the rows kept, not the tags), within the resource limits.

HTML, as a person reads it:

- every row (`<tr>`) of the page's tables, one after another, is a row of one sheet (Excel shows
  an HTML page as one sheet); a table's `<caption>` is a row above it. Row 1 is the first table
  row. Text outside the tables (a heading above a table) is not read and is not counted as a row,
  so such a page's row numbers are those of its table rows;
- a cell's text as a browser shows it: runs of spaces and line breaks in the source are one space,
  `<br>` is a line break in the cell, `&nbsp;` alone is an empty cell; script and style text is
  not cell text;
- a cell spread over several columns (`colspan`) holds its text in its first column, as a merged
  Excel cell does; one spread over several rows (`rowspan`) belongs to each of those rows, as dq
  reads a cell merged down (load/files.py). Spans are capped as browsers cap them (1,000 columns,
  65,534 rows) and end with their table;
- a table inside a cell is part of that cell's text.

Nothing the page refers to is ever fetched (no network, no external entity or DTD is loaded), and
a page whose tables span more columns or cells than the limits allow is refused as it is read.

XML Spreadsheet 2003 (`<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">`): each
`<Worksheet>` is a sheet; a row's and a cell's `ss:Index` place them as Excel does; `ss:MergeDown`
makes a value belong to each row it covers, `ss:MergeAcross` keeps it in the first column;
`ss:Type="DateTime"` values read as dates (without a midnight time), `Boolean` as TRUE/FALSE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dataquality.errors import InputError
from dataquality.load.limits import Limits, check_span
from dataquality.load.text import decode

_FEED = 1 << 20
_MAX_COLSPAN = 1000  # as browsers cap them (HTML standard)
_MAX_ROWSPAN = 65534
_SPACES = re.compile(r"[ \t\n\r\f]+")
_BREAK = "\ue000"  # stands for <br> until the source's whitespace is collapsed
_AROUND_BREAK = re.compile(" ?\ue000 ?")
_LEADING_DIGITS = re.compile(r"\s*\+?(\d{1,7})")
_NUMBER = re.compile(r"\s*\+?(\d+)")
_NO_CELLS: list[str | None] = []
_CHARSET = re.compile(rb"""<meta[^>]{0,400}?charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I)
_SKIPPED = {"script", "style", "template", "noscript"}


@dataclass
class MarkupSheet:
    """One sheet read from markup: its name (None for an HTML page) and its rows of cell text."""

    name: str | None
    rows: list[list[str | None]] = field(default_factory=list)


class _Spans:
    """Cells spread over several rows: column -> (rows still covered, text for each of them)."""

    def __init__(self) -> None:
        self.below: dict[int, list] = {}

    def covered(self, col: int) -> bool:
        return col in self.below

    def take(self, col: int) -> str | None:
        return self.below[col][1]

    def add(self, col: int, width: int, rows: int, text: str | None) -> None:
        for c in range(col, col + width):
            self.below[c] = [rows, text if c == col else None]

    def next_row(self) -> None:
        """The row that holds the spans ended: each covers one row fewer."""
        for col in [c for c, cover in self.below.items() if cover[0] <= 1]:
            del self.below[col]
        for cover in self.below.values():
            cover[0] -= 1


class _Table:
    """Rows of cells being assembled, with their spans, checked against the limits as they come."""

    def __init__(self, path: Path, sheet: str, limits: Limits) -> None:
        self.path = path
        self.sheet = sheet
        self.rows: list[list[str | None]] = []
        self.width = 0
        self.spans = _Spans()
        self.row: list[str | None] | None = None
        self.limits = limits

    def start_row(self) -> None:
        if self.row is not None:
            self.end_row()
        self.row = []

    def place(self, text: str | None, colspan: int = 1, rowspan: int = 1, at: int | None = None) -> None:
        """The next cell of the row (at column `at` when the file says where)."""
        if self.row is None:
            self.start_row()
        row = self.row
        assert row is not None
        if at is not None and at > len(row):
            self._fill(row, at)
        while self.spans.covered(len(row)):
            row.append(self.spans.take(len(row)))
        col = len(row)
        if col + colspan > self.limits.max_columns:
            check_span(self.path, self.sheet, len(self.rows) + 1, col + colspan, self.limits)
        row.append(text)
        row.extend([None] * (colspan - 1))
        if rowspan > 1:
            self.spans.add(col, colspan, rowspan, text)

    def _fill(self, row: list[str | None], until: int) -> None:
        check_span(self.path, self.sheet, len(self.rows) + 1, until, self.limits)
        while len(row) < until:
            row.append(self.spans.take(len(row)) if self.spans.covered(len(row)) else None)

    def end_row(self) -> None:
        row = self.row if self.row is not None else []
        self.row = None
        if self.spans.below:
            self._fill(row, max(len(row), max(self.spans.below) + 1))
            while row and row[-1] is None:
                row.pop()
        self.spans.next_row()
        self.add_row(row)

    def add_row(self, row: list[str | None]) -> None:
        width = max(self.width, len(row))
        check_span(self.path, self.sheet, len(self.rows) + 1, width, self.limits)
        self.width = width
        self.rows.append(row)

    def skip_rows(self, count: int) -> None:
        """`count` rows with no cell of their own (spans from above still fill them)."""
        check_span(self.path, self.sheet, len(self.rows) + count + 1, max(self.width, 1), self.limits)
        while count and self.spans.below:  # a span covers at most 65,534 rows
            self.start_row()
            self.end_row()
            count -= 1
        self.rows.extend([_NO_CELLS] * count)  # one shared empty row: rows are only read once kept

    def end_table(self) -> None:
        if self.row is not None:
            self.end_row()
        self.spans = _Spans()  # a span never reaches past its table


def _span(value: str | None, cap: int) -> int:
    found = _LEADING_DIGITS.match(value or "")
    if not found:
        return 1
    n = int(found.group(1))
    return cap if n == 0 else min(max(n, 1), cap)  # rowspan=0: to the end of the table


def _shown(parts: list[str]) -> str | None:
    """A cell's text as a browser shows it (see the module docstring); None when it shows nothing."""
    text = "".join(parts)
    text = _SPACES.sub(" ", text)
    if _BREAK in text:
        text = _AROUND_BREAK.sub("\n", text)
    text = text.strip(" \xa0")
    return text or None


class _HtmlTarget:
    """lxml parser target: the rows of the outermost tables, in document order."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.table = _Table(path, "-", limits)
        self.depth = 0  # tables open (a table inside a cell is part of the cell's text)
        self.cell: list[str] | None = None
        self.cell_spans = (1, 1)
        self.skip = 0  # inside script/style: not cell text
        self.caption: list[str] | None = None

    def start(self, tag: str, attrib: dict) -> None:
        if tag in _SKIPPED:
            self.skip += 1
        elif tag == "table":
            self.depth += 1
        elif self.depth != 1:
            if tag == "br" and self.cell is not None:
                self.cell.append(_BREAK)
        elif tag == "tr" and self.cell is None:
            self.table.start_row()
        elif tag in ("td", "th"):
            if self.cell is not None:  # a cell left open: the next one closes it
                self._end_cell()
            self.cell = []
            self.cell_spans = (_span(attrib.get("colspan"), _MAX_COLSPAN), _span(attrib.get("rowspan"), _MAX_ROWSPAN))
        elif tag == "caption" and self.cell is None:
            self.caption = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(_BREAK)

    def data(self, text: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(text)
        elif self.caption is not None:
            self.caption.append(text)

    def end(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip = max(self.skip - 1, 0)
        elif tag == "table":
            if self.depth == 1:
                if self.cell is not None:
                    self._end_cell()
                self.table.end_table()
            self.depth = max(self.depth - 1, 0)
        elif self.depth != 1:
            return
        elif tag in ("td", "th") and self.cell is not None:
            self._end_cell()
        elif tag == "tr" and self.cell is None and self.table.row is not None:
            self.table.end_row()
        elif tag == "caption" and self.caption is not None:
            text = _shown(self.caption)
            self.caption = None
            if text is not None:
                self.table.add_row([text])

    def _end_cell(self) -> None:
        parts, self.cell = self.cell or [], None
        colspan, rowspan = self.cell_spans
        self.table.place(_shown(parts), colspan, rowspan)

    def close(self) -> list[list[str | None]]:
        if self.cell is not None:
            self._end_cell()
        self.table.end_table()
        return self.table.rows


def read_html(path: Path, limits: Limits) -> list[MarkupSheet]:
    """The rows of an HTML page's tables as one sheet (see the module docstring)."""
    from lxml import etree

    raw = path.read_bytes()
    text = _html_text(raw, path)
    del raw
    target = _HtmlTarget(path, limits)
    parser = etree.HTMLParser(target=target, encoding="utf-8", no_network=True, remove_comments=True,
                              remove_pis=True, huge_tree=False, default_doctype=False)
    try:
        for start in range(0, len(text), _FEED):
            parser.feed(text[start:start + _FEED].encode("utf-8"))
        rows = parser.close()
    except InputError:
        raise
    except etree.Error as exc:
        raise InputError("load.markup_unreadable", file=str(path), error=_first_line(exc)) from None
    return [MarkupSheet(None, rows)]


def _html_text(raw: bytes, path: Path) -> str:
    """The page's characters: a byte-order mark, else the charset the page declares (when its bytes
    read in it), else what load/text.py finds."""
    declared = _CHARSET.search(raw[:4096])
    if declared and not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        import codecs

        name = declared.group(1).decode("ascii").lower()
        name = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950", "x-gbk": "gb18030"}.get(name, name)
        try:
            codecs.lookup(name)
            return raw.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(raw, path).text


def _first_line(exc: BaseException) -> str:
    said = str(exc).strip()
    return said.splitlines()[0][:200] if said else type(exc).__name__


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


class _SpreadsheetTarget:
    """lxml parser target for XML Spreadsheet 2003: the worksheets' rows."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.sheets: list[MarkupSheet] = []
        self.table: _Table | None = None
        self.next_row = 1
        self.next_col = 1
        self.cell: dict | None = None
        self.data_depth = 0
        self.comment = 0
        self.text: list[str] = []
        self.type = ""

    def start(self, tag: str, attrib: dict) -> None:
        name = tag.rsplit("}", 1)[-1]
        if name == "Worksheet":
            sheet = attrib.get(f"{_SS}Name") or f"Sheet{len(self.sheets) + 1}"
            self.sheets.append(MarkupSheet(sheet))
            self.table = _Table(self.path, sheet, self.limits)
            self.next_row = 1
        elif self.table is None:
            return
        elif name == "Row":
            index = _index(attrib.get(f"{_SS}Index"))
            if index is not None and index > len(self.table.rows) + 1:
                self.table.skip_rows(index - 1 - len(self.table.rows))
            self.table.start_row()
            self.next_col = 1
        elif name == "Cell":
            self.cell = dict(attrib)
            self.text = []
            self.type = ""
        elif name == "Comment":
            self.comment += 1
        elif name == "Data" and self.cell is not None and not self.comment:
            self.data_depth += 1
            self.type = attrib.get(f"{_SS}Type", "")

    def data(self, text: str) -> None:
        if self.data_depth and not self.comment:
            self.text.append(text)

    def end(self, tag: str) -> None:
        name = tag.rsplit("}", 1)[-1]
        if self.table is None:
            return
        if name == "Data" and self.data_depth:
            self.data_depth -= 1
        elif name == "Comment":
            self.comment = max(self.comment - 1, 0)
        elif name == "Cell" and self.cell is not None:
            self._end_cell()
        elif name == "Row" and self.table.row is not None:
            self.table.end_row()
            self.next_row = len(self.table.rows) + 1
        elif name == "Worksheet":
            self.table.end_table()
            self.sheets[-1].rows = self.table.rows
            self.table = None

    def _end_cell(self) -> None:
        assert self.table is not None and self.cell is not None
        attrib, self.cell = self.cell, None
        at = _index(attrib.get(f"{_SS}Index"))
        col = at if at is not None and at >= self.next_col else self.next_col
        across = min(_index(attrib.get(f"{_SS}MergeAcross")) or 0, self.table.limits.max_columns) + 1
        down = min(_index(attrib.get(f"{_SS}MergeDown")) or 0, _MAX_ROWSPAN) + 1
        self.table.place(_typed("".join(self.text), self.type), across, down, at=col - 1)
        self.next_col = col + across

    def close(self) -> list[MarkupSheet]:
        if self.table is not None:
            self.table.end_table()
            self.sheets[-1].rows = self.table.rows
        return self.sheets


def _index(value: str | None) -> int | None:
    """An ss:Index, ss:MergeAcross or ss:MergeDown number (digits past 12 are past every limit)."""
    found = _NUMBER.match(value or "")
    return int(found.group(1)[:13]) if found else None


def _typed(text: str, kind: str) -> str | None:
    if not text:
        return None
    if kind == "DateTime":
        day, _, time = text.partition("T")
        time = time[:8]
        return day if time in ("", "00:00:00") else f"{day} {time}"
    if kind == "Boolean":
        return "TRUE" if text.strip() in ("1", "true", "TRUE") else "FALSE"
    return text


def read_spreadsheet_xml(path: Path, limits: Limits) -> list[MarkupSheet]:
    """The worksheets of an XML Spreadsheet 2003 (see the module docstring)."""
    from lxml import etree

    target = _SpreadsheetTarget(path, limits)
    parser = etree.XMLParser(target=target, resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_FEED):
                parser.feed(chunk)
        sheets = parser.close()
    except InputError:
        raise
    except etree.Error as exc:
        raise InputError("load.markup_unreadable", file=str(path), error=_first_line(exc)) from None
    if not sheets:
        raise InputError("load.no_data", file=str(path))
    return sheets
