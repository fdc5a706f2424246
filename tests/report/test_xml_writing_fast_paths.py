"""The bulk paths of the XML writers give what the one-at-a-time paths give."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from openpyxl import Workbook
from report_helpers import fast_path_taken

from dataquality.issue import Issue, Severity
from dataquality.report import sheet_tree
from dataquality.report.annotated_xlsx import Mark
from dataquality.report.sheet_tree import restyle
from dataquality.safe_text import EXCEL_TEXT_MAX, excel_text, xml_escaped_cells


def test_bulk_escaping_equals_escaping_each_value() -> None:
    values = ["plain", "a<b>&c", "=1+1", "ctl\x07\x1b", "", "中文 ", "q\"uote'", "x" * (EXCEL_TEXT_MAX + 10), "\ud800 lone"]
    assert xml_escaped_cells(values) == [escape(excel_text(v)) for v in values]
    # A value holding NUL cannot be told from the separator: every value is then done on its own.
    with_nul = [*values, "nul\x00inside"]
    assert xml_escaped_cells(with_nul) == [escape(excel_text(v)) for v in with_nul]
    assert xml_escaped_cells([]) == []


def test_bulk_attribute_escaping_parses_back_to_the_text() -> None:
    values = ['say "hi"', "line\nbreak\tand\rreturn", "<&>", "'"]
    for value, escaped in zip(values, xml_escaped_cells(values, attribute=True), strict=True):
        el = etree.fromstring(f'<x a="{escaped}"/>')
        assert el.get("a") == value == etree.fromstring(f"<x a={quoteattr(value)}/>").get("a")


def _sheet(path: Path) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in range(1, 30):
        ws.append([f"v{r}", r, None, f"w{r}"])
    ws["B5"].number_format = "0.00"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml")


def _styles(xml: bytes) -> dict[str, str | None]:
    root = etree.fromstring(xml)
    return {c.get("r"): c.get("s") for c in root.iter("{*}c")}


def test_restyling_as_bytes_equals_restyling_the_parsed_rows(tmp_path: Path, monkeypatch) -> None:
    xml = _sheet(tmp_path / "a.xlsx")
    issue = Issue("FMT001", Severity.ERROR, "product", "a.xlsx")
    marks = [Mark("s", r, c, (issue,)) for r, c in ((2, 0), (5, 1), (5, 3), (7, 2))]
    style = lambda base, rgb: 100 + base  # noqa: E731
    # C7 is an empty cell the part leaves out: the one pass adds it, before D7, and drops the row's spans hint.
    spliced = sheet_tree.restyle_spliced(xml, marks, style, None)
    assert spliced is not None and b'<c r="C7" s="100"/><c r="D7"' in spliced
    # A comment anywhere makes the byte scan step aside: the whole part is parsed instead.
    slow = restyle(xml.replace(b"<sheetData>", b"<!-- x --><sheetData>", 1), marks, style, None)
    # Without the one pass, rows are edited as bytes one by one (restyle_bytes), or parsed (row 7).
    monkeypatch.setattr(sheet_tree, "restyle_spliced", lambda *args: None)
    edited = fast_path_taken(monkeypatch, sheet_tree, "restyle_bytes")
    by_row = restyle(xml, marks, style, None)
    assert edited == [True, True, False]
    assert _styles(spliced) == _styles(slow) == _styles(by_row)
    assert _styles(spliced)["A2"] == "100" and _styles(spliced)["C7"] == "100"
    assert _styles(spliced)["A3"] is None  # untouched
    assert int(_styles(spliced)["B5"]) > 100  # kept its own format as the base


def test_a_mark_on_a_row_the_sheet_lacks_creates_the_row(tmp_path: Path) -> None:
    xml = _sheet(tmp_path / "a.xlsx")
    issue = Issue("FMT001", Severity.ERROR, "product", "a.xlsx")
    out = restyle(xml, [Mark("s", 40, 0, (issue,))], lambda base, rgb: 7, None)
    assert _styles(out)["A40"] == "7"


def test_comment_texts_in_bulk_equal_one_comment_at_a_time() -> None:
    from dataquality.report.marks import MAX_COMMENT, comment_text, comment_texts, said

    plain = Issue("REQ001", Severity.ERROR, "product", "a.xlsx", "s", 2, field="name", column="B")
    fixable = Issue("FMT002", Severity.WARNING, "product", "a.xlsx", "s", 3, field="name", value=" x ",
                    column="B", fixable=True, fixed_value="x")
    info = Issue("FMT002", Severity.INFO, "product", "a.xlsx", "s", 4, field="name", value="y" * (MAX_COMMENT + 5), column="B")
    marks = [Mark("s", 2, 1, (plain,)), Mark("s", 3, 1, (fixable,)), Mark("s", 4, 1, (info,)),
             Mark("s", 5, 1, (info, plain, fixable))]
    for lang in ("en", "zh"):
        cache = said([plain, fixable, info], lang)
        bulk = comment_texts(marks, lang, cache)
        assert bulk == [comment_text(m, lang, cache) for m in marks] == [comment_text(m, lang) for m in marks]
        assert "\n→ " in bulk[1] and "x" in bulk[1].rsplit(":", 1)[-1]
        assert len(bulk[2]) <= MAX_COMMENT


def test_the_annotated_writer_pauses_cycle_collection_and_restores_it() -> None:
    import gc

    import pytest

    from dataquality.report.annotated_xlsx import _no_cycle_collection

    assert gc.isenabled()
    with _no_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), _no_cycle_collection():
        raise ValueError("a writer failing half-way")
    assert gc.isenabled()
    gc.disable()  # a caller that had it off keeps it off
    try:
        with _no_cycle_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_issue_sheet_cells_in_bulk_equal_one_cell_at_a_time() -> None:
    from dataquality.report.annotate_xml import _cell, _cell_pieces

    values = ["plain", "", " lead", "trail ", "\u3000全角", "a&amp;b", "中文", "x\ny", "\t"]
    for style in ("", ' s="7"'):
        assert _cell_pieces(values, style) == [_cell(v, style).encode() for v in values]
    assert _cell_pieces([], "") == []


def test_restyling_every_mark_in_one_pass_equals_the_parsing_editor(tmp_path: Path) -> None:
    xml = _sheet(tmp_path / "a.xlsx")
    # Row 9 shows its own format (customFormat) on cells without a style; row 11 quotes with apostrophes.
    xml = xml.replace(b'<row r="9"', b'<row customFormat="1" s="1" r="9"', 1)
    xml = xml.replace(b'<c r="B11" t="n">', b"<c r='B11' t='n'>", 1)
    error = Issue("FMT001", Severity.ERROR, "product", "a.xlsx")
    warning = Issue("FMT002", Severity.WARNING, "product", "a.xlsx")
    # C9 and F12 are empty cells the part leaves out: added in column order (F12 after the last cell).
    marks = [Mark("s", r, c, (i,)) for r, c in ((2, 0), (5, 1), (5, 3), (9, 0), (9, 2), (9, 3), (12, 1), (12, 5), (29, 0))
             for i in (error if c else warning,)]
    style = lambda base, rgb: 100 + base + (50 if rgb == "FFFF9999" else 0)  # noqa: E731
    spliced = sheet_tree.restyle_spliced(xml, marks, style, "rIdX")
    assert spliced is not None
    parsed = restyle(xml.replace(b"<sheetData>", b"<!-- x --><sheetData>", 1), marks, style, "rIdX")
    assert _styles(spliced) == _styles(parsed)
    assert _styles(spliced)["A9"] == "101" and _styles(spliced)["B5"] != "150" and _styles(spliced)["A3"] is None
    assert _styles(spliced)["C9"] == "151" and _styles(spliced)["F12"] == "150"
    assert spliced.count(b"<c ") == xml.count(b"<c ") + 2 and b'r:id="rIdX"' in spliced
    assert sheet_tree.restyle_spliced(xml, [*marks, Mark("s", 40, 0, (error,))], style, None) is None  # no row 40: the tree editor adds it
    assert sheet_tree.restyle_spliced(xml, [Mark("s", 11, 1, (error,))], style, None) is None  # apostrophes: parsed
    assert _styles(restyle(xml, [Mark("s", 11, 1, (error,))], style, None))["B11"] == "150"
