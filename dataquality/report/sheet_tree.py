"""Edit a worksheet part with a real XML parser (lxml): mark cells with a fill style and attach the
comments' legacy drawing. Unlike text edits, cell text that looks like markup (a CDATA block holding
`</c></row>`, entities, odd prefixes or attribute order) can never be mistaken for structure.

The part is parsed once into a tree (C speed); Python only visits the rows that carry marks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from lxml import etree

from dataquality.issue import Severity
from dataquality.report.annotated_xlsx import FILLS, Mark, col_index, letters

NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Elements that must follow <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet order).
AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")

_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True, load_dtd=False)


class SheetXmlError(Exception):
    """The part is not a worksheet this editor can change (no <sheetData>, not XML)."""


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _number(ref: str | None) -> tuple[str, int | None]:
    """'AB12' -> ('AB', 12); a reference without digits -> (letters, None)."""
    ref = ref or ""
    i = len(ref) - len(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return ref[:i], int(ref[i:]) if ref[i:].isdigit() else None


def restyle(xml: bytes, marks: list[Mark], fill_style: Callable[[int, str], int], legacy_rel_id: str | None) -> bytes:
    """The worksheet with every marked cell given `fill_style(base style, rgb)`, missing rows and cells
    created in order, and (when given) a <legacyDrawing r:id=...> in its schema position."""
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SheetXmlError(str(exc)) from None
    ns = etree.QName(root).namespace
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    data = root.find(q("sheetData"))
    if data is None:
        raise SheetXmlError("sheet without <sheetData>")
    if any(_local(el) == "legacyDrawing" for el in root):
        raise SheetXmlError("sheet already has a legacy drawing")
    wanted: dict[int, dict[int, Severity]] = defaultdict(dict)
    for mark in marks:
        wanted[mark.row][mark.col] = mark.severity
    rows: dict[int, etree._Element] = {}
    row_no = 0
    for row in data.iterchildren(q("row")):
        r = row.get("r")
        row_no = int(r) if r and r.isdigit() else row_no + 1
        if row_no in wanted:
            rows[row_no] = row
    for number in sorted(wanted):
        row = rows.get(number)
        if row is None:
            row = etree.Element(q("row"), r=str(number))
            _insert_row(data, row, number, q)
        _restyle_row(row, number, wanted[number], fill_style, q)
    if legacy_rel_id is not None:
        el = etree.Element(q("legacyDrawing"), nsmap={"r": NS_R} if "r" not in (root.nsmap or {}) else None)
        el.set(f"{{{NS_R}}}id", legacy_rel_id)
        after = next((child for child in root if _local(child) in AFTER_LEGACY), None)
        if after is not None:
            after.addprevious(el)
        else:
            root.append(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _insert_row(data: etree._Element, row: etree._Element, number: int, q: Callable[[str], str]) -> None:
    """Put a new <row> before the first row numbered after it (rows stay in order)."""
    row_no = 0
    for existing in data.iterchildren(q("row")):
        r = existing.get("r")
        row_no = int(r) if r and r.isdigit() else row_no + 1
        if row_no > number:
            existing.addprevious(row)
            return
    data.append(row)


def _restyle_row(row: etree._Element, number: int, cols: dict[int, Severity], fill_style: Callable[[int, str], int],
                 q: Callable[[str], str]) -> None:
    row.attrib.pop("spans", None)  # the spans hint would no longer cover a cell added beyond it
    row_style = int(row.get("s", "0")) if row.get("customFormat") in ("1", "true") else 0
    cells: dict[int, etree._Element] = {}
    col = -1
    for cell in row.iterchildren(q("c")):
        letters_, _ = _number(cell.get("r"))
        col = col_index(letters_) if letters_ else col + 1
        cells[col] = cell
    for c in sorted(cols):
        rgb = FILLS[cols[c]]
        cell = cells.get(c)
        if cell is not None:
            base = int(cell.get("s", str(row_style)))
            cell.set("s", str(fill_style(base, rgb)))
            continue
        new = etree.Element(q("c"), r=f"{letters(c)}{number}", s=str(fill_style(row_style, rgb)))
        after = next((cells[k] for k in sorted(cells) if k > c), None)
        if after is not None:
            after.addprevious(new)
        else:
            row.append(new)
        cells[c] = new
