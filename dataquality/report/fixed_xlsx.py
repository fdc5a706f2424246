"""Writing the fixed copy of a workbook (`dq fix`): only the corrected cells change.

The workbook's zip is copied part by part; only the sheets with corrections are rewritten, and of
those only the rows that hold a corrected cell: each is found by its start tag and, when plainly
written (cells with their references, values without formulas), rewritten as bytes; anything
unusual goes through the rows parsed by lxml (sheet_tree, sheet_splice), with the same result. A
200,000-row sheet with a few thousand corrections costs a few searches through its XML and one
deflate. Every other part (styles aside, which gain a fill and the formats the new values need)
is copied unchanged: formulas, formatting, charts and macros survive. Each corrected cell gets an
amber fill and a note (old value, new value, rules); a Changes sheet lists every correction, and
a second run appends to it.

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
from collections.abc import Callable
from functools import cache
from pathlib import Path

from lxml import etree

from dataquality.load import zipparts
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
    comments_xml,
    copy_parts,
    vml_xml,
)
from dataquality.report.fixed_cells import CellWrite, ChangesSheet
from dataquality.report.marks import col_index, letters
from dataquality.report.sheet_splice import Sheet, SpliceUnsupported
from dataquality.report.sheet_tree import (
    SheetXmlError,
    cell_at,
    edit_sheet,
    legacy_drawing,
    merged_ranges,
    row_cells,
    row_style,
)
from dataquality.safe_text import excel_text, xml_escaped_cells

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
    """Writes the values of one sheet's corrected cells into its rows: as bytes when the row is
    plainly written (`fast_row`), else into the parsed row elements (`row`), with the same result."""

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
        return bool(self.merged) and any(r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1)
                                         for r1, c1, r2, c2 in self.merged)

    def _style(self, w: CellWrite, base: int) -> int:
        """The corrected cell's format: its own (`base`) with the amber fill and the number format the value needs."""
        fmt = w.number_format
        if fmt is None and isinstance(w.value, int | float) and self.styles.number_format(base) == "@":
            fmt = "General"  # a text format would make Excel treat the next edit as text again
        return self.styles.with_fill(base, "FF" + CHANGED_FILL, fmt)

    def _text(self, value: object) -> str:
        """What the value's <t> (text) or <v> (number, date) holds, unescaped."""
        if isinstance(value, str):
            return excel_text(value)
        if isinstance(value, dt.datetime):
            return _serial(value, self.date1904)
        if isinstance(value, int):
            return str(value)
        return repr(float(value))  # type: ignore[arg-type]

    def row(self, row: etree._Element, number: int) -> None:
        cells = row_cells(row)
        base_style = row_style(row)
        for col, w in sorted(self.plan[number].items()):
            if self._covered(number, col):
                continue  # a value merged down is held by the range's top-left cell, corrected on its own row
            cell, new = cell_at(row, number, col, cells)
            base = base_style if new else int(cell.get("s", str(base_style)))
            self._value(cell, w.value)
            cell.set("s", str(self._style(w, base)))
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
            t.text = self._text(value)
            if t.text != t.text.strip():
                t.set(_XML_SPACE, "preserve")
        else:
            el = etree.Element(q("v"))
            el.text = self._text(value)
        if ext is not None:
            ext.addprevious(el)
        else:
            cell.append(el)

    def fast_row(self, prefix: bytes, row: bytes, number: int) -> bytes | None:
        """`row` (one <row> element's bytes, as sheet_splice finds it) with its corrected cells
        written, edited as bytes; None when the row is not plainly written (then `row` edits the
        parsed row). Plain: every cell a <c> whose start tag begins with its r="..." reference,
        in column order; a corrected cell holding only a value (<v>, an inline string, or nothing):
        no formula, no extension list, no namespace declaration, no whitespace between elements."""
        return _fast_row(self, prefix, row, number)


# ------------------------------------------------------------------ rows edited as bytes
# Sound because sheet_splice only hands over parts where '<' always starts markup (no comments,
# CDATA or processing instructions): a cell is found by its start tag, and ends at the first
# </c> after it (a cell holds no other cell).

