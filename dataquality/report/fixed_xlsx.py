"""Writing the fixed copy of a workbook (`dq fix`): only the corrected cells change.

The workbook's zip is copied part by part; only the sheets with corrections are rewritten, and of
those only the rows that hold a corrected cell are parsed (sheet_splice), so a 200,000-row sheet
with a few thousand corrections costs one scan of its XML. Every other part (styles aside, which
gain a fill and the formats the new values need) is copied unchanged: formulas, formatting,
charts and macros survive. Each corrected cell gets an amber fill and a note (old value, new
value, rules); a Changes sheet lists every correction, and a second run appends to it.

Values are written as what they are: numbers as numbers, dates as dates, everything else as an
inline string, which a spreadsheet never runs as a formula (= + - @ stay text). A cell covered by
a merged range (not its top-left cell) is never written. A workbook this editor is not sure about
(a sheet that already has notes, a shared or array formula on a corrected cell, an unusual layout)
is written through openpyxl instead, as before.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections import defaultdict
from pathlib import Path

from lxml import etree

from dataquality.report.annotate_xml import (
    _CT_COMMENTS,
    _CT_VML,
    _CT_WORKSHEET,
    _NS_MAIN,
    _REL_COMMENTS,
    _REL_VML,
    _REL_WORKSHEET,
    Styles,
    Unsupported,
    XlsxEditor,
    _add_default,
    _add_override,
    _add_relationship,
    _add_sheet,
    _free_id,
    _relationships,
    _resolve,
    _unescape,
    _x,
    comments_xml,
    copy_parts,
    vml_xml,
)
from dataquality.report.fixed_cells import CellWrite, ChangesSheet
from dataquality.report.marks import col_index, letters
from dataquality.report.sheet_tree import (
    SheetXmlError,
    cell_at,
    edit_sheet,
    legacy_drawing,
    merged_ranges,
    row_cells,
    row_style,
)
from dataquality.safe_text import excel_text

CHANGED_FILL = "FFF2CC"  # light amber: visible, prints fine in black and white
AUTHOR = "dq fix"
NOTE_WIDTH, NOTE_HEIGHT = 260, 90
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_CT_CALC_CHAIN = "calcChain"


def write_fixed(source: Path, target: Path, cells: list[CellWrite], changes: ChangesSheet, keep_vba: bool) -> None:
    """Write the fixed copy of `source` to `target` (a temporary name the caller renames)."""
    try:
        _write_xml(source, target, cells, changes)
    except (Unsupported, SheetXmlError, zipfile.BadZipFile, KeyError, UnicodeDecodeError):
        from dataquality.report.fixed_openpyxl import write_with_openpyxl

        write_with_openpyxl(source, target, cells, changes, keep_vba, CHANGED_FILL, AUTHOR, (NOTE_WIDTH, NOTE_HEIGHT))


def _serial(value: dt.datetime, date1904: bool) -> str:
    """A date as Excel's serial day number."""
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    delta = value.replace(tzinfo=None) - epoch
    days = delta.days + delta.seconds / 86400
    return str(int(days)) if float(days).is_integer() else repr(days)


class _CellWriter:
    """Writes the values of one sheet's corrected cells into its row elements."""

    def __init__(self, writes: list[CellWrite], styles: Styles, date1904: bool) -> None:
        self.plan: dict[int, dict[int, CellWrite]] = defaultdict(dict)
        for w in writes:
            self.plan[w.row][col_index(w.column)] = w
        self.styles = styles
        self.date1904 = date1904
        self.merged: set[tuple[int, int, int, int]] = set()
        self.written: dict[tuple[int, int], CellWrite] = {}
        self.formula_removed = False

    def tail(self, container: etree._Element) -> None:
        self.merged.update(merged_ranges(container))

    def _covered(self, row: int, col: int) -> bool:
        """Inside a merged range but not its top-left cell: the range's value is not held here."""
        return any(r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1) for r1, c1, r2, c2 in self.merged)

    def row(self, row: etree._Element, number: int) -> None:
        cells = row_cells(row)
        base_style = row_style(row)
        for col, w in sorted(self.plan[number].items()):
            if self._covered(number, col):
                continue  # a value merged down is held by the range's top-left cell, corrected on its own row
            cell, new = cell_at(row, number, col, cells)
            base = base_style if new else int(cell.get("s", str(base_style)))
            fmt = w.number_format
            if fmt is None and isinstance(w.value, int | float) and self.styles.number_format(base) == "@":
                fmt = "General"  # a text format would make Excel treat the next edit as text again
            self._value(cell, w.value)
            cell.set("s", str(self.styles.with_fill(base, "FF" + CHANGED_FILL, fmt)))
            self.written[(number, col)] = w

    def _value(self, cell: etree._Element, value: object) -> None:
        ns = etree.QName(cell).namespace
        q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
        for child in list(cell):
            name = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if name == "f":
                if child.get("ref") is not None:
                    raise Unsupported("a shared or array formula on a corrected cell")  # other cells depend on it
                self.formula_removed = True
            if name in ("f", "v", "is"):
                cell.remove(child)
        for attr in ("t", "cm", "vm"):
            cell.attrib.pop(attr, None)
        ext = cell.find(q("extLst"))
        if isinstance(value, str):
            cell.set("t", "inlineStr")
            el = etree.Element(q("is"))
            t = etree.SubElement(el, q("t"))
            t.text = excel_text(value)
            if t.text != t.text.strip():
                t.set(_XML_SPACE, "preserve")
        else:
            el = etree.Element(q("v"))
            if isinstance(value, dt.datetime):
                el.text = _serial(value, self.date1904)
            elif isinstance(value, int):
                el.text = str(value)
            else:
                el.text = repr(float(value))  # type: ignore[arg-type]
        if ext is not None:
            ext.addprevious(el)
        else:
            cell.append(el)


