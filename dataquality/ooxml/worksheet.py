"""THE cell editor: the rows and cells of one worksheet part changed in place, every other byte kept.

Every workbook writer edits sheets through `Worksheet`: the fixed copy writes corrected values and
their formats, the annotated copy gives marked cells a fill, and new rows (a Changes sheet's, a
correction list's, a text copy's) are appended after the last row. A sheet of 200,000 rows with a
few thousand edits costs a few searches through its bytes, not a parse of every cell.

The part is edited in its plain form (ooxml.layout: UTF-8, '<' always starts markup, the main
namespace bound once), into which lxml first rewrites a part written otherwise. There a row is
found by its start tag and its number, a cell by its reference (or, when a row numbers its cells
by position, by reading the row's cells one by one), and only the start tags and contents being
changed are rewritten. The small parts before and after <sheetData> (dimension, columns, merged
ranges, drawings) are edited as elements through lxml (ooxml.layout.Fragment).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from lxml import etree

from dataquality.ooxml import OoxmlError
from dataquality.ooxml.cells import cell_body
from dataquality.ooxml.layout import (
    ANY_TAG,
    ATTR,
    REF,
    TAG,
    Fragment,
    Layout,
    NotPlain,
    attributes,
    element_end,
    end_tag,
    integer,
    plain,
    ranges,
    start_tag,
    tag_end,
    unescaped,
)
from dataquality.ooxml.names import RELATIONSHIPS
from dataquality.xlsx import column_index, column_letter

# Elements that must follow <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet order).
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()  # an edit's value that leaves the cell's content as it is (only its format changes)


class CellEdit(NamedTuple):
    """What happens to one cell: its format becomes `style(its format)`; its content becomes
    `value` (text, number, date, bool) unless `value` is KEEP."""

    style: Callable[[int], int]
    value: object = KEEP


Edits = Mapping[int, Mapping[int, CellEdit]]  # row number -> 0-based column -> edit

# From this many rows to edit, one scan that lists every row is cheaper than two searches per row.
_INDEX_FROM = 10_000
_TAG_NAME_ENDS = frozenset((b" ", b"\t", b"\r", b"\n", b"/", b">"))  # what may follow an element's name


@dataclass
class Outcome:
    """What `Worksheet.edit` did: the cells written, (row, 0-based column) in order, and whether a
    formula gave way to a value (the workbook's calculation chain must then go)."""

    written: list[tuple[int, int]] = field(default_factory=list)
    formula_removed: bool = False


# ---------------------------------------------------------------------------------- rows

_UNREAD = object()


class _Row:
    """A row located: its number, where it starts, and where it ends (`end`: before the next row,
    or the end of the data; only whitespace lies between rows). Its start tag is read when needed."""

    __slots__ = ("_style", "_tag", "end", "number", "p", "start", "xml")

    def __init__(self, xml: bytes, p: bytes, number: int, start: int, end: int, formats: bool) -> None:
        self.xml, self.p, self.number, self.start, self.end = xml, p, number, start, end
        self._tag: tuple[int, bool] | None = None
        self._style: object = _UNREAD if formats else None  # a sheet without row formats never reads it

    def _read(self) -> tuple[int, bool]:
        if self._tag is None:
            self._tag = tag_end(self.xml, self.start, "a row")
        return self._tag

    @property
    def tag_end(self) -> int:
        return self._read()[0]

    @property
    def closed(self) -> bool:
        """<row .../>"""
        return self._read()[1]

    @property
    def style(self) -> int | None:
        """The row's own format (customFormat), which a cell without a format of its own shows."""
        if self._style is _UNREAD:
            end, closed = self._read()
            raw = self.xml[self.start + len(self.p) + 4: end - (2 if closed else 1)]
            self._style = _row_style(raw) if b"customFormat" in raw else None
        return self._style  # type: ignore[return-value]


def _row_style(raw: bytes) -> int | None:
    """The row's own format (customFormat), which a cell without a format of its own shows."""
    attrs = attributes(raw)
    return integer(attrs.get(b"s")) if unescaped(attrs.get(b"customFormat")) in ("1", "true") else None


@cache
def _numbered_row(p: bytes) -> re.Pattern[bytes]:
    """A row's start tag up to its r="N" (attribute by attribute: a quoted value never passes for one)."""
    return re.compile(rb"<" + re.escape(p) + rb"row(?:\s+(?!r\s*=)[^\s=>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s+r\s*=\s*[\"'](\d+)[\"']")


class _Rows:
    """Finds rows by number. A row written `<row r="N"` (how Excel, LibreOffice and every library
    write them) is found by one search from the last row found; the first row that is not found
    that way (or many rows to edit) makes an index of every row's start (`index`: rows may number
    themselves by position)."""

    def __init__(self, xml: bytes, layout: Layout) -> None:
        self.xml, self.p = xml, layout.p
        self.start, self.end = layout.data_start, layout.data_end
        self._open = start_tag(self.p, b"row")
        self._row_open = b"<" + self.p + b"row"
        # A sheet where no row has a format of its own spares reading each row's start tag.
        self.formats = xml.find(b"customFormat", self.start, self.end) >= 0
        self._cursor = self.start
        self._numbers: list[int] | None = None
        self._starts: list[int] = []

    def _next_start(self, after: int) -> int:
        """Where the next row starts after position `after` (the end of the data when none does)."""
        at = self.xml.find(self._row_open, after, self.end)
        while at >= 0 and self.xml[at + len(self._row_open): at + len(self._row_open) + 1] not in _TAG_NAME_ENDS:
            at = self.xml.find(self._row_open, at + 1, self.end)
        return at if at >= 0 else self.end

    def index(self) -> tuple[list[int], list[int]]:
        """The number and start of every row, in order (made once, by one scan of the data when
        every row gives its number, else row by row)."""
        if self._numbers is None:
            numbered = _numbered_row(self.p)
            found = [(m.start(), m.group(1)) for m in numbered.finditer(self.xml, self.start, self.end)]
            if len(found) == len(self._open.findall(self.xml, self.start, self.end)):
                starts, numbers = [at for at, _ in found], [int(n) for _, n in found]
            else:  # some rows are numbered by their position
                starts, numbers, number = [], [], 0
                for m in self._open.finditer(self.xml, self.start, self.end):
                    tag = TAG.match(self.xml, m.start())
                    given = attributes(tag.group(2)).get(b"r") if tag is not None else None
                    number = integer(given, number + 1) if given is not None else number + 1
                    numbers.append(number)
                    starts.append(m.start())
            if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
                raise OoxmlError("the worksheet's rows are out of order")
            self._numbers, self._starts = numbers, starts
        return self._numbers, self._starts

    def find(self, number: int) -> _Row | None:
        """Row `number` (None when the sheet has no such row). Rows are asked for in order."""
        if self._numbers is None:
            at = self.xml.find(b'<%srow r="%d"' % (self.p, number), self._cursor, self.end)
            if at >= 0:
                end = self._cursor = self._next_start(at + 1)
                return _Row(self.xml, self.p, number, at, end, self.formats)
        numbers, starts = self.index()
        i = bisect_right(numbers, number) - 1
        if i < 0 or numbers[i] != number:
            return None
        return _Row(self.xml, self.p, number, starts[i], starts[i + 1] if i + 1 < len(starts) else self.end, self.formats)

    def insertion_point(self, number: int) -> int:
        """Where a new row `number` goes: before the first row numbered after it."""
        numbers, starts = self.index()
        i = bisect_right(numbers, number)
        return starts[i] if i < len(numbers) else self.end

    def last(self) -> int:
        """The number of the last row (0 for a sheet without rows)."""
        numbers, _ = self.index()
        return numbers[-1] if numbers else 0


# ---------------------------------------------------------------------------------- cells


@cache
def _letters(col: int) -> bytes:
    return column_letter(col).encode()


@dataclass
class _Cell:
    col: int
    start: int
    tag_end: int  # after the start tag
    closed: bool  # <c .../>
    end: int | None = None  # after </c>: found when the content is needed


class _RowCells:
    """The cells of one row: found by reference (`<c r="B7"`), else by reading the row's cells."""

    def __init__(self, xml: bytes, p: bytes, row: _Row) -> None:
        self.xml, self.p, self.row = xml, p, row
        self._all: list[_Cell] | None = None

    def _cell_at(self, start: int, col: int) -> _Cell:
        end_of_tag, closed = tag_end(self.xml, start, f"a cell of row {self.row.number}")
        return _Cell(col, start, end_of_tag, closed)

    def end(self, cell: _Cell) -> int:
        if cell.end is None:
            cell.end = element_end(self.xml, cell.tag_end, cell.closed, self.p, b"c", self.row.end, f"a cell of row {self.row.number}")
        return cell.end

    def every(self) -> list[_Cell]:
        """Every cell of the row in order, with its column (from its reference, else one right of the last)."""
        if self._all is None:
            cells: list[_Cell] = []
            opener = start_tag(self.p, b"c")
            pos, col = self.row.tag_end, -1
            while not self.row.closed:
                m = opener.search(self.xml, pos, self.row.end)
                if m is None:
                    break
                tag = TAG.match(self.xml, m.start())
                ref = REF.fullmatch(unescaped(attributes(tag.group(2)).get(b"r"))) if tag is not None else None
                col = column_index(ref.group(1)) if ref is not None else col + 1
                cell = self._cell_at(m.start(), col)
                cells.append(cell)
                pos = self.end(cell)
            self._all = cells
        return self._all

    def find(self, col: int) -> _Cell | None:
        if self._all is None:
            needle = b'<%sc r="%s%d"' % (self.p, _letters(col), self.row.number)
            at = self.xml.find(needle, self.row.start + 4, self.row.end)
            if at >= 0:
                return self._cell_at(at, col)
        return next((cell for cell in self.every() if cell.col == col), None)

    def attributes(self, cell: _Cell) -> bytes:
        """The cell's attributes as written."""
        return self.xml[cell.start + len(self.p) + 2: cell.tag_end - (2 if cell.closed else 1)]

    def insertion_point(self, col: int) -> int:
        """Where a new cell of column `col` goes: before the first cell of a later column."""
        later = next((cell.start for cell in self.every() if cell.col > col), None)
        if later is not None:
            return later
        close = list(end_tag(self.p, b"row").finditer(self.xml, self.row.tag_end, self.row.end))
        return close[-1].start()


@dataclass
class _Formula:
    """A formula found in a cell being overwritten."""

    shared_master: tuple[str, str, str] | None  # (si, ref range, formula) of a shared formula's first cell


def _cell_content(xml: bytes, cell: _Cell, end: int) -> tuple[bytes, _Formula | None]:
    """The cell's extension list (kept when its value is replaced) and its formula, if any."""
    if cell.closed:
        return b"", None
    keep: list[bytes] = []
    formula = None
    depth, child_start, child_tag = 0, 0, None
    for m in ANY_TAG.finditer(xml, cell.tag_end, end):
        closing, self_closing = m.group(1), m.group(4)
        if depth == 0 and not closing:
            child_start, child_tag = m.start(), m
        depth += 0 if self_closing else (-1 if closing else 1)
        if depth == 0 and child_tag is not None and (closing or self_closing):
            name = child_tag.group(2).rsplit(b":", 1)[-1]
            if name == b"extLst":
                keep.append(xml[child_start: m.end()])
            elif name == b"f":
                formula = _formula(xml, child_tag, m)
            child_tag = None
        if depth < 0:
            break
    return b"".join(keep), formula


def _formula(xml: bytes, tag: re.Match[bytes], end: re.Match[bytes]) -> _Formula:
    attrs = attributes(tag.group(3))
    if unescaped(attrs.get(b"t")) == "shared" and b"ref" in attrs:
        body = b"" if tag.group(4) else xml[tag.end(): end.start()]
        return _Formula((unescaped(attrs.get(b"si")), unescaped(attrs.get(b"ref")), unescaped(body)))
    return _Formula(None)


# ---------------------------------------------------------------------------------- the editor


class Worksheet:
    """One worksheet part being edited; `pieces()` is the edited part (the unchanged stretches of
    the original and the new bytes, to be written one after the other)."""

    def __init__(self, xml: bytes, date1904: bool = False) -> None:
        try:
            layout = Layout(xml)
        except NotPlain:
            xml = plain(xml)
            try:
                layout = Layout(xml)
            except NotPlain as exc:
                raise OoxmlError(f"the worksheet cannot be edited: {exc}") from None
        if layout.self_closing:  # <sheetData/>: opened, so that rows can go in
            xml = xml[: layout.head_end] + b"<" + layout.p + b"sheetData></" + layout.p + b"sheetData>" + xml[layout.data_start:]
            layout = Layout(xml)
        self.xml, self.layout, self.p = xml, layout, layout.p
        self.date1904 = date1904
        self.rows = _Rows(xml, layout)
        self._changes: list[tuple[int, int, bytes]] = []
        # A cell tag's rest after its reference, and the edit -> the rest restyled (None: see the row's format).
        self._forms: dict[tuple, bytes | None] = {}
        self._head: Fragment | None = None
        self._tail: Fragment | None = None

    # ------------------------------------------------------------------ head and tail

    def head(self) -> Fragment:
        if self._head is None:
            self._head = Fragment(self.layout.root_open, self.p, self.xml[self.layout.head_start: self.layout.head_end])
        return self._head

    def tail(self) -> Fragment:
        if self._tail is None:
            self._tail = Fragment(self.layout.root_open, self.p, self.xml[self.layout.tail_start: self.layout.tail_end])
        return self._tail

    def merged_ranges(self) -> list[tuple[int, int, int, int]]:
        """Every merged range: (first row, first col, last row, last col), columns 0-based."""
        return ranges([el.get("ref", "") for block in self.tail().children("mergeCells") for el in block
                        if isinstance(el.tag, str)])

    def legacy_drawing(self) -> str | None:
        """The relationship id of the sheet's legacy drawing (notes, form controls), if it has one."""
        found = self.tail().children("legacyDrawing")
        return found[0].get(f"{{{RELATIONSHIPS}}}id") if found else None

    def add_legacy_drawing(self, rel_id: str) -> None:
        """Link the sheet to its notes' drawing, in the element's place in the schema."""
        tail = self.tail()
        el = etree.Element(tail.q("legacyDrawing"), nsmap=None if "r" in (tail.root.nsmap or {}) else {"r": RELATIONSHIPS})
        el.set(f"{{{RELATIONSHIPS}}}id", rel_id)
        after = next((child for child in tail.root if isinstance(child.tag, str) and etree.QName(child).localname in _AFTER_LEGACY), None)
        if after is not None:
            after.addprevious(el)
        else:
            tail.root.append(el)
        tail.changed = True

    def _column_styles(self) -> list[tuple[int, int, int]]:
        """(first col, last col, format) of the <cols> entries that give columns a format."""
        return [(integer(el.get("min", "").encode()) - 1, integer(el.get("max", "").encode()) - 1, integer(el.get("style", "").encode()))
                for block in self.head().children("cols") for el in block if isinstance(el.tag, str) and el.get("style")]

    def set_dimension(self, ref: str) -> None:
        head = self.head()
        found = head.children("dimension")
        if found:
            found[0].set("ref", ref)
        else:
            el = etree.Element(head.q("dimension"), ref=ref)
            after = next(iter(head.children("sheetPr")), None)
            if after is not None:
                after.addnext(el)
            else:
                head.root.insert(0, el)
        head.changed = True

    # ------------------------------------------------------------------ cells

    def edit(self, edits: Edits, skip_merged: bool = False) -> Outcome:
        """Apply `edits` (row -> column -> CellEdit); a missing row or cell is created in order.
        With `skip_merged`, a value is never written into a cell covered by a merged range (not
        its top-left cell: the range's value is held there)."""
        merged = self.merged_ranges() if skip_merged else []
        col_styles = None
        outcome = Outcome()
        masters: list[tuple[tuple[int, int], tuple[str, str, str]]] = []
        if len(edits) > _INDEX_FROM:
            self.rows.index()
        for number in sorted(edits):
            wanted = edits[number]
            if merged:
                wanted = {col: e for col, e in wanted.items() if e.value is KEEP or not _covered(merged, number, col)}
            if not wanted:
                continue
            row = self.rows.find(number)
            missing = self._edit_row(row, wanted, outcome, masters) if row is not None else wanted
            if missing:
                col_styles = self._column_styles() if col_styles is None else col_styles
                self._new_cells(row, number, missing, outcome, col_styles)
        for cell, master in masters:
            self._unshare(cell, master, set(outcome.written))
        outcome.written.sort()
        return outcome

    def _edit_row(self, row: _Row, wanted: Mapping[int, CellEdit], outcome: Outcome, masters: list) -> dict[int, CellEdit]:
        """Edit the cells of `row` that exist; returns the wanted cells the row lacks."""
        cells: _RowCells | None = None  # the row's cells, read one by one only when one is not found by its reference
        missing = {}
        for col in sorted(wanted) if len(wanted) > 1 else wanted:
            edit = wanted[col]
            change = self._restyled(row, col, edit.style) if edit.value is KEEP and cells is None else None
            if change is None:
                cells = cells or _RowCells(self.xml, self.p, row)
                cell = cells.find(col)
                if cell is None:
                    missing[col] = edit
                    continue
                if edit.value is KEEP:  # only the start tag changes
                    raw = cells.attributes(cell)
                    change = (cell.start, cell.tag_end, b"<" + self.p + b"c" + self._attributes(raw, edit.style, row, (), cell.closed))
                else:
                    end = cells.end(cell)
                    change = (cell.start, end, self._rewritten(cells, cell, end, edit, outcome, masters))
            self._changes.append(change)
            outcome.written.append((row.number, col))
        return missing

    def _restyled(self, row: _Row, col: int, style: Callable[[int], int]) -> tuple[int, int, bytes] | None:
        """The change giving cell `col` of `row` its new format, when its tag begins with its
        reference (None: the row's cells are read instead). The rest of such a tag takes few forms
        in a sheet: each form is rewritten once (for a cell without a format of its own, once per
        format of its row)."""
        xml = self.xml
        needle = b'<%sc r="%s%d"' % (self.p, _letters(col), row.number)
        at = xml.find(needle, row.start + 4, row.end)
        if at < 0:
            return None
        ref_end = at + len(needle)
        gt = xml.find(b">", ref_end, row.end) + 1
        rest = xml[ref_end:gt]
        key: tuple = (rest, style)
        done = self._forms.get(key, b"")
        if done is None:  # this form has no format of its own: it is made once per format of a row
            key = (rest, style, row.style)
            done = self._forms.get(key, b"")
        if not done:  # a form not seen yet (a form seen was checked then)
            if not gt or b"'" in rest or rest.count(b'"') % 2:  # a '>' inside a quoted value: read the row's cells
                return None
            closed = rest.endswith(b"/>")
            if len(key) == 2 and not any(name == b"s" for name, _ in ATTR.findall(rest)):
                self._forms[key] = None
                key = (rest, style, row.style)
            done = self._forms[key] = self._attributes(rest[: -2 if closed else -1], style, row, (), closed)
        return at, gt, needle + done

    def _attributes(self, raw: bytes, style: Callable[[int], int], row: _Row, dropped: tuple[bytes, ...],
                    closed: bool | None) -> bytes:
        """Attributes `raw` with s="..." set to style(the format they give, else the row's), those
        named in `dropped` left out; then the tag's end ('/>', '>', or nothing when `closed` is None)."""
        pairs = ATTR.findall(raw)
        given = next((value for name, value in pairs if name == b"s"), None)
        base = integer(given[1:-1]) if given is not None else (row.style or 0)
        kept = b"".join(b" " + name + b"=" + value for name, value in pairs if name != b"s" and name not in dropped)
        return kept + b' s="%d"' % style(base) + (b"" if closed is None else b"/>" if closed else b">")

    def _rewritten(self, cells: _RowCells, cell: _Cell, end: int, edit: CellEdit, outcome: Outcome, masters: list) -> bytes:
        """The whole cell holding its new value."""
        extension, formula = _cell_content(self.xml, cell, end)
        row_number = cells.row.number
        if formula is not None:
            outcome.formula_removed = True
            if formula.shared_master is not None:
                masters.append(((row_number, cell.col), formula.shared_master))
        raw = self.xml[cell.start + len(self.p) + 2: cell.tag_end - (2 if cell.closed else 1)]
        attrs = self._attributes(raw, edit.style, cells.row, (b"t", b"cm", b"vm"), None)
        return self._cell(attrs, edit.value, extension)

    def _cell(self, attrs: bytes, value: object, extension: bytes = b"") -> bytes:
        t, body = cell_body(value, self.date1904, self.p.decode())
        kind = b' t="%s"' % t.encode() if t else b""
        return b"<" + self.p + b"c" + attrs + kind + b">" + body.encode("utf-8") + extension + b"</" + self.p + b"c>"

    def _new_cell(self, number: int, col: int, edit: CellEdit, base: int) -> bytes:
        attrs = b' r="%s%d" s="%d"' % (column_letter(col).encode(), number, edit.style(base))
        if edit.value is KEEP:
            return b"<" + self.p + b"c" + attrs + b"/>"
        return self._cell(attrs, edit.value)

    def _new_cells(self, row: _Row | None, number: int, wanted: dict[int, CellEdit], outcome: Outcome,
                   col_styles: list[tuple[int, int, int]]) -> None:
        """Cells the sheet lacks, created in column order (in a new row when the row is missing)."""
        row_style = row.style if row is not None else None

        def base(col: int) -> int:
            if row_style is not None:
                return row_style
            return next((style for first, last, style in col_styles if first <= col <= last), 0)

        cells = {col: self._new_cell(number, col, wanted[col], base(col)) for col in sorted(wanted)}
        outcome.written.extend((number, col) for col in cells)
        if row is None:
            row_xml = b'<%srow r="%d">' % (self.p, number) + b"".join(cells.values()) + b"</" + self.p + b"row>"
            at = self.rows.insertion_point(number)
            self._changes.append((at, at, row_xml))
            return
        attrs = b"".join(b" " + name + b"=" + value for name, value in ATTR.findall(self.xml[row.start + len(self.p) + 4: row.tag_end - (2 if row.closed else 1)]) if name != b"spans")
        # The spans hint would no longer cover a cell added beyond it: it goes.
        self._changes.append((row.start, row.tag_end, b"<" + self.p + b"row" + attrs + b">"))
        if row.closed:
            self._changes.append((row.tag_end, row.tag_end, b"".join(cells.values()) + b"</" + self.p + b"row>"))
            return
        finder = _RowCells(self.xml, self.p, row)
        for col, xml in cells.items():
            at = finder.insertion_point(col)
            self._changes.append((at, at, xml))

    def _unshare(self, master_cell: tuple[int, int], master: tuple[str, str, str], written: set[tuple[int, int]]) -> None:
        """A shared formula's first cell was overwritten: every other cell of the group gets the
        formula written out in full (translated to its own position), as Excel would keep it."""
        from openpyxl.formula.translate import Translator

        si, ref, formula = master
        number, col = master_cell
        origin = f"{column_letter(col)}{number}"
        needle = re.compile(rb"<" + re.escape(self.p) + rb"f\b[^>]*\bsi\s*=\s*[\"']" + re.escape(si.encode()) + rb"[\"'][^>]*/>")
        for first_row, first_col, last_row, last_col in ranges([ref]):
            for r in range(first_row, last_row + 1):
                row = self.rows.find(r) if r != number else None
                cells = _RowCells(self.xml, self.p, row) if row is not None else None
                for cell in cells.every() if cells is not None else ():
                    found = needle.search(self.xml, cell.tag_end, cells.end(cell))  # type: ignore[union-attr]
                    if first_col <= cell.col <= last_col and (r, cell.col) not in written and found is not None:
                        text = Translator("=" + formula, origin).translate_formula(f"{column_letter(cell.col)}{r}")[1:]
                        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")
                        self._changes.append((found.start(), found.end(), b"<" + self.p + b"f>" + escaped + b"</" + self.p + b"f>"))

    # ------------------------------------------------------------------ new rows

    def last_row(self) -> int:
        return self.rows.last()

    def append_rows(self, rows: bytes, last_row: int, last_col: int) -> None:
        """Add `rows` (row elements numbered after the last row, in the part's namespace prefix) at
        the end of the data; the sheet's dimension then reaches (last_row, last_col)."""
        self._changes.append((self.layout.data_end, self.layout.data_end, rows))
        self.set_dimension(f"A1:{column_letter(max(last_col, 0))}{max(last_row, 1)}")

    # ------------------------------------------------------------------ the result

    def pieces(self) -> list[bytes | memoryview]:
        """The edited part as pieces (unchanged stretches are views of the original: no copy)."""
        changes = sorted(self._changes, key=lambda c: (c[0], c[1]))
        if self._head is not None and self._head.changed:
            changes.insert(0, (self.layout.head_start, self.layout.head_end, self._head.render()))
        if self._tail is not None and self._tail.changed:
            changes.append((self.layout.tail_start, self.layout.tail_end, self._tail.render()))
        ends = [0, *(end for _, end, _ in changes)]
        starts = [*(start for start, _, _ in changes), len(self.xml)]
        if any(start < end for start, end in zip(starts, ends, strict=True)):
            raise AssertionError("two edits of one stretch of a worksheet")
        view = memoryview(self.xml)
        out: list[bytes | memoryview] = [b""] * (2 * len(changes) + 1)
        out[0::2] = [view[end:start] for start, end in zip(starts, ends, strict=True)]
        out[1::2] = [new for _, _, new in changes]
        return out

    def to_bytes(self) -> bytes:
        return b"".join(self.pieces())


def _covered(merged: list[tuple[int, int, int, int]], row: int, col: int) -> bool:
    """Inside a merged range but not its top-left cell."""
    return any(r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1) for r1, c1, r2, c2 in merged)
