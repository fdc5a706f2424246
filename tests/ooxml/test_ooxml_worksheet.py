"""The one cell editor (ooxml.worksheet) against a model of what it must do, written plainly with
lxml on the whole parsed part: random sheets of every kind of cell and row (attribute order and
quotes, cells and rows numbered by position, formulas, shared formulas, extension lists, merged
ranges, a namespace prefix, comments and CDATA), random edits of values and formats."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.formula.translate import Translator

from dataquality.ooxml import OoxmlError
from dataquality.ooxml.cells import serial
from dataquality.ooxml.worksheet import KEEP, CellEdit, Worksheet
from dataquality.safe_text import excel_text
from dataquality.xlsx import column_index, column_letter

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
COLS = 7
PARSER = etree.XMLParser(remove_comments=True, remove_pis=True, strip_cdata=True)

# What a cell holds: (t attribute or None, body with {p} for the prefix).
BODIES = {
    "shared": ("s", "<{p}v>3</{p}v>"),
    "inline": ("inlineStr", "<{p}is><{p}t>a &amp; b &lt;c&gt;</{p}t></{p}is>"),
    "rich": ("inlineStr", '<{p}is><{p}r><{p}rPr><{p}b/><{p}charset val="134"/><{p}color rgb="FFFF0000"/></{p}rPr>'
                          '<{p}t>red</{p}t></{p}r><{p}r><{p}t xml:space="preserve"> plain</{p}t></{p}r></{p}is>'),
    "number": (None, "<{p}v>1.5</{p}v>"),
    "bool": ("b", "<{p}v>1</{p}v>"),
    "error": ("e", "<{p}v>#N/A</{p}v>"),
    "formula": (None, "<{p}f>B2*2</{p}f><{p}v>4</{p}v>"),
    "text formula": ("str", '<{p}f>A1&amp;"x"</{p}f><{p}v>ax</{p}v>'),
    "array formula": (None, '<{p}f t="array" ref="A1:A1">SUM(B1:B3)</{p}f><{p}v>2</{p}v>'),
    "empty": (None, None),
    "open empty": (None, ""),
    "spaced": ("s", "\n  <{p}v>4</{p}v>\n"),
    "extension": (None, '<{p}v>7</{p}v><{p}extLst><{p}ext uri="{{x}}"><{p}extLst/></{p}ext></{p}extLst>'),
    "cdata": ("inlineStr", "<{p}is><{p}t><![CDATA[</{p}c></{p}row><{p}row r=\"99\">]]></{p}t></{p}is>"),
    "comment": (None, "<!-- </{p}c> --><{p}v>5</{p}v>"),
}


def _attr(name: str, value: str, quote: str) -> str:
    return f" {name}={quote}{value}{quote}"


@st.composite
def cells(draw: st.DrawFn, row: int, shared: str | None) -> str:
    """A row's cells; `shared`: the formula element of column C (a shared formula's member)."""
    out: list[tuple[int, str]] = []
    columns = draw(st.sets(st.integers(0, COLS - 1), max_size=COLS)) - ({2} if shared else set())
    for col in sorted(columns | ({2} if shared else set())):
        if col == 2 and shared:
            out.append((col, f'<{{p}}c r="C{row}">{shared}<{{p}}v>2</{{p}}v></{{p}}c>'))
            continue
        kind = draw(st.sampled_from(sorted(BODIES)))
        t, body = BODIES[kind]
        attrs = [("t", t)] if t is not None else []
        if draw(st.booleans()):
            attrs.append(("s", str(draw(st.integers(0, 3)))))
        if draw(st.integers(0, 9)) == 0:
            attrs.append((draw(st.sampled_from(["cm", "vm"])), "1"))
        attrs = draw(st.permutations(attrs))
        ref = [("r", f"{column_letter(col)}{row}")]
        order = draw(st.integers(0, 9))  # 0: the reference last, 9: no reference (by position, when it can be)
        by_position = order == 9 and col == (out[-1][0] + 1 if out else 0)
        attrs = attrs + ref if order == 0 else ([] if by_position else ref) + attrs
        quote = draw(st.sampled_from(['"', "'"]))
        tag = "<{p}c" + "".join(_attr(n, v, quote) for n, v in attrs)
        out.append((col, tag + "/>" if body is None else tag + ">" + body + "</{p}c>"))
        if draw(st.integers(0, 9)) == 0:
            out.append((col, "\n"))
    return "".join(xml for _, xml in out)


@st.composite
def sheets(draw: st.DrawFn) -> tuple[bytes, dict[int, dict[int, CellEdit]], bool]:
    p = draw(st.sampled_from(["", "x:"]))
    numbers = sorted(draw(st.sets(st.integers(1, 30), min_size=1, max_size=10)))
    # Maybe a shared formula over column C: its first cell holds the text and the range, the others refer to it.
    first = draw(st.sampled_from(numbers))
    members = [n for n in numbers if n >= first][: draw(st.integers(0, 4))]
    rows = []
    for i, n in enumerate(numbers):
        positional = i > 0 and numbers[i - 1] == n - 1 and draw(st.integers(0, 4)) == 0
        attrs = [] if positional else [("r", str(n))]
        if draw(st.booleans()):
            attrs.append(("spans", f"1:{COLS}"))
        if draw(st.booleans()):
            attrs += [("s", str(draw(st.integers(0, 3)))), ("customFormat", draw(st.sampled_from(["1", "true", "0"])))]
        if draw(st.booleans()):
            attrs.append(("x14ac:dyDescent", "0.25"))
        attrs = draw(st.permutations(attrs))
        quote = draw(st.sampled_from(['"', "'"]))
        shared = None
        if n in members:
            shared = (f'<{{p}}f t="shared" ref="C{first}:C{members[-1]}" si="0">B{first}*2</{{p}}f>' if n == first
                      else '<{p}f t="shared" si="0"/>')
        body = draw(cells(n, shared))
        closed = not body and draw(st.booleans())
        head = "<{p}row" + "".join(_attr(k, v, quote) for k, v in attrs)
        rows.append(head + "/>" if closed else head + ">" + body + "</{p}row>")
    merges = draw(st.lists(st.tuples(st.integers(1, 30), st.integers(0, COLS - 2), st.integers(0, 2), st.integers(0, 2)), max_size=2))
    tail = ""
    if merges:
        refs = "".join(f'<{{p}}mergeCell ref="{column_letter(c)}{r}:{column_letter(c + w)}{r + h}"/>' for r, c, h, w in merges)
        tail = f'<{{p}}mergeCells count="{len(merges)}">{refs}</{{p}}mergeCells>'
    cols = '<{p}cols><{p}col min="4" max="5" width="9" style="2" customWidth="1"/></{p}cols>' if draw(st.booleans()) else ""
    declare = f'xmlns:x="{NS}"' if p else f'xmlns="{NS}"'
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{{p}}worksheet {declare} xmlns:x14ac="{X14AC}">'
           f'{cols}<{{p}}sheetData>{"".join(rows)}</{{p}}sheetData>{tail}</{{p}}worksheet>').replace("{p}", p).replace("{{x}}", "{x}")
    text = st.text(st.sampled_from(list("ab =+-@\t\r\n&<>\"'漢\x01\u3000")), max_size=8)
    value = st.one_of(st.just(KEEP), text, st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False, width=32),
                      st.booleans(), st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)))
    edits: dict[int, dict[int, CellEdit]] = {}
    for k, (row, col, v) in enumerate(draw(st.lists(st.tuples(st.sampled_from([*numbers, 31, 40]), st.integers(0, COLS - 1), value),
                                                    min_size=1, max_size=10))):
        edits.setdefault(row, {})[col] = CellEdit(_style(k), v)
    return xml.encode("utf-8"), edits, draw(st.booleans())


def _style(k: int) -> Callable[[int], int]:
    return lambda base: 1000 * (k + 1) + base


# ---------------------------------------------------------------------------------- the model


def _q(root: etree._Element) -> Callable[[str], str]:
    return lambda name: f"{{{NS}}}{name}"


def _number(cell_or_row: etree._Element, previous: int, is_cell: bool) -> int:
    ref = cell_or_row.get("r")
    if ref is None:
        return previous + 1
    if is_cell:
        return column_index(re.match(r"[A-Za-z]+", ref).group(0))
    return int(ref)


def model(xml: bytes, edits: dict[int, dict[int, CellEdit]], skip_merged: bool) -> tuple[etree._Element, list, bool]:
    """What the editor must produce, done on the whole tree."""
    root = etree.fromstring(xml, PARSER)
    q = _q(root)
    data = root.find(q("sheetData"))
    merged = []
    for el in root.iter(q("mergeCell")):
        a, _, b = el.get("ref").partition(":")
        (c1, r1), (c2, r2) = (re.match(r"([A-Z]+)(\d+)", x).groups() for x in (a, b))
        merged.append((int(r1), column_index(c1), int(r2), column_index(c2)))
    col_styles = [(int(c.get("min")) - 1, int(c.get("max")) - 1, int(c.get("style"))) for c in root.iter(q("col")) if c.get("style")]
    rows, number = {}, 0
    for row in data.iterchildren(q("row")):
        number = _number(row, number, False)
        rows[number] = row
    written, removed, masters = [], False, []
    for n in sorted(edits):
        wanted = {c: e for c, e in edits[n].items()
                  if not (skip_merged and e.value is not KEEP and any(r1 <= n <= r2 and c1 <= c <= c2 and (n, c) != (r1, c1)
                                                                    for r1, c1, r2, c2 in merged))}
        if not wanted:
            continue  # every cell of the row is held by a merged range: the row is not made
        row = rows.get(n)
        if row is None:
            row = rows[n] = etree.Element(q("row"), r=str(n))
            later = [rows[m] for m in sorted(rows) if m > n]
            (later[0].addprevious(row) if later else data.append(row))
        custom = row.get("customFormat") in ("1", "true")
        row_style = int(row.get("s", "0")) if custom else None
        by_col, col = {}, -1
        for cell in row.iterchildren(q("c")):
            col = _number(cell, col, True)
            by_col[col] = cell
        for c in sorted(wanted):
            edit = wanted[c]
            cell = by_col.get(c)
            if cell is None:
                cell = by_col[c] = etree.Element(q("c"), r=f"{column_letter(c)}{n}")
                later = [by_col[k] for k in sorted(by_col) if k > c]
                (later[0].addprevious(cell) if later else row.append(cell))
                row.attrib.pop("spans", None)
                base = row_style if row_style is not None else next((s for a, b, s in col_styles if a <= c <= b), 0)
            else:
                base = int(cell.get("s")) if cell.get("s") is not None else (row_style or 0)
            cell.set("s", str(edit.style(base)))
            written.append((n, c))
            if edit.value is not KEEP:
                for child in list(cell):
                    if etree.QName(child).localname == "f":
                        removed = True
                        if child.get("t") == "shared" and child.get("ref"):
                            masters.append((n, c, child.get("si"), child.get("ref"), child.text))
                    if etree.QName(child).localname in ("f", "v", "is"):
                        cell.remove(child)
                for name in ("t", "cm", "vm"):
                    cell.attrib.pop(name, None)
                _put(cell, edit.value, q)
    for n, c, si, _ref, text in masters:  # the group's other cells get the formula in full
        origin = f"{column_letter(c)}{n}"
        for cell in data.iter(q("c")):
            f = cell.find(q("f"))
            if f is not None and f.get("t") == "shared" and f.get("si") == si and f.get("ref") is None:
                row_n, col_n = _where(data, cell, q)
                if (row_n, col_n) not in written:
                    f.attrib.clear()
                    f.text = Translator("=" + text, origin).translate_formula(f"{column_letter(col_n)}{row_n}")[1:]
    return root, sorted(written), removed


def _where(data: etree._Element, target: etree._Element, q: Callable[[str], str]) -> tuple[int, int]:
    number = 0
    for row in data.iterchildren(q("row")):
        number = _number(row, number, False)
        col = -1
        for cell in row.iterchildren(q("c")):
            col = _number(cell, col, True)
            if cell is target:
                return number, col
    raise AssertionError("cell not found")


def _put(cell: etree._Element, value: object, q: Callable[[str], str]) -> None:
    ext = cell.find(q("extLst"))
    if isinstance(value, bool):
        cell.set("t", "b")
        el = etree.Element(q("v"))
        el.text = str(int(value))
    elif isinstance(value, dt.datetime):
        el = etree.Element(q("v"))
        el.text = serial(value)
    elif isinstance(value, int | float):
        el = etree.Element(q("v"))
        el.text = str(value) if isinstance(value, int) else repr(float(value))
    else:
        cell.set("t", "inlineStr")
        el = etree.Element(q("is"))
        t = etree.SubElement(el, q("t"))
        t.text = excel_text(str(value))
    (ext.addprevious(el) if ext is not None else cell.append(el))


def canonical(el: etree._Element) -> tuple:
    """An element as comparable data: tag, attributes by name, text (no whitespace-only runs)."""
    attrib = {k: v for k, v in el.attrib.items() if k != "{http://www.w3.org/XML/1998/namespace}space"}
    text = el.text if el.text and el.text.strip() or etree.QName(el).localname == "t" else ""
    return el.tag, sorted(attrib.items()), text or "", [canonical(c) for c in el if isinstance(c.tag, str)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(sheets(), st.booleans())
def test_the_editor_does_what_the_model_does(sheet: tuple[bytes, dict[int, dict[int, CellEdit]], bool], listed: bool) -> None:
    xml, edits, skip_merged = sheet
    expected, written, removed = model(xml, edits, skip_merged)
    editor = Worksheet(xml)
    if listed:  # as with many rows to edit: every row listed by one scan first, instead of one search per row
        editor.rows.index()
    outcome = editor.edit(edits, skip_merged=skip_merged)
    out = etree.fromstring(editor.to_bytes(), PARSER)
    assert canonical(out) == canonical(expected)
    assert (outcome.written, outcome.formula_removed) == (written, removed)


# ---------------------------------------------------------------------------------- what the model cannot show


def _sheet(rows: str, p: str = "") -> bytes:
    declare = f'xmlns:{p[:-1]}="{NS}"' if p else f'xmlns="{NS}"'
    return f'<{p}worksheet {declare}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>'.encode()


def test_rows_and_cells_not_edited_are_left_byte_for_byte() -> None:
    rows = "".join(f"<row r=\"{n}\" spans='1:2'><c r=\"A{n}\" t='s'><v>{n}</v></c><c r='B{n}'><v>1</v></c></row>" for n in range(1, 9))
    xml = _sheet(rows)
    editor = Worksheet(xml)
    editor.edit({4: {0: CellEdit(lambda base: 7, "x")}, 6: {1: CellEdit(lambda base: 8)}})
    out = editor.to_bytes()
    assert out.replace(b'<c r="A4" s="7" t="inlineStr"><is><t>x</t></is></c>', b"<c r=\"A4\" t='s'><v>4</v></c>") \
              .replace(b"<c r='B6' s=\"8\">", b"<c r='B6'>") == xml


def test_a_value_is_always_text_unless_it_is_a_number_date_or_boolean() -> None:
    risky = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", " lead", "a\x1bb"]
    editor = Worksheet(_sheet('<row r="1"/>'))
    editor.edit({1: {c: CellEdit(lambda base: 0, v) for c, v in enumerate(risky)}})
    root = etree.fromstring(editor.to_bytes())
    cells = list(root.iter(f"{{{NS}}}c"))
    assert [c.get("t") for c in cells] == ["inlineStr"] * len(risky) and not list(root.iter(f"{{{NS}}}f"))
    assert ["".join(c.itertext()) for c in cells] == [v.replace("\x1b", "\ufffd") for v in risky]  # CR kept as CR


def test_new_rows_are_appended_and_the_dimension_follows() -> None:
    xml = b'<worksheet xmlns="%s"><dimension ref="A1:B2"/><sheetData><row r="1"/><row r="2"/></sheetData></worksheet>' % NS.encode()
    editor = Worksheet(xml)
    assert editor.last_row() == 2
    editor.append_rows(b'<row r="3"><c><v>1</v></c></row>', 3, 4)
    out = editor.to_bytes()
    assert b'<dimension ref="A1:E3"/>' in out and out.index(b'<row r="3">') > out.index(b'<row r="2"/>')
    empty = Worksheet(b'<x:worksheet xmlns:x="%s"><x:sheetData/></x:worksheet>' % NS.encode())
    empty.append_rows(b'<x:row r="1"/>', 1, 0)
    assert etree.fromstring(empty.to_bytes()).find(f"{{{NS}}}sheetData/{{{NS}}}row").get("r") == "1"


@pytest.mark.parametrize("part", [
    _sheet('<row r="1"><!-- </row> --><c r="A1"><v>1</v></c></row>'),
    _sheet('<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[</c></row>]]></t></is></c></row>'),
    _sheet('<?pi </c>?><row r="1"><c r="A1"><v>1</v></c></row>'),
    f'<worksheet xmlns="{NS}"><sheetData xmlns:y="{NS}"><y:row r="1"><y:c r="A1"><y:v>1</y:v></y:c></y:row></sheetData></worksheet>'.encode(),
    f'<?xml version="1.0" encoding="UTF-16"?><worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>'.encode("utf-16"),
])
def test_a_part_not_in_plain_form_is_rewritten_by_lxml_first_with_the_same_cells(part: bytes) -> None:
    editor = Worksheet(part)
    editor.edit({1: {1: CellEdit(lambda base: 5, "new")}})
    root = etree.fromstring(editor.to_bytes())
    cells = {c.get("r"): "".join(c.itertext()) for c in root.iter(f"{{{NS}}}c")}
    assert cells["B1"] == "new" and cells["A1"] in ("1", "</c></row>")
    assert len(list(root.iter(f"{{{NS}}}row"))) == 1


def test_a_part_with_a_document_type_is_refused() -> None:
    with pytest.raises(OoxmlError, match="document type"):
        Worksheet(b'<!DOCTYPE worksheet [<!ENTITY a "b">]>' + _sheet('<row r="1"/>'))


def test_the_legacy_drawing_goes_in_its_place_in_the_schema() -> None:
    xml = f'<worksheet xmlns="{NS}"><sheetData/><pageMargins left="1" right="1" top="1" bottom="1" header="0" footer="0"/>' \
          f'<tableParts count="0"/></worksheet>'.encode()
    editor = Worksheet(xml)
    assert editor.legacy_drawing() is None
    editor.add_legacy_drawing("rIdDq1")
    names = [etree.QName(el).localname for el in etree.fromstring(editor.to_bytes())]
    assert names == ["sheetData", "pageMargins", "legacyDrawing", "tableParts"]
    assert Worksheet(editor.to_bytes()).legacy_drawing() == "rIdDq1"


def test_a_quoted_value_that_looks_like_a_row_number_is_not_taken_for_it() -> None:
    editor = Worksheet(_sheet("<row r=\"1\"/><row note=' r=\"9\"' r=\"2\"><c r=\"A2\"><v>1</v></c></row><row r=\"3\"/>"))
    assert editor.rows.index()[0] == [1, 2, 3]
    editor.edit({2: {0: CellEdit(lambda base: 4, 8)}, 9: {0: CellEdit(lambda base: 4, 9)}})
    rows = etree.fromstring(editor.to_bytes()).findall(f".//{{{NS}}}row")
    assert [r.get("r") for r in rows] == ["1", "2", "3", "9"] and rows[1].findtext(f".//{{{NS}}}v") == "8"
