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
    element,
    end_tag,
    integer,
    plain,
    ranges,
    start_tag,
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


@dataclass
class Outcome:
    """What `Worksheet.edit` did: the cells written, (row, 0-based column) in order, and whether a
    formula gave way to a value (the workbook's calculation chain must then go)."""

    written: list[tuple[int, int]] = field(default_factory=list)
    formula_removed: bool = False


# ---------------------------------------------------------------------------------- rows


@dataclass
class _Row:
    number: int
    start: int
    tag: re.Match[bytes]  # the row's start tag
    end: int  # after </row> (or the tag, when it closes itself)

    @property
    def closed(self) -> bool:
        return bool(self.tag.group(3))


class _Rows:
    """Finds rows by number. A row written `<row r="N"` (how Excel, LibreOffice and every library
    write them) is found by one search from the last row found; the first row that is not found
    that way makes an index of every row's start (rows may number themselves by position)."""

    def __init__(self, xml: bytes, layout: Layout) -> None:
        self.xml, self.p = xml, layout.p
        self.start, self.end = layout.data_start, layout.data_end
        self._open = start_tag(self.p, b"row")
        self._close = end_tag(self.p, b"row")
        self._cursor = self.start
        self._numbers: list[int] | None = None
        self._starts: list[int] = []

    def _row_at(self, start: int, number: int) -> _Row:
        return _Row(number, start, *element(self.xml, start, self._close, self.end, f"row {number}"))

    def _index(self) -> tuple[list[int], list[int]]:
        if self._numbers is None:
            numbers, starts, number = [], [], 0
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
                row = self._row_at(at, number)
                self._cursor = row.end
                return row
        numbers, starts = self._index()
        i = bisect_right(numbers, number) - 1
        return self._row_at(starts[i], number) if i >= 0 and numbers[i] == number else None

    def insertion_point(self, number: int) -> int:
        """Where a new row `number` goes: before the first row numbered after it."""
        numbers, starts = self._index()
        i = bisect_right(numbers, number)
        return starts[i] if i < len(numbers) else self.end

    def last(self) -> int:
        """The number of the last row (0 for a sheet without rows)."""
        numbers, _ = self._index()
        return numbers[-1] if numbers else 0


# ---------------------------------------------------------------------------------- cells


@dataclass
class _Cell:
    col: int
    start: int
    tag: re.Match[bytes]
    end: int  # after </c> (or the tag)


class _RowCells:
    """The cells of one row: found by reference (`<c r="B7"`), else by reading the row's cells."""

    def __init__(self, xml: bytes, p: bytes, row: _Row) -> None:
        self.xml, self.p, self.row = xml, p, row
        self._close = end_tag(p, b"c")
        self._all: list[_Cell] | None = None

    def _cell_at(self, start: int, col: int) -> _Cell:
        return _Cell(col, start, *element(self.xml, start, self._close, self.row.end, f"a cell of row {self.row.number}"))

    def every(self) -> list[_Cell]:
        """Every cell of the row in order, with its column (from its reference, else one right of the last)."""
        if self._all is None:
            cells: list[_Cell] = []
            opener = start_tag(self.p, b"c")
            pos, col = self.row.tag.end(), -1
            while not self.row.closed:
                m = opener.search(self.xml, pos, self.row.end)
                if m is None:
                    break
                tag = TAG.match(self.xml, m.start())
                ref = REF.fullmatch(unescaped(attributes(tag.group(2)).get(b"r"))) if tag is not None else None
                col = column_index(ref.group(1)) if ref is not None else col + 1
                cell = self._cell_at(m.start(), col)
                cells.append(cell)
                pos = cell.end
            self._all = cells
        return self._all

    def find(self, col: int) -> _Cell | None:
        if self._all is None and not self.row.closed:
            needle = b'<%sc r="%s%d"' % (self.p, column_letter(col).encode(), self.row.number)
            at = self.xml.find(needle, self.row.tag.end(), self.row.end)
            if at >= 0:
                return self._cell_at(at, col)
        return next((cell for cell in self.every() if cell.col == col), None)

    def insertion_point(self, col: int) -> int:
        """Where a new cell of column `col` goes: before the first cell of a later column."""
        later = next((cell.start for cell in self.every() if cell.col > col), None)
        if later is not None:
            return later
        close = list(end_tag(self.p, b"row").finditer(self.xml, self.row.tag.end(), self.row.end))
        return close[-1].start()


@dataclass
class _Formula:
    """A formula found in a cell being overwritten."""

    shared_master: tuple[str, str, str] | None  # (si, ref range, formula) of a shared formula's first cell


