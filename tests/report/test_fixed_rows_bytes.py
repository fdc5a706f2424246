"""dq fix's corrected cells written as bytes (fixed_xlsx._fast_row) give what writing them into the
parsed rows (lxml) gives: random rows of every kind of cell, odd attribute order and quotes,
missing cells, merged ranges, a namespace prefix."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from report_helpers import fast_path_taken

from dataquality.report import fixed_xlsx
from dataquality.report.annotate_xml import Styles, Unsupported
from dataquality.report.fixed_cells import CellWrite
from dataquality.report.fixed_xlsx import _CellWriter, write_cells
from dataquality.report.marks import letters
from dataquality.report.sheet_tree import edit_sheet, legacy_drawing

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
STYLES = (f'<styleSheet xmlns="{NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.000"/></numFmts>'
          '<fonts count="1"><font/></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders>'
          '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
          '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
          '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>')
COLS = 7

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
    "shared formula": (None, '<{p}f t="shared" ref="C1:C9" si="0">B1*2</{p}f><{p}v>2</{p}v>'),
    "empty": (None, None),
    "open empty": (None, ""),
    "spaced": ("s", "\n  <{p}v>4</{p}v>\n"),
    "extension": (None, '<{p}v>7</{p}v><{p}extLst><{p}ext uri="{{x}}"/></{p}extLst>'),
}
PLAIN = ["shared", "inline", "rich", "number", "bool", "error", "empty", "open empty"]


def _attr(name: str, value: str, quote: str) -> str:
    return f" {name}={quote}{value}{quote}"


@st.composite
def cells(draw: st.DrawFn, row: int, plain: bool) -> str:
    out = []
    for col in sorted(draw(st.sets(st.integers(0, COLS - 1), max_size=COLS))):
        kind = draw(st.sampled_from(PLAIN if plain else sorted(BODIES)))
        t, body = BODIES[kind]
        attrs = []
        if t is not None:
            attrs.append(("t", t))
        if draw(st.booleans()):
            attrs.append(("s", str(draw(st.integers(0, 3)))))
        if not plain and draw(st.integers(0, 9)) == 0:
            attrs.append((draw(st.sampled_from(["cm", "vm"])), "1"))
        if not plain and draw(st.integers(0, 5)) == 0:
            attrs = draw(st.permutations(attrs))
        ref = [("r", f"{letters(col)}{row}")]
        order = draw(st.integers(0, 9)) if not plain else 1
        attrs = attrs + ref if order == 0 else ([] if order == 9 else ref) + attrs  # 9: no reference at all
        quote = draw(st.sampled_from(['"', "'"])) if not plain else '"'
        tag = "<{p}c" + "".join(_attr(n, v, quote) for n, v in attrs)
        out.append(tag + "/>" if body is None else tag + ">" + body + "</{p}c>")
        if not plain and draw(st.integers(0, 9)) == 0:
            out.append("\n")
    return "".join(out)


@st.composite
def sheets(draw: st.DrawFn) -> tuple[bytes, list[CellWrite]]:
    plain = draw(st.booleans())
    p = draw(st.sampled_from(["", "x:"])) if not plain else ""
    numbers = sorted(draw(st.sets(st.integers(1, 40), min_size=1, max_size=12)))
    rows = []
    for n in numbers:
        attrs = [("r", str(n))]
        if draw(st.booleans()):
            attrs.append(("spans", f"1:{COLS}"))
        if draw(st.booleans()):
            attrs += [("s", str(draw(st.integers(0, 3)))), ("customFormat", draw(st.sampled_from(["1", "true", "0"])))]
        if draw(st.booleans()):
            attrs.append(("x14ac:dyDescent", "0.25"))
        if not plain and draw(st.booleans()):
            attrs = draw(st.permutations(attrs))
        quote = draw(st.sampled_from(['"', "'"])) if not plain else '"'
        rows.append("<{p}row" + "".join(_attr(k, v, quote) for k, v in attrs) + ">" + draw(cells(n, plain)) + "</{p}row>")
    merges = draw(st.lists(st.tuples(st.integers(1, 40), st.integers(0, COLS - 2), st.integers(0, 2), st.integers(0, 2)), max_size=2))
    tail = ""
    if merges:
        refs = "".join(f'<{{p}}mergeCell ref="{letters(c)}{r}:{letters(c + w)}{r + h}"/>' for r, c, h, w in merges)
        tail = f'<{{p}}mergeCells count="{len(merges)}">{refs}</{{p}}mergeCells>'
    declare = f'xmlns:x="{NS}"' if p else f'xmlns="{NS}"'
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{{p}}worksheet {declare} xmlns:x14ac="{X14AC}">'
           f'<{{p}}sheetData>{"".join(rows)}</{{p}}sheetData>{tail}</{{p}}worksheet>').replace("{p}", p).replace("{{x}}", "{x}")
    text = st.text(st.sampled_from(list("ab =+-@\t\r\n&<>\"'漢\x01\u3000")), max_size=8)
    value = st.one_of(text, st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False, width=32),
                      st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)))
    writes = draw(st.lists(st.builds(CellWrite, st.none(), st.sampled_from(numbers), st.integers(0, COLS - 1).map(letters), value,
                                     st.sampled_from([None, "@", "yyyy-mm-dd"]), st.just("note")), min_size=1, max_size=10))
    return xml.encode("utf-8"), writes


def _write(xml: bytes, writes: list[CellWrite], fast: bool) -> tuple[object, ...]:
    """The sheet as written, parsed, with each cell's style number replaced by the format it names
    (the two paths may number new formats in another order: a row that falls back to lxml is
    edited when its group of rows is parsed, after the plain rows that follow it)."""
    styles = Styles(STYLES)
    writer = _CellWriter(writes, styles, date1904=False)
    drawing = legacy_drawing("rIdDq")

    def tail(container: etree._Element) -> None:  # as fixed_xlsx does: merged ranges read, the notes' drawing added
        writer.tail(container)
        drawing(container)

    try:
        out = write_cells(xml, writer, tail) if fast else edit_sheet(xml, writer.plan, writer.row, tail)
    except Unsupported as exc:
        return ("unsupported", str(exc))
    xfs = Styles(styles.render()).xfs
    return _canonical(etree.fromstring(out), xfs), writer.written, writer.formula_removed, sorted(xfs)


def _canonical(el: etree._Element, xfs: list[str]) -> tuple[object, ...]:
    attrib = dict(el.attrib)
    if etree.QName(el).localname == "c" and "s" in attrib:
        attrib["s"] = xfs[int(attrib["s"])]
    return el.tag, attrib, el.text or "", el.tail or "", [_canonical(c, xfs) for c in el]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets())
def test_writing_rows_as_bytes_equals_writing_the_parsed_rows(sheet: tuple[bytes, list[CellWrite]]) -> None:
    xml, writes = sheet
    assert _write(xml, writes, fast=True) == _write(xml, writes, fast=False)


def _sheet(rows: str) -> bytes:
    return f'<worksheet xmlns="{NS}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def test_plain_rows_are_written_as_bytes_and_byte_for_byte_as_lxml_writes_them(monkeypatch) -> None:
    xml = _sheet('<row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" s="2"><v>1.5</v></c><c r="D1" s="1"/></row>'
                 '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>')
    writes = [CellWrite(None, 1, "A", "=SUM(A1)", "@", "n"), CellWrite(None, 1, "B", 7, None, "n"),
              CellWrite(None, 1, "C", " lead", None, "n"), CellWrite(None, 1, "D", 3, None, "n"),
              CellWrite(None, 2, "A", dt.datetime(2024, 3, 5), "yyyy-mm-dd", "n")]
    done = fast_path_taken(monkeypatch, fixed_xlsx, "_fast_row")
    fast_writer = _CellWriter(writes, Styles(STYLES), False)
    fast = write_cells(xml, fast_writer, legacy_drawing("rIdDq"))
    assert done == [True, True]
    slow_writer = _CellWriter(writes, Styles(STYLES), False)
    slow = edit_sheet(xml, slow_writer.plan, slow_writer.row, legacy_drawing("rIdDq"))
    assert fast == slow
    cells = {c.get("r"): c for c in etree.fromstring(fast).iter(f"{{{NS}}}c")}
    assert cells["A1"].get("t") == "inlineStr" and cells["A1"].findtext(f".//{{{NS}}}t") == "=SUM(A1)"  # text, never a formula
    assert cells["C1"].find(f".//{{{NS}}}t").get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    assert cells["D1"].findtext(f"{{{NS}}}v") == "3" and cells["A2"].findtext(f"{{{NS}}}v") == "45356"
    assert b"spans" not in fast  # a cell was added (C1): the spans hint goes, as lxml's path does


@pytest.mark.parametrize("row", [
    '<row r="1"><c r="A1"><f>B1*2</f><v>2</v></c></row>',  # a formula: the parsed row removes it and notes that
    '<row r="1"><c s="1" r="A1"><v>2</v></c></row>',  # the reference not first
    '<row r="1"><c r="A1">\n<v>2</v></c></row>',  # whitespace inside the cell
    '<row r="1"><c r="A1"><v>2</v><extLst><ext uri="u"/></extLst></c></row>',  # an extension is kept
    '<row r="1"><c><v>1</v></c><c r="C1"><v>2</v></c></row>',  # a cell numbered by position
    '<row r="1"/>',  # an empty row
])
def test_unusual_rows_go_through_the_parsed_row_with_the_same_result(row: str, monkeypatch) -> None:
    xml = _sheet(row)
    writes = [CellWrite(None, 1, "A", "new", None, "n"), CellWrite(None, 1, "B", 5, None, "n")]
    done = fast_path_taken(monkeypatch, fixed_xlsx, "_fast_row")
    fast = _write(xml, writes, fast=True)
    assert done == [False]  # tried as bytes, then parsed on its own
    assert fast == _write(xml, writes, fast=False)
    assert fast[0][4][0][4][0][4][0][1]["t"] == "inlineStr"  # type: ignore[index]  # A1 holds the new text


@pytest.mark.parametrize("rows", [
    '<row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>',  # row 2 is missing: it is made
    '<row r="2"><c r="A2"><v>2</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>',  # out of order
    '<row r="1"><c r="A1"><v>1</v></c></row><row spans="1:1" r="2"><c r="A2"><v>2</v></c></row>',  # r not first
    '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><f>1+1</f><v>2</v></c></row>',  # a formula
])
def test_a_row_not_found_by_its_tag_or_not_plain_is_written_as_the_general_editor_writes_it(rows: str) -> None:
    xml = _sheet(rows)
    writes = [CellWrite(None, 1, "B", "one", None, "n"), CellWrite(None, 2, "B", 2, None, "n")]
    fast = _write(xml, writes, fast=True)
    assert fast == _write(xml, writes, fast=False)
    written = {c.get("r"): c for c in etree.fromstring(write_cells(xml, _CellWriter(writes, Styles(STYLES), False), legacy_drawing("rIdDq")))
               .iter(f"{{{NS}}}c")}
    assert written["B1"].findtext(f".//{{{NS}}}t") == "one" and written["B2"].findtext(f"{{{NS}}}v") == "2"


def test_rows_between_the_corrected_ones_are_left_byte_for_byte(monkeypatch) -> None:
    rows = "".join(f"<row r=\"{n}\" spans='1:2'><c r=\"A{n}\" t='s'><v>{n}</v></c></row>" for n in range(1, 9))
    xml = _sheet(rows)
    done = fast_path_taken(monkeypatch, fixed_xlsx, "_fast_row")
    out = write_cells(xml, _CellWriter([CellWrite(None, 4, "A", "x", None, "n")], Styles(STYLES), False), legacy_drawing("rIdDq"))
    assert done == [True]
    row4 = xml[xml.index(b'<row r="4"'): xml.index(b'<row r="5"')]
    new4 = out[out.index(b'<row r="4"'): out.index(b'<row r="5"')]
    assert new4 != row4 and out.index(new4) == xml.index(row4)
    assert out[: out.index(new4)] == xml[: xml.index(row4)]  # rows 1-3 as they were, single quotes and all
    assert out[out.index(new4) + len(new4): out.index(b"</sheetData>")] == xml[xml.index(row4) + len(row4): xml.index(b"</sheetData>")]


@pytest.mark.parametrize("extra", ["<!-- </row> -->", "<!DOCTYPE x>", "<?pi </c>?>", '<c r="B1" t="inlineStr"><is><t><![CDATA[</c>]]></t></is></c>'])
def test_a_part_where_a_bracket_might_not_start_markup_is_never_spliced(extra: str) -> None:
    from dataquality.report.sheet_splice import Sheet, SpliceUnsupported

    plain = '<row r="1"><c r="A1" t="inlineStr"><is><t>Why? Because!</t></is></c>{}</row>'
    Sheet(_sheet(plain.format("")))  # '?' and '!' in text are fine
    with pytest.raises(SpliceUnsupported):
        Sheet(_sheet(plain.format(extra)))
