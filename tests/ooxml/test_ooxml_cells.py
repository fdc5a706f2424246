"""How values become cells (ooxml.cells): rows built column by column give what one cell at a time
gives, text is always text, and every reader places each value in its column."""

from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape, quoteattr

import fastexcel
from lxml import etree
from openpyxl import load_workbook

from dataquality.ooxml.cells import Column, cell_body, column_cells, new_sheet, rows_xml
from dataquality.ooxml.workbook import WorkbookEdit
from dataquality.safe_text import EXCEL_TEXT_MAX, excel_text, xml_escaped_cells

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
VALUES = ["plain", "", " lead", "trail ", "\u3000全角", "a&b<c>", "中文", "x\ny", "\t", "=1+1", "+1", "-1+2", "@A1", "\rx", None,
          12, 1.5, True, False, 1, 1.0, float("nan"), dt.datetime(2024, 3, 5)]


def test_bulk_escaping_equals_escaping_each_value() -> None:
    values = ["plain", "a<b>&c", "=1+1", "ctl\x07\x1b", "", "中文 ", "q\"uote'", "x" * (EXCEL_TEXT_MAX + 10), "\ud800 lone", "cr\r"]
    expected = [escape(excel_text(v)).replace("\r", "&#13;") for v in values]
    assert xml_escaped_cells(values) == expected
    # A value holding NUL cannot be told from the separator: every value is then done on its own.
    with_nul = [*values, "nul\x00inside"]
    assert xml_escaped_cells(with_nul) == [*expected, escape(excel_text("nul\x00inside"))]
    assert xml_escaped_cells([]) == []


def test_bulk_attribute_escaping_parses_back_to_the_text() -> None:
    values = ['say "hi"', "line\nbreak\tand\rreturn", "<&>", "'"]
    for value, escaped in zip(values, xml_escaped_cells(values, attribute=True), strict=True):
        el = etree.fromstring(f'<x a="{escaped}"/>')
        assert el.get("a") == value == etree.fromstring(f"<x a={quoteattr(value)}/>").get("a")


def _one(value: object, style: int | None) -> bytes:
    if value is None:
        return b"<c/>" if style is None else b'<c s="%d"/>' % style
    t, body = cell_body(value)
    if t == "inlineStr" and "<t></t>" in body:
        return b"<c/>" if style is None else b'<c s="%d"/>' % style
    s = "" if style is None else f' s="{style}"'
    kind = f' t="{t}"' if t else ""
    return f"<c{s}{kind}>{body}</c>".encode()


def test_a_column_built_in_bulk_equals_its_cells_one_at_a_time() -> None:
    texts = [v for v in VALUES if isinstance(v, str) or v is None]
    for column in (Column(texts), Column(texts, 7), Column(VALUES), Column(VALUES, [i % 3 or None for i in range(len(VALUES))])):
        styles = column.styles if isinstance(column.styles, list) else [column.styles] * len(column.values)
        assert column_cells(column, len(column.values)) == [_one(v, s) for v, s in zip(column.values, styles, strict=True)]


def test_equal_numbers_of_other_types_stay_apart() -> None:
    cells = column_cells(Column([1, 1.0, True, "1"]), 4)
    assert cells == [b"<c><v>1</v></c>", b"<c><v>1.0</v></c>", b'<c t="b"><v>1</v></c>', b'<c t="inlineStr"><is><t>1</t></is></c>']


def _workbook(rows: bytes) -> io.BytesIO:
    import xlsxwriter

    empty = io.BytesIO()
    wb = xlsxwriter.Workbook(empty, {"in_memory": True})
    wb.add_worksheet("S")
    wb.close()
    empty.seek(0)
    out = io.BytesIO()
    with WorkbookEdit(empty, out) as book:
        sheet = book.worksheet("S")
        sheet.append_rows(rows, 3, 2)
        book.put_worksheet("S", sheet)
    out.seek(0)
    return out


def test_new_rows_read_the_same_in_calamine_and_openpyxl_and_text_stays_text() -> None:
    risky = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", " lead"]
    columns = [Column(risky), Column([None, "", "mid", None, 5, 2.5, None]), Column([True, *["z"] * 6])]
    book = _workbook(rows_xml(range(1, len(risky) + 1), columns))
    ws = load_workbook(book)["S"]
    by_openpyxl = [[c.value for c in row] for row in ws.iter_rows()]
    assert [r[0] for r in by_openpyxl] == risky and all(ws.cell(row=r, column=1).data_type == "s" for r in range(1, 8))
    assert [r[1] for r in by_openpyxl] == [None, None, "mid", None, 5, 2.5, None] and by_openpyxl[0][2] is True
    frame = fastexcel.read_excel(book.getvalue()).load_sheet("S", header_row=None).to_pandas()
    assert [str(v) for v in frame.iloc[:, 0]] == risky and frame.iloc[2, 1] == "mid"


def test_a_new_sheet_part_is_well_formed_with_its_frozen_row_and_widths() -> None:
    part = b"".join(new_sheet(rows_xml([1], [Column(["h"])]), (10, 20), after_data='<autoFilter ref="A1:B1"/>'))
    root = etree.fromstring(part)
    assert [etree.QName(el).localname for el in root] == ["sheetViews", "cols", "sheetData", "autoFilter", "pageMargins"]
    assert root.find(f".//{{{NS}}}pane").get("ySplit") == "1" and len(root.find(f"{{{NS}}}cols")) == 2
