"""The fixed copy's writer (report/fixed_xlsx): only corrected cells change, everything else survives."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from report_helpers import rewritten

from dataquality.fileio import atomic_path
from dataquality.ooxml import OoxmlError
from dataquality.report import fixed_xlsx
from dataquality.report.fixed_xlsx import CellWrite, ChangesSheet, write_fixed

HEADERS = ["Cell", "Field", "Old value", "New value", "Rule", "Run"]


def _changes(*rows: list[str]) -> ChangesSheet:
    return ChangesSheet("Changes", HEADERS, [list(r) for r in rows], (16, 24, 28, 28, 22, 18))


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.fixture
def book(write_xlsx) -> Path:  # noqa: ANN001
    """Formats, formulas, a merged range, a data validation, a conditional format and a second sheet."""
    path = write_xlsx("book.xlsx", {"data": [["code", "qty", "twice", "note", "when"],
                                             *[[f"c{i:03d}", i, f"=B{i}*2", "x", None] for i in range(2, 40)]],
                                    "other": [["do not touch"]]})
    wb = load_workbook(path)
    ws = wb["data"]
    ws["A1"].font = Font(bold=True, color="FF0000")
    ws["D3"].number_format = "@"
    ws.merge_cells("D10:D12")
    listed = DataValidation(type="list", formula1='"x,y"', allow_blank=True)
    listed.add("D2:D39")
    ws.add_data_validation(listed)
    ws.conditional_formatting.add("B2:B39", CellIsRule(operator="greaterThan", formula=["30"], font=Font(italic=True)))
    wb.save(path)
    return path


def _tail(xml: bytes) -> bytes:
    return xml[xml.index(b"</sheetData>"):]


def test_only_the_corrected_cells_change_and_other_parts_stay_identical(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    cells = [
        CellWrite("data", 2, "A", "C002", "@", "fixed A2"),
        CellWrite("data", 3, "D", 12, None, "fixed D3"),  # a number in a text-formatted cell
        CellWrite("data", 4, "E", dt.datetime(2024, 3, 5), "yyyy-mm-dd", "fixed E4"),
        CellWrite("data", 5, "B", 7.5, None, "fixed B5"),
        CellWrite("data", 11, "D", "merged away", None, "never written"),  # covered by D10:D12
    ]
    before = _parts(book)
    write_fixed(book, out, cells, _changes(["data!A2", "code", "c002", "C002", "FMT", "now"]))

    after = _parts(out)
    assert _parts(book) == before  # the input is only read
    untouched = {n for n in before if n not in ("xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml",
                                                "xl/_rels/workbook.xml.rels", "[Content_Types].xml")}
    assert untouched and all(after[n] == before[n] for n in untouched)
    # The validation, the conditional format and the merged range after the data: as they were, byte for byte.
    kept = _tail(before["xl/worksheets/sheet1.xml"])
    assert b"<dataValidation" in kept and b"<conditionalFormatting" in kept
    assert re.sub(rb"<legacyDrawing [^>]*/>", b"", _tail(after["xl/worksheets/sheet1.xml"])) == kept

    wb = load_workbook(out)
    ws = wb["data"]
    assert ws["A1"].font.b and ws["A1"].font.color.rgb.endswith("FF0000")
    assert ws["A2"].value == "C002" and ws["A2"].number_format == "@"
    assert ws["D3"].value == 12 and ws["D3"].number_format == "General"
    assert ws["E4"].value == dt.datetime(2024, 3, 5) and ws["E4"].number_format == "yyyy-mm-dd"
    assert ws["B5"].value == 7.5
    assert ws["D11"].value is None and ws["D11"].comment is None
    assert ws["C2"].value == "=B2*2" and ws["C5"].value == "=B5*2"  # formulas kept
    for ref in ("A2", "D3", "E4", "B5"):
        assert ws[ref].fill.start_color.rgb.endswith(fixed_xlsx.CHANGED_FILL)
        assert ws[ref].comment.text == f"fixed {ref}" and ws[ref].comment.author == fixed_xlsx.AUTHOR
    assert ws["A3"].comment is None and ws["A3"].value == "c003"
    assert wb["other"]["A1"].value == "do not touch"
    changes = list(wb["Changes"].iter_rows(values_only=True))
    assert changes == [tuple(HEADERS), ("data!A2", "code", "c002", "C002", "FMT", "now")]


def test_text_that_looks_like_a_formula_is_stored_as_text(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    risky = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", " lead", "a\x1bb"]
    cells = [CellWrite("data", 2 + i, "A", v, None, "n") for i, v in enumerate(risky)]
    write_fixed(book, out, cells, _changes(["=HYPERLINK(\"http://x\")", "f", "=1", "+1", "@x", "-1"]))
    ws = load_workbook(out)["data"]
    for i, value in enumerate(risky):
        cell = ws.cell(row=2 + i, column=1)
        assert cell.data_type == "s", value
        assert cell.value == value.replace("\x1b", "\ufffd")
    row = [c for c in next(load_workbook(out)["Changes"].iter_rows(min_row=2))]
    assert all(c.data_type == "s" for c in row) and row[0].value.startswith("=HYPERLINK")
    with zipfile.ZipFile(out) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    assert b"<f>1+1" not in sheet and b"<f>=1+1" not in sheet


def test_a_corrected_formula_cell_becomes_its_value_and_leaves_the_calc_chain(book: Path, tmp_path: Path) -> None:
    # openpyxl writes no calculation chain: add one as Excel would.
    chain = {"[Content_Types].xml": (b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
                                                  b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>'),
             "xl/_rels/workbook.xml.rels": (b"</Relationships>", b'<Relationship Id="rIdCalc" Type="http://schemas.openxmlformats.org/'
                                                                 b'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
                                                                 b"</Relationships>")}
    with_chain = rewritten(book, tmp_path / "chain.xlsx", lambda name, data: data.replace(*chain[name]) if name in chain else data,
                           add={"xl/calcChain.xml": b'<?xml version="1.0"?><calcChain xmlns="http://schemas.openxmlformats.org/'
                                                    b'spreadsheetml/2006/main"><c r="C2" i="1"/></calcChain>'})
    out = tmp_path / "out.xlsx"
    write_fixed(with_chain, out, [CellWrite("data", 2, "C", 4, None, "n")], _changes(["a"] * 6))
    parts = _parts(out)
    assert "xl/calcChain.xml" not in parts
    assert b"calcChain" not in parts["[Content_Types].xml"] and b"calcChain" not in parts["xl/_rels/workbook.xml.rels"]
    ws = load_workbook(out)["data"]
    assert ws["C2"].value == 4 and ws["C3"].value == "=B3*2"


def test_cell_text_that_looks_like_markup_is_never_taken_for_it(book: Path, tmp_path: Path) -> None:
    def cdata(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        # An inline string whose text looks like the end of a row: only a parser knows it is text.
        return re.sub(rb'<c r="D4"[^>]*>.*?</c>', b'<c r="D4" t="inlineStr"><is><t><![CDATA[</c></row><row r="99">]]></t></is></c>',
                      data, count=1)

    tricky = rewritten(book, tmp_path / "cdata.xlsx", cdata)
    out = tmp_path / "out.xlsx"
    write_fixed(tricky, out, [CellWrite("data", 4, "A", "C004", None, "n"), CellWrite("data", 5, "A", "C005", None, "n")],
                _changes(["a"] * 6))
    ws = load_workbook(out)["data"]
    assert ws["A4"].value == "C004" and ws["A5"].value == "C005"
    assert ws["D4"].value == "</c></row><row r=\"99\">" and ws["A99"].value is None


def test_a_second_run_adds_its_rows_to_dqs_own_changes_sheet(book: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    wb = load_workbook(book)
    wb["other"]["B2"] = "b2"
    wb.save(book)
    write_fixed(book, first, [CellWrite("data", 2, "A", "C002", None, "n")], _changes(["data!A2", "", "", "", "", "1"]))
    write_fixed(first, second, [CellWrite("other", 2, "B", "B2", None, "n")], _changes(["other!B2", "", "", "", "", "2"]))
    wb = load_workbook(second)
    assert wb.sheetnames == ["data", "other", "Changes"]
    assert [r[0] for r in wb["Changes"].iter_rows(values_only=True)] == ["Cell", "data!A2", "other!B2"]
    assert wb["data"]["A2"].comment.text == "n" and wb["other"]["B2"].value == "B2"


def test_a_sheet_that_already_has_notes_keeps_them_and_a_noted_cell_gets_the_fix_below(book: Path, tmp_path: Path) -> None:
    from openpyxl.comments import Comment

    wb = load_workbook(book)
    wb["data"]["A2"].comment = Comment("ours", "someone")
    wb["data"]["B3"].comment = Comment("another", "someone")
    wb.save(book)
    out = tmp_path / "out.xlsx"
    write_fixed(book, out, [CellWrite("data", 2, "A", "C002", None, "fixed"), CellWrite("data", 4, "A", "C004", None, "new")],
                _changes(["a"] * 6))
    ws = load_workbook(out)["data"]
    assert ws["A2"].value == "C002" and ws["A2"].comment.text == "ours\nfixed"
    assert ws["B3"].comment.text == "another" and ws["A4"].comment.text == "new"
    with zipfile.ZipFile(out) as zf:  # the sheet's own notes part and drawing were extended, not doubled
        names = zf.namelist()
        assert sum(n.startswith("xl/comments") for n in names) == 1
        assert sum(n.endswith(".vml") for n in names) == 1
        vml = next(zf.read(n) for n in names if n.endswith(".vml"))
    assert len(set(re.findall(rb'id="(_x0000_s\d+)"', vml))) == 3  # three boxes, three ids


def test_libreoffice_opens_the_fixed_copy(book: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install -y libreoffice-calc-nogui)")
    out = tmp_path / "fixed.xlsx"
    write_fixed(book, out, [CellWrite("data", 2, "A", "=C002", None, "n"), CellWrite("data", 3, "B", 30, None, "n")],
                _changes(["a"] * 6))
    (tmp_path / "lo").mkdir()
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
                           "--outdir", str(tmp_path / "lo"), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ws = load_workbook(tmp_path / "lo" / "fixed.xlsx")["data"]
    assert ws["A2"].value == "=C002" and ws["A2"].data_type == "s"  # still text after a real spreadsheet saved it
    assert ws["B3"].value == 30 and ws["C3"].value == "=B3*2"
    assert "n" in ws["A2"].comment.text


def test_the_other_cells_of_a_shared_formula_keep_their_formula_when_its_first_cell_is_corrected(book: Path, tmp_path: Path) -> None:
    def shared(name: str, data: bytes) -> bytes:  # column C as Excel writes a filled-down formula
        if name != "xl/worksheets/sheet1.xml":
            return data
        data = data.replace(b"<f>B2*2</f>", b'<f t="shared" ref="C2:C39" si="0">B2*2</f>')
        return re.sub(rb"<f>B(\d+)\*2</f>", b'<f t="shared" si="0"/>', data)

    filled = rewritten(book, tmp_path / "shared.xlsx", shared)
    out = tmp_path / "out.xlsx"
    write_fixed(filled, out, [CellWrite("data", 2, "C", 99, None, "n")], _changes(["a"] * 6))
    ws = load_workbook(out)["data"]
    assert ws["C2"].value == 99 and ws["C3"].value == "=B3*2" and ws["C39"].value == "=B39*2"
    with zipfile.ZipFile(out) as zf:
        assert b'si="0"' not in zf.read("xl/worksheets/sheet1.xml")


def test_a_workbook_the_editor_cannot_edit_safely_is_refused_with_one_message_and_no_output(book: Path, tmp_path: Path, config) -> None:  # noqa: ANN001
    from dataquality.fix import CellChange, FixError, FixPlan, write
    from dataquality.pipeline import Result

    bad = rewritten(book, tmp_path / "dtd.xlsx", lambda name, data: b'<!DOCTYPE worksheet [<!ENTITY e "x">]>' + data
                    if name == "xl/worksheets/sheet1.xml" else data)
    with pytest.raises(OoxmlError, match="document type"):
        write_fixed(bad, tmp_path / "out.xlsx", [CellWrite("data", 2, "A", "C", None, "n")], _changes(["a"] * 6))
    change = CellChange("dtd.xlsx", "data", 2, "A", "customer", "customer_code", "c002", "C002", ("FMT001",))
    with pytest.raises(FixError) as refused:
        write(FixPlan(bad, [change], Result([]), []), tmp_path / "fixed.xlsx", config)
    assert refused.value.key == "fix.cannot_edit" and "dtd.xlsx" in refused.value.message("en")
    assert not [p.name for p in tmp_path.iterdir() if "fixed" in p.name]  # nothing half-written left


def test_the_copy_is_a_workbook_of_the_kind_its_name_says(book: Path, tmp_path: Path, config) -> None:  # noqa: ANN001
    """An .xlsm fixed into an .xlsx leaves its macros out (Excel refuses an .xlsx that holds them), and back."""
    from dataquality.fix import FixPlan, write
    from dataquality.pipeline import Result

    macro_type = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    plain_type = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    link = b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
    edits = {"[Content_Types].xml": (plain_type, macro_type), "xl/_rels/workbook.xml.rels": (b"</Relationships>", link + b"</Relationships>")}
    xlsm = rewritten(book, tmp_path / "macros.xlsm", lambda name, data: data.replace(*edits[name]) if name in edits else data,
                     add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macros"})
    for name, changes in (("fixed.xlsx", [CellWrite("data", 2, "A", "C002", None, "n")]), ("same.xlsx", [])):
        with atomic_path(tmp_path / name) as out:
            write_fixed(xlsm, out, changes, _changes(*[["a"] * 6 for _ in changes]), macros=False)
        parts = _parts(tmp_path / name)
        assert "xl/vbaProject.bin" not in parts and b"vbaProject" not in parts["xl/_rels/workbook.xml.rels"]
        assert plain_type in parts["[Content_Types].xml"] and macro_type not in parts["[Content_Types].xml"]
        assert load_workbook(tmp_path / name)["data"]["A2"].value == ("C002" if changes else "c002")
    assert "Changes" not in load_workbook(tmp_path / "same.xlsx").sheetnames  # nothing corrected, nothing listed
    write(FixPlan(tmp_path / "fixed.xlsx", [], Result([]), []), tmp_path / "back.xlsm", config)
    assert macro_type in _parts(tmp_path / "back.xlsm")["[Content_Types].xml"]
    write(FixPlan(xlsm, [], Result([]), []), tmp_path / "copy.xlsm", config)
    assert (tmp_path / "copy.xlsm").read_bytes() == xlsm.read_bytes()  # the same kind and nothing to correct: byte for byte