_START_TAG = re.compile(rb"<[^\s>/]+(?:\s+[^\s=>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
_ATTR = re.compile(rb"\s+([^\s=>/]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
_DIGITS = re.compile(rb"\d+")
_CUSTOM_FORMAT = re.compile(rb"\scustomFormat\s*=\s*[\"'](1|true)[\"']")
_ROW_S = re.compile(rb"\ss\s*=\s*[\"']([^\"']*)[\"']")
_SPANS = re.compile(rb"\sspans\s*=\s*(?:\"[^\"]*\"|'[^']*')")
_DROPPED = (b"t", b"cm", b"vm")


class _RowPatterns:
    """The byte patterns of one namespace prefix ('' or e.g. 'x:')."""

    def __init__(self, p: bytes) -> None:
        e = re.escape(p)
        self.row = b"<" + p + b"row"
        self.cell = re.compile(rb"<" + e + rb"c(?=[\s/>])")
        self.ref = re.compile(rb"<" + e + rb'c r="([A-Z]{1,3})(\d+)"')
        self.close = b"</" + p + b"c>"
        self.row_close = b"</" + p + b"row>"
        self.body = re.compile(rb"(?:<" + e + rb"v>[^<]*</" + e + rb"v>|<" + e + rb"v/>|<" + e + rb"is>.*?</" + e + rb"is>)*", re.S)
        self.inline = (b"<" + p + b"is><" + p + b"t>", b"<" + p + b"is><" + p + b't xml:space="preserve">',
                       b"</" + p + b"t></" + p + b"is>")
        self.v = (b"<" + p + b"v>", b"</" + p + b"v>")
        self.new_cell = b"<" + p + b'c r="'
        self.open = b"<" + p + b"c"


_PATTERNS: dict[bytes, _RowPatterns] = {}


@cache
def _letters(col: int) -> bytes:
    return letters(col).encode()


def _escaped(text: str) -> bytes:
    """Character data as lxml writes it: & < > escaped, a carriage return as a reference (a bare one would be read as a line feed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;").encode("utf-8")


def _fast_row(writer: _CellWriter, prefix: bytes, row: bytes, number: int) -> bytes | None:
    pat = _PATTERNS.get(prefix)
    if pat is None:
        pat = _PATTERNS[prefix] = _RowPatterns(prefix)
    head = _START_TAG.match(row)
    if head is None or head.group(0).endswith(b"/>") or not head.group(0).startswith(pat.row) \
            or b"xmlns" in row or b"extLst" in row:
        return None
    head_tag = head.group(0)
    base_style = 0
    if b"ustomFormat" in head_tag and _CUSTOM_FORMAT.search(head_tag):
        m = _ROW_S.search(head_tag)
        if m is not None:
            if not _DIGITS.fullmatch(m.group(1)):
                return None
            base_style = int(m.group(1))
    start = head.end()
    n_refs = row.count(pat.new_cell, start)
    if row.count(pat.open, start) != n_refs and len(pat.cell.findall(row, start)) != n_refs:
        return None  # a cell without its reference first: the parsed row decides
    tail = b"%d" % number
    cols: list[int] | None = None  # every cell's column, worked out only when a corrected cell is missing
    refs: list[re.Match[bytes]] = []
    edits: list[tuple[int, int, bytes]] = []
    drop_spans = False
    for col, w in sorted(writer.plan[number].items()):
        if writer._covered(number, col):
            continue
        ref = _letters(col) + tail
        found = row.find(pat.new_cell + ref + b'"', start)
        if found < 0:
            if cols is None:
                refs = list(pat.ref.finditer(row, start))
                if len(refs) != n_refs or any(m.group(2) != tail for m in refs):
                    return None
                cols = [col_index(m.group(1).decode()) for m in refs]
                if any(b <= a for a, b in zip(cols, cols[1:], strict=False)):
                    return None
            at = next((refs[i].start() for i, c in enumerate(cols) if c > col), None)
            if at is None:
                at = row.rfind(pat.row_close)
                if at < start:
                    return None
            style = writer._style(w, base_style)
            attrs = [b' t="inlineStr"'] if isinstance(w.value, str) else []
            edits.append((at, at, pat.new_cell + ref + b'"' + b"".join(attrs) + b' s="%d">' % style
                          + _value_bytes(writer, pat, w.value) + pat.close))
            drop_spans = True
        else:
            tag = _START_TAG.match(row, found)
            if tag is None:
                return None
            if tag.group(0).endswith(b"/>"):
                end = tag.end()
            else:
                close = row.find(pat.close, tag.end())
                if close < 0 or pat.body.fullmatch(row, tag.end(), close) is None:
                    return None  # a formula, an extension, whitespace: the parsed row decides
                end = close + len(pat.close)
            cut = len(prefix) + 2  # after "<c"
            kept: list[bytes] = []
            s_at, base = -1, base_style
            pos = tag.start() + cut
            for m in _ATTR.finditer(row, pos, tag.end()):
                if m.start() != pos:
                    return None
                pos = m.end()
                name = m.group(1)
                if name == b"s":
                    digits = m.group(2)[1:-1]
                    if not _DIGITS.fullmatch(digits):
                        return None
                    s_at = len(kept)
                    base = int(digits)
                    kept.append(b"")
                elif name not in _DROPPED:
                    kept.append(m.group(0))
            if row[pos: tag.end()].strip(b" \t\r\n/>"):
                return None
            style = writer._style(w, base)
            if s_at >= 0:
                kept[s_at] = b' s="%d"' % style
            if isinstance(w.value, str):
                kept.append(b' t="inlineStr"')
            if s_at < 0:
                kept.append(b' s="%d"' % style)
            edits.append((found, end, b"<" + prefix + b"c" + b"".join(kept) + b">"
                          + _value_bytes(writer, pat, w.value) + pat.close))
        writer.written[(number, col)] = w
    out: list[bytes] = []
    pos = 0
    if drop_spans:
        new_head = _SPANS.sub(b"", head_tag, count=1)
        out.append(new_head)
        pos = head.end()
    for a, b, new in sorted(edits, key=lambda e: e[0]):
        out.append(row[pos:a])
        out.append(new)
        pos = b
    out.append(row[pos:])
    return b"".join(out)


def write_cells(xml: bytes, writer: _CellWriter, edit_tail: Callable[[etree._Element], None]) -> bytes:
    """The worksheet part `xml` with `writer`'s corrected cells written and `edit_tail` applied to
    what follows <sheetData> (`cell_pieces`, joined)."""
    return b"".join(cell_pieces(xml, writer, edit_tail))


def cell_pieces(xml: bytes, writer: _CellWriter, edit_tail: Callable[[etree._Element], None]) -> list[bytes]:
    """`write_cells` as pieces to write one after the other (a large part is never copied whole).

    When every row to correct is found by its start tag (`<row r="N"`, in order), only those rows
    are touched, no scan of every row: as bytes when plainly written, else parsed on their own.
    Otherwise (a row missing, a part sheet_splice cannot trust) the general editor does it all again:
    sheet_tree.edit_sheet (rows parsed where needed, or the whole part as a tree). Running it after
    a partial attempt gives the same cells: a format asked for again is the one made before.
    """
    try:
        done = _write_located(xml, writer, edit_tail)
    except SpliceUnsupported:
        done = None
    if done is not None:
        return done
    return [edit_sheet(xml, writer.plan, writer.row, edit_tail, fast_row=writer.fast_row)]


def _write_located(xml: bytes, writer: _CellWriter, edit_tail: Callable[[etree._Element], None]) -> list[bytes] | None:
    sheet = Sheet(xml)  # refuses a part where '<' might not start markup
    tail = sheet.tail()
    edit_tail(tail.root)  # first: the merged ranges tell which cells are never written
    rendered_tail = sheet.render(tail)
    row_tag = b"<" + sheet.p + b"row"
    out: list[bytes] = []
    pos, search, end_of_data = 0, sheet.data_start, sheet.data_end
    for number in sorted(writer.plan):
        at = xml.find(row_tag + b' r="%d"' % number, search, end_of_data)
        if at < 0:
            return None
        end = at + len(row_tag)
        while True:  # the row runs to the next row's start tag (or </sheetData>), as sheet_splice has it
            end = xml.find(row_tag, end, end_of_data)
            if end < 0:
                end = end_of_data
                break
            if xml[end + len(row_tag): end + len(row_tag) + 1] in (b" ", b"\t", b"\r", b"\n", b">", b"/"):
                break
            end += len(row_tag)
        done = writer.fast_row(sheet.p, xml[at:end], number)
        if done is None:  # a formula, an odd cell: this row parsed and edited as elements
            fragment = sheet.parse(xml[at:end])
            rows = fragment.children()
            if len(rows) != 1 or etree.QName(rows[0]).localname != "row" or rows[0].get("r") != str(number):
                return None
            writer.row(rows[0], number)
            done = sheet.render(fragment)
        out.append(xml[pos:at])
        out.append(done)
        pos = search = end
    out.append(xml[pos: sheet.tail_start])
    out.append(rendered_tail)
    out.append(xml[sheet.tail_end:])
    return out


def _value_bytes(writer: _CellWriter, pat: _RowPatterns, value: object) -> bytes:
    text = writer._text(value)
    if isinstance(value, str):
        start, preserved, end = pat.inline
        return (preserved if text != text.strip() else start) + _escaped(text) + end
    return pat.v[0] + text.encode("ascii") + pat.v[1]


def _text_rows(first: int, rows: list[list[str]], style: int) -> str:
    """Rows of inline-string cells (never formulas), numbered from `first`, as worksheet XML."""
    out = []
    cols = [letters(c) for c in range(max((len(r) for r in rows), default=0))]
    escaped = xml_escaped_cells(["" if v is None else str(v) for r in rows for v in r])  # in one pass, not a call per cell
    head = f'" s="{style}" t="inlineStr"><is><t xml:space="preserve">'
    k = 0
    for number, values in enumerate(rows, start=first):
        n = len(values)
        cells = "".join([f'<c r="{cols[c]}{number}{head}{escaped[k + c]}</t></is></c>' for c in range(n)])
        k += n
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

        changed: dict[str, bytes | list[bytes]] = {}
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

            changed[part.name] = cell_pieces(zipparts.read(zin, part.name), writer, tail)
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
            done = changed.get(part.name)
            xml = zin.read(part.name) if done is None else done if isinstance(done, bytes) else b"".join(done)
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

    copy_parts(source, target, changed, dropped)  # an edited 90 MB sheet goes in as its pieces


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
