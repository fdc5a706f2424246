"""Edit a worksheet part with a real XML parser (lxml): mark cells with a fill style, write values,
attach the comments' legacy drawing. Unlike text edits, cell text that looks like markup (a CDATA
block holding `</c></row>`, entities, odd prefixes or attribute order) can never be mistaken for
structure.

Only the rows that change are parsed when the part allows it (sheet_splice: a byte scan finds the
rows, every other byte is copied); otherwise the part is parsed once into a tree (C speed) and
Python only visits the rows that change.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache

from lxml import etree

from dataquality.issue import Severity
from dataquality.report.marks import FILLS, Mark, col_index, letters
from dataquality.report.sheet_splice import Fragment, Sheet, SpliceUnsupported

NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Elements that must follow <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet order).
AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")

_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True, load_dtd=False)

QName = Callable[[str], str]
RowEdit = Callable[[etree._Element, int], None]
TailEdit = Callable[[etree._Element], None]  # gets an element whose children include what follows <sheetData>


class SheetXmlError(Exception):
    """The part is not a worksheet this editor can change (no <sheetData>, not XML)."""


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _number(ref: str | None) -> tuple[str, int | None]:
    """'AB12' -> ('AB', 12); a reference without digits -> (letters, None)."""
    ref = ref or ""
    i = len(ref) - len(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return ref[:i], int(ref[i:]) if ref[i:].isdigit() else None


def edit_sheet(xml: bytes, rows: Iterable[int], edit_row: RowEdit, edit_tail: TailEdit | None = None,
               append: Callable[[int, QName], list[etree._Element]] | None = None,
               fast_row: Callable[[bytes, bytes, int], bytes | None] | None = None) -> bytes:
    """The worksheet with `edit_row(row, number)` applied to each wanted row (created when missing),
    `edit_tail` to the elements after <sheetData> (before any row), and the rows `append(last row number, qname)` makes
    added at the end of the data. `fast_row(prefix, row bytes, number)` may edit a row without
    parsing it (sheet_splice guarantees that '<' in the part only ever starts markup)."""
    rows = sorted(set(rows))
    try:
        sheet = Sheet(xml)
        tail = sheet.tail() if edit_tail is not None else None
        if tail is not None and edit_tail is not None:
            edit_tail(tail.root)
        extra = append(sheet.last_row(), sheet.qname) if append is not None else None
        fast = (lambda row, number: fast_row(sheet.p, row, number)) if fast_row is not None else None
        return sheet.edit(rows, edit_row, tail, extra, fast_row=fast)
    except SpliceUnsupported:
        pass
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SheetXmlError(str(exc)) from None
    ns = etree.QName(root).namespace
    q: QName = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    data = root.find(q("sheetData"))
    if data is None:
        raise SheetXmlError("sheet without <sheetData>")
    if edit_tail is not None:
        edit_tail(root)
    found: dict[int, etree._Element] = {}
    wanted = set(rows)
    row_no = 0
    for row in data.iterchildren(q("row")):
        r = row.get("r")
        row_no = int(r) if r and r.isdigit() else row_no + 1
        if row_no in wanted:
            found[row_no] = row
    for number in rows:
        row = found.get(number)
        if row is None:
            row = etree.Element(q("row"), r=str(number))
            _insert_row(data, row, number, q)
        edit_row(row, number)
    if append is not None:
        for el in append(row_no, q):
            data.append(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def legacy_drawing(rel_id: str) -> TailEdit:
    """A tail edit that adds <legacyDrawing r:id=...> in its schema position (refuses a second one)."""

    def add(container: etree._Element) -> None:
        if any(local(el) == "legacyDrawing" for el in container):
            raise SheetXmlError("sheet already has a legacy drawing")
        ns = etree.QName(container).namespace
        el = etree.Element(f"{{{ns}}}legacyDrawing" if ns else "legacyDrawing",
                           nsmap={"r": NS_R} if "r" not in (container.nsmap or {}) else None)
        el.set(f"{{{NS_R}}}id", rel_id)
        after = next((child for child in container if local(child) in AFTER_LEGACY), None)
        if after is not None:
            after.addprevious(el)
        else:
            container.append(el)

    return add


def merged_ranges(container: etree._Element) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col) of every merged range (0-based columns)."""
    out = []
    for block in container:
        if local(block) != "mergeCells":
            continue
        for el in block:
            ref = el.get("ref") or ""
            a, _, b = ref.partition(":")
            ca, ra = _number(a)
            cb, rb = _number(b or a)
            if ra is None or rb is None or not ca or not cb:
                continue
            out.append((ra, col_index(ca), rb, col_index(cb)))
    return out