def _text_rows(first: int, rows: list[list[str]], style: int) -> str:
    """Rows of inline-string cells (never formulas), numbered from `first`, as worksheet XML."""
    out = []
    cols = [letters(c) for c in range(max((len(r) for r in rows), default=0))]
    for number, values in enumerate(rows, start=first):
        cells = "".join(f'<c r="{cols[c]}{number}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_x(v)}</t></is></c>'
                        for c, v in enumerate(values))
        out.append(f'<row r="{number}">{cells}</row>')
    return "".join(out)


def _parsed_rows(xml: str) -> list[etree._Element]:
    root = etree.fromstring(f'<sheetData xmlns="{_NS_MAIN}">{xml}</sheetData>'.encode())
    return list(root)


def _first_row(source: Path, sheet: str) -> list[object]:
    """Row 1 of a sheet as calamine reads it (to tell dq's own Changes sheet from the workbook's)."""
    import fastexcel

    try:
        frame = fastexcel.read_excel(str(source)).load_sheet(sheet, header_row=None, n_rows=1).to_pandas()
    except Exception:  # noqa: BLE001 - an unreadable sheet is simply not ours
        return []
    if frame.empty:
        return []
    return [None if v != v else v for v in frame.iloc[0].tolist()]  # NaN -> None


def _write_xml(source: Path, target: Path, cells: list[CellWrite], changes: ChangesSheet) -> None:
    with zipfile.ZipFile(source) as zin:
        names = set(zin.namelist())

        def read(name: str) -> str:
            return zin.read(name).decode("utf-8")

        workbook = read("xl/workbook.xml")
        wb_rels_name = "xl/_rels/workbook.xml.rels"
        if wb_rels_name not in names:
            raise Unsupported("no workbook relationships")
        wb_rels = read(wb_rels_name)
        ctypes = read("[Content_Types].xml")
        styles_name = next((_resolve("xl/workbook.xml", r["Target"]) for r in _relationships(wb_rels) if r.get("Type", "").endswith("/styles")), None)
        if styles_name is None or styles_name not in names:
            raise Unsupported("no styles part")
        styles = Styles(read(styles_name))
        sheets = XlsxEditor._sheets(workbook, wb_rels, list(names))
        all_names = [_unescape(n) for n in re.findall(r"<(?:\w+:)?sheet\b[^>]*?\sname=\"([^\"]*)\"", workbook)]
        date1904 = re.search(r"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(1|true)\"", workbook) is not None
        active = re.search(r"\bactiveTab=\"(\d+)\"", workbook)
        default_sheet = all_names[int(active.group(1))] if active and int(active.group(1)) < len(all_names) else (all_names[0] if all_names else None)

        by_sheet: dict[str, list[CellWrite]] = defaultdict(list)
        for w in cells:
            name = w.sheet or default_sheet
            if name not in sheets:
                raise Unsupported(f"sheet {name!r} is not in the workbook")
            by_sheet[name].append(w)

        changed: dict[str, bytes] = {}
        dropped: set[str] = set()
        formula_removed = False
        block = 1
        for n, (sheet_name, part) in enumerate(sheets.items(), start=1):
            writes = by_sheet.get(sheet_name)
            if not writes:
                continue
            rels = read(part.rels) if part.rels in names else None
            if rels and any(r.get("Type") == _REL_COMMENTS for r in _relationships(rels)):
                raise Unsupported("sheet already has notes")  # merging notes is openpyxl's job
            vml_id = _free_id(rels, "rIdDqVml")
            writer = _CellWriter(writes, styles, date1904)
            add_drawing = legacy_drawing(vml_id)

            def tail(container: etree._Element, writer: _CellWriter = writer, add_drawing=add_drawing) -> None:  # noqa: ANN001
                writer.tail(container)
                add_drawing(container)

            changed[part.name] = edit_sheet(zin.read(part.name), writer.plan, writer.row, tail)
            formula_removed = formula_removed or writer.formula_removed
            written = [writer.written[k] for k in sorted(writer.written)]
            refs = [f"{w.column}{w.row}" for w in written]
            notes = [w.note for w in written]
            comments_name, vml_name = f"xl/comments_dqfix{n}.xml", f"xl/drawings/vmlDrawing_dqfix{n}.vml"
            rels = _add_relationship(rels, vml_id, _REL_VML, "/" + vml_name)
            rels = _add_relationship(rels, _free_id(rels, "rIdDqComments"), _REL_COMMENTS, "/" + comments_name)
            changed[part.rels] = rels.encode("utf-8")
            changed[comments_name] = comments_xml(refs, notes, AUTHOR).encode("utf-8")
            vml, block = vml_xml([(w.row, col_index(w.column)) for w in written], notes, block, NOTE_WIDTH, NOTE_HEIGHT)
            changed[vml_name] = vml.encode("utf-8")
            ctypes = _add_override(ctypes, "/" + comments_name, _CT_COMMENTS)
        ctypes = _add_default(ctypes, "vml", _CT_VML)

        # The Changes sheet: dq's own from an earlier run gets the new rows below; else a new sheet.
        p = styles.p
        bold = styles.font(f'<{p}b/><{p}sz val="11"/><{p}name val="Calibri"/>')
        text_xf = styles.xf(f'<{p}xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>')
        head_xf = styles.xf(f'<{p}xf numFmtId="0" fontId="{bold}" fillId="0" borderId="0" xfId="0" applyFont="1"/>')
        title, k = changes.title, 2
        while title in all_names and _first_row(source, title)[: len(changes.headers)] != changes.headers:
            title = f"{changes.title} {k}"  # the workbook's own sheet of that name is left alone
            k += 1
        if title in all_names:
            part = sheets.get(title)
            if part is None:
                raise Unsupported("the Changes sheet's part is missing")
            xml = changed.get(part.name) or zin.read(part.name)
            changed[part.name] = edit_sheet(xml, [], lambda row, number: None, None,
                                            lambda last, q: _parsed_rows(_text_rows(last + 1, changes.rows, text_xf)))
        else:
            part_name = _unused(names | set(changed), "xl/worksheets/dq_changes{}.xml")
            changed[part_name] = _changes_part(changes, text_xf, head_xf)
            rel_id = _free_id(wb_rels, "rIdDqChanges")
            wb_rels = _add_relationship(wb_rels, rel_id, _REL_WORKSHEET, "/" + part_name)
            workbook = _add_sheet(workbook, title, rel_id, all_names)
            ctypes = _add_override(ctypes, "/" + part_name, _CT_WORKSHEET)

        if formula_removed:
            # A formula replaced by its corrected value must leave the calculation chain, or Excel
            # reports the file as damaged; Excel rebuilds the chain when it is missing.
            for rel in _relationships(wb_rels):
                if rel.get("Type", "").endswith("/" + _CT_CALC_CHAIN):
                    dropped.add(_resolve("xl/workbook.xml", rel.get("Target", "")))
                    wb_rels = re.sub(rf"<(?:\w+:)?Relationship\b[^>]*\bId=\"{re.escape(rel.get('Id', ''))}\"[^>]*/>", "", wb_rels)
            for part_name in dropped:
                ctypes = re.sub(rf"<(?:\w+:)?Override\b[^>]*PartName=\"/{re.escape(part_name)}\"[^>]*/>", "", ctypes)
        changed["xl/workbook.xml"] = workbook.encode("utf-8")
        changed[wb_rels_name] = wb_rels.encode("utf-8")
        changed["[Content_Types].xml"] = ctypes.encode("utf-8")
        changed[styles_name] = styles.render().encode("utf-8")

    copy_parts(source, target, changed, dropped)


def _unused(taken: set[str], pattern: str) -> str:
    n = 1
    while pattern.format(n) in taken:
        n += 1
    return pattern.format(n)


def _changes_part(changes: ChangesSheet, text_xf: int, head_xf: int) -> bytes:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(changes.widths, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS_MAIN}">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            f"</sheetView></sheetViews><cols>{cols}</cols><sheetData>"
            + _text_rows(1, [changes.headers], head_xf) + _text_rows(2, changes.rows, text_xf)
            + '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>').encode("utf-8")