def _cell_content(xml: bytes, cell: _Cell) -> tuple[bytes, _Formula | None]:
    """The cell's extension list (kept when its value is replaced) and its formula, if any."""
    if cell.tag.group(3):
        return b"", None
    keep: list[bytes] = []
    formula = None
    depth, child_start, child_tag = 0, 0, None
    for m in ANY_TAG.finditer(xml, cell.tag.end(), cell.end):
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

    def mergedranges(self) -> list[tuple[int, int, int, int]]:
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
        merged = self.mergedranges() if skip_merged else []
        col_styles = None
        outcome = Outcome()
        masters: list[tuple[int, int, tuple[str, str, str]]] = []
        for number in sorted(edits):
            wanted = {col: e for col, e in edits[number].items() if not (merged and e.value is not KEEP and _covered(merged, number, col))}
            if not wanted:
                continue
            row = self.rows.find(number)
            missing = self._edit_row(row, wanted, outcome, masters) if row is not None else wanted
            if missing:
                col_styles = self._column_styles() if col_styles is None else col_styles
                self._new_cells(row, number, missing, outcome, col_styles)
        for number, col, master in masters:
            self._unshare(number, col, master, set(outcome.written))
        outcome.written.sort()
        return outcome

    def _row_style(self, row: _Row | None) -> int | None:
        """The row's own format (customFormat), which a cell without a format of its own shows."""
        if row is None or b"customFormat" not in row.tag.group(2):
            return None
        attrs = attributes(row.tag.group(2))
        return integer(attrs.get(b"s")) if unescaped(attrs.get(b"customFormat")) in ("1", "true") else None

    def _edit_row(self, row: _Row, wanted: dict[int, CellEdit], outcome: Outcome, masters: list) -> dict[int, CellEdit]:
        """Edit the cells of `row` that exist; returns the wanted cells the row lacks."""
        cells = _RowCells(self.xml, self.p, row)
        row_style = self._row_style(row)
        missing = {}
        for col in sorted(wanted):
            cell = cells.find(col)
            if cell is None:
                missing[col] = wanted[col]
                continue
            self._changes.append((cell.start, cell.end if wanted[col].value is not KEEP else cell.tag.end(),
                                  self._rewrite(cell, row.number, wanted[col], row_style, outcome, masters)))
            outcome.written.append((row.number, col))
        return missing

    def _rewrite(self, cell: _Cell, number: int, edit: CellEdit, row_style: int | None, outcome: Outcome, masters: list) -> bytes:
        """The cell's new start tag (a format change) or whole element (a new value)."""
        attrs = ATTR.findall(cell.tag.group(2))
        given = next((value for name, value in attrs if name == b"s"), None)
        base = integer(given[1:-1]) if given is not None else (row_style or 0)
        style = b' s="%d"' % edit.style(base)
        if edit.value is KEEP:
            kept = b"".join(b" " + name + b"=" + value for name, value in attrs if name != b"s")
            return b"<" + self.p + b"c" + kept + style + (b"/>" if cell.tag.group(3) else b">")
        extension, formula = _cell_content(self.xml, cell)
        if formula is not None:
            outcome.formula_removed = True
            if formula.shared_master is not None:
                masters.append((number, cell.col, formula.shared_master))
        kept = b"".join(b" " + name + b"=" + value for name, value in attrs if name not in (b"s", b"t", b"cm", b"vm"))
        return self._cell(kept, style, edit.value, extension)

    def _cell(self, attrs: bytes, style: bytes, value: object, extension: bytes = b"") -> bytes:
        t, body = cell_body(value, self.date1904, self.p.decode())
        kind = b' t="%s"' % t.encode() if t else b""
        return b"<" + self.p + b"c" + attrs + style + kind + b">" + body.encode("utf-8") + extension + b"</" + self.p + b"c>"

    def _new_cell(self, number: int, col: int, edit: CellEdit, base: int) -> bytes:
        ref = b' r="%s%d"' % (column_letter(col).encode(), number)
        style = b' s="%d"' % edit.style(base)
        if edit.value is KEEP:
            return b"<" + self.p + b"c" + ref + style + b"/>"
        return self._cell(ref, style, edit.value)

    def _new_cells(self, row: _Row | None, number: int, wanted: dict[int, CellEdit], outcome: Outcome,
                   col_styles: list[tuple[int, int, int]]) -> None:
        """Cells the sheet lacks, created in column order (in a new row when the row is missing)."""
        row_style = self._row_style(row)

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
        attrs = b"".join(b" " + name + b"=" + value for name, value in ATTR.findall(row.tag.group(2)) if name != b"spans")
        # The spans hint would no longer cover a cell added beyond it: it goes.
        self._changes.append((row.start, row.tag.end(), b"<" + self.p + b"row" + attrs + b">"))
        if row.closed:
            self._changes.append((row.tag.end(), row.tag.end(), b"".join(cells.values()) + b"</" + self.p + b"row>"))
            return
        finder = _RowCells(self.xml, self.p, row)
        for col, xml in cells.items():
            at = finder.insertion_point(col)
            self._changes.append((at, at, xml))

    def _unshare(self, number: int, col: int, master: tuple[str, str, str], written: set[tuple[int, int]]) -> None:
        """A shared formula's first cell was overwritten: every other cell of the group gets the
        formula written out in full (translated to its own position), as Excel would keep it."""
        from openpyxl.formula.translate import Translator

        si, ref, formula = master
        origin = f"{column_letter(col)}{number}"
        needle = re.compile(rb"<" + re.escape(self.p) + rb"f\b[^>]*\bsi\s*=\s*[\"']" + re.escape(si.encode()) + rb"[\"'][^>]*/>")
        for first_row, first_col, last_row, last_col in ranges([ref]):
            for r in range(first_row, last_row + 1):
                row = self.rows.find(r) if r != number else None
                if row is None:
                    continue
                for cell in _RowCells(self.xml, self.p, row).every():
                    if first_col <= cell.col <= last_col and (r, cell.col) not in written:
                        found = needle.search(self.xml, cell.tag.end(), cell.end)
                        if found is not None:
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
        view = memoryview(self.xml)
        out: list[bytes | memoryview] = []
        pos = 0
        for start, end, new in changes:
            if start < pos:
                raise AssertionError("two edits of one stretch of a worksheet")
            out += (view[pos:start], new)
            pos = end
        out.append(view[pos:])
        return out

    def to_bytes(self) -> bytes:
        return b"".join(self.pieces())


def _covered(merged: list[tuple[int, int, int, int]], row: int, col: int) -> bool:
    """Inside a merged range but not its top-left cell."""
    return any(r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1) for r1, c1, r2, c2 in merged)