def restyle(xml: bytes, marks: list[Mark], fill_style: Callable[[int, str], int], legacy_rel_id: str | None) -> bytes:
    """The worksheet with every marked cell given `fill_style(base style, rgb)`, missing rows and cells
    created in order, and (when given) a <legacyDrawing r:id=...> in its schema position."""
    styled: dict[tuple[int, str], int] = {}

    def style(base: int, rgb: str) -> int:  # one call of fill_style per distinct (style, fill)
        found = styled.get((base, rgb))
        if found is None:
            found = styled[(base, rgb)] = fill_style(base, rgb)
        return found

    done = restyle_spliced(xml, marks, style, legacy_rel_id)
    if done is not None:
        return done
    wanted: dict[int, dict[int, Severity]] = defaultdict(dict)
    for mark in marks:
        wanted[mark.row][mark.col] = mark.severity

    def edit(row: etree._Element, number: int) -> None:
        _restyle_row(row, number, wanted[number], style)

    def fast(prefix: bytes, row: bytes, number: int) -> bytes | None:
        return restyle_bytes(prefix, row, number, wanted[number], style)

    return edit_sheet(xml, wanted, edit, legacy_drawing(legacy_rel_id) if legacy_rel_id is not None else None,
                      fast_row=fast)


_START_TAG = re.compile(rb"<[^\s>/]+(?:\s+[^\s=>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
_S_ATTR = re.compile(rb"\ss\s*=\s*[\"'](\d+)[\"']")
_CUSTOM = re.compile(rb"\scustomFormat\s*=\s*[\"'](1|true)[\"']")


@cache
def _letters(col: int) -> bytes:
    return letters(col).encode()


@cache
def _needle(prefix: bytes, col: int) -> bytes:
    return b"<" + prefix + b'c r="' + _letters(col)


def restyle_bytes(prefix: bytes, row: bytes, number: int, cols: dict[int, Severity],
                  fill_style: Callable[[int, str], int]) -> bytes | None:
    """The row with each wanted cell's style replaced, edited as bytes; None when a wanted cell is
    missing or written unusually (the caller parses the row instead)."""
    head = _START_TAG.match(row)
    if head is None:
        return None
    row_style_ = 0
    head_tag = head.group(0)
    if b"ustomFormat" in head_tag and _CUSTOM.search(head_tag):
        m = _S_ATTR.search(head_tag)
        row_style_ = int(m.group(1)) if m else 0
    edits = []
    tail = b'%d"' % number
    start = head.end()
    for c, severity in cols.items():
        at = row.find(_needle(prefix, c) + tail, start)
        if at < 0:
            return None
        tag = _START_TAG.match(row, at)
        if tag is None:
            return None
        old = tag.group(0)
        m = _S_ATTR.search(old)
        base = int(m.group(1)) if m else row_style_
        style = b"%d" % fill_style(base, FILLS[severity])
        if m is not None:
            new = old[: m.start(1)] + style + old[m.end(1):]
        else:
            cut = len(prefix) + 2  # after "<c" (with the prefix)
            new = old[:cut] + b' s="' + style + b'"' + old[cut:]
        if len(cols) == 1:
            return row[:at] + new + row[tag.end():]
        edits.append((at, tag.end(), new))
    edits.sort()
    out, pos = [], 0
    for a, b, new in edits:
        out.append(row[pos:a])
        out.append(new)
        pos = b
    out.append(row[pos:])
    return b"".join(out)


def restyle_spliced(xml: bytes, marks: list[Mark], style: Callable[[int, str], int], legacy_rel_id: str | None) -> bytes | None:
    """`restyle` in one pass over the bytes of the part: every marked cell's start tag is found by
    its reference inside its row (rows located by one scan, sheet_splice) and only the s="..."
    attribute changes; every other byte is copied. None when the part or a mark needs the
    row-by-row path (a missing row or cell, a reference written unusually, comments/CDATA ...)."""
    try:
        sheet = Sheet(xml)
        numbers, starts, ends = sheet.rows()
    except SpliceUnsupported:
        return None
    index = dict(zip(numbers, range(len(numbers)), strict=True))
    p = sheet.p
    find, known = xml.find, {}
    row_formats = b"ustomFormat" in xml  # rows with a format of their own are rare: else the row's format is 0
    cut = len(p) + 2  # after "<c" (with the prefix)
    cells = []
    for mark in marks:  # one find and one small edit per marked cell
        i = index.get(mark.row)
        if i is None:
            return None
        needle = b'<%sc r="%s%d"' % (p, _letters(mark.col), mark.row)
        at = find(needle, starts[i], ends[i])
        if at < 0:  # an empty cell the part leaves out: a new one, in column order
            added = _new_cell(xml, p, starts[i], ends[i], mark, style)
            if added is None:
                return None
            cells += added
            continue
        end = find(b">", at, ends[i]) + 1
        if not end:
            return None
        # The rest of the start tag (attributes after r="...") takes few distinct forms: edited once each.
        rest = xml[at + len(needle): end]
        severity = mark.severity
        new_rest = known.get((rest, severity))
        if new_rest is None:
            new_rest = known[(rest, severity)] = _restyled_rest(rest, severity, style)
            if new_rest is False:
                return None
        if new_rest is True:  # no s="..." of its own: the cell shows the row's format, and gets a fill on that
            base = _row_style(xml, starts[i]) if row_formats else 0
            new = b'<%sc s="%d"' % (p, style(base, FILLS[severity])) + needle[cut:] + rest
        else:
            new = needle + new_rest
        cells.append((at, end, -1, new))
    cells.sort()
    out: list[bytes | memoryview] = []
    pos = 0
    view = memoryview(xml)  # the unchanged stretches are joined without copying each one first
    last = None
    for a, b, _, new in cells:
        if a < pos:
            if (a, b, new) == last:
                continue  # a row start tag already edited for another new cell of the row
            return None  # two edits of one tag (never made by marks_for): leave it to the row editor
        out += (view[pos:a], new)
        pos = b
        last = (a, b, new)
    if legacy_rel_id is not None:
        try:
            tail = sheet.tail()
            legacy_drawing(legacy_rel_id)(tail.root)
            rendered = sheet.render(tail)
        except SpliceUnsupported:
            return None
        out += (xml[pos: sheet.tail_start], rendered)
        pos = sheet.tail_end
    out.append(xml[pos:])
    return b"".join(out)


_SPANS = re.compile(rb'\sspans="[^"]*"')


def _new_cell(xml: bytes, p: bytes, start: int, end: int, mark: Mark, style: Callable[[int, str], int]) -> list | None:
    """The edits that add an empty marked cell to the row at xml[start:end] before the first cell of
    a later column (as the tree editor does, the row's spans hint goes: it would no longer cover
    the cell); None when the row is written in a way this does not handle (a cell without its
    reference first, an empty <row/>)."""
    head_end = xml.find(b">", start, end) + 1
    head = xml[start:head_end]
    if not head_end or head.endswith(b"/>") or b"'" in head or head.count(b'"') % 2:
        return None
    cell_start = b"<" + p + b"c"
    refs = re.compile(re.escape(cell_start) + rb' r="([A-Z]+)\d+"').finditer(xml, head_end, end)
    found = [(m.start(), col_index(m.group(1).decode())) for m in refs]
    if len(found) != len(re.findall(re.escape(cell_start) + rb"[\s/>]", xml[head_end:end])):
        return None
    if any(col == mark.col for _, col in found):
        return None  # the cell is there, written unusually
    at = next((pos for pos, col in found if col > mark.col), None)
    if at is None:
        at = xml.rfind(b"</" + p + b"row>", head_end, end)
        if at < 0:
            return None
    cell = b'<%sc r="%s%d" s="%d"/>' % (p, _letters(mark.col), mark.row, style(_row_style(xml, start), FILLS[mark.severity]))
    edits = [(at, at, mark.col, cell)]
    if _SPANS.search(head):
        edits.append((start, head_end, -1, _SPANS.sub(b"", head)))
    return edits


def _restyled_rest(rest: bytes, severity: Severity, style: Callable[[int, str], int]) -> bytes | bool:
    """A cell start tag's attributes after its reference with the style replaced; True when the cell
    has no s="..." (the row's format applies), False when the tag cannot be edited as bytes (a quote
    inside a value could hide the '>' taken for the tag's end)."""
    if b"'" in rest or rest.count(b'"') % 2:
        return False
    m = _S_ATTR.search(rest)
    if m is None:
        return True
    return rest[: m.start(1)] + b"%d" % style(int(m.group(1)), FILLS[severity]) + rest[m.end(1):]


def _row_style(xml: bytes, start: int) -> int:
    """The format of the row starting at `start` that its cells without s="..." show (row_style)."""
    if b"ustomFormat" not in xml[start: xml.find(b"<", start + 1)]:  # the row's start tag (no '<' inside a tag)
        return 0
    head = _START_TAG.match(xml, start)
    tag = head.group(0) if head is not None else b""
    if _CUSTOM.search(tag):
        m = _S_ATTR.search(tag)
        return int(m.group(1)) if m else 0
    return 0


def _insert_row(data: etree._Element, row: etree._Element, number: int, q: QName) -> None:
    """Put a new <row> before the first row numbered after it (rows stay in order)."""
    row_no = 0
    for existing in data.iterchildren(q("row")):
        r = existing.get("r")
        row_no = int(r) if r and r.isdigit() else row_no + 1
        if row_no > number:
            existing.addprevious(row)
            return
    data.append(row)


def row_cells(row: etree._Element) -> dict[int, etree._Element]:
    """The <c> elements of a row by 0-based column."""
    ctag = _tag(row, "c")
    cells: dict[int, etree._Element] = {}
    col = -1
    for cell in row.iterchildren(ctag):
        letters_, _ = _number(cell.get("r"))
        col = col_index(letters_) if letters_ else col + 1
        cells[col] = cell
    return cells


def _tag(row: etree._Element, name: str) -> str:
    ns = etree.QName(row).namespace
    return f"{{{ns}}}{name}" if ns else name


def row_style(row: etree._Element) -> int:
    """The row's own format, which a cell without a style of its own shows."""
    return int(row.get("s", "0")) if row.get("customFormat") in ("1", "true") else 0


def cell_at(row: etree._Element, number: int, col: int, cells: dict[int, etree._Element]) -> tuple[etree._Element, bool]:
    """The cell of `row` in column `col`, created in order when missing; returns it and whether it is new."""
    cell = cells.get(col)
    if cell is not None:
        return cell, False
    row.attrib.pop("spans", None)  # the spans hint would no longer cover a cell added beyond it
    new = etree.Element(_tag(row, "c"), r=f"{letters(col)}{number}")
    after = next((cells[k] for k in sorted(cells) if k > col), None)
    if after is not None:
        after.addprevious(new)
    else:
        row.append(new)
    cells[col] = new
    return new, True


def cells_for(row: etree._Element, number: int, cols: Iterable[int]) -> tuple[dict[int, etree._Element], dict[int, etree._Element] | None]:
    """The existing cells of `row` at the wanted columns, found by their references (no parsing of
    every reference in the row); the second value is every cell by column when some wanted cell is
    missing or a cell has no reference (cell_at needs it to keep the order), else None."""
    refs = {f"{letters(c)}{number}": c for c in cols}
    found: dict[int, etree._Element] = {}
    ctag = _tag(row, "c")
    for cell in row.iterchildren(ctag):
        r = cell.get("r")
        if r is None:
            every = row_cells(row)
            return {c: every[c] for c in refs.values() if c in every}, every
        c = refs.get(r)
        if c is not None:
            found[c] = cell
    return found, (row_cells(row) if len(found) < len(refs) else None)


def _restyle_row(row: etree._Element, number: int, cols: dict[int, Severity], fill_style: Callable[[int, str], int]) -> None:
    base_style = row_style(row)
    found, every = cells_for(row, number, cols)
    for c in sorted(cols):
        cell = found.get(c)
        new = cell is None
        if cell is None:
            assert every is not None  # cells_for gives every cell when one is missing
            cell, new = cell_at(row, number, c, every)
        base = base_style if new else int(cell.get("s", str(base_style)))
        cell.set("s", str(fill_style(base, FILLS[cols[c]])))


__all__ = ["Fragment", "SheetXmlError", "cell_at", "cells_for", "edit_sheet", "legacy_drawing", "merged_ranges", "restyle", "row_cells", "row_style"]
