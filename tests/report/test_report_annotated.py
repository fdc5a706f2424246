"""The annotated workbook, opened with openpyxl: fills and comments on the exact cells."""

from __future__ import annotations

import hashlib
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from report_helpers import demo_result

from dataquality.issue import Issue, Severity
from dataquality.pipeline import run
from dataquality.report import ReportOptions, annotated_xlsx
from dataquality.report.marks import Mark

RED, AMBER = annotated_xlsx.FILLS["error"], annotated_xlsx.FILLS["warning"]  # type: ignore[index]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_workbook_is_annotated_on_the_exact_cells(tmp_path: Path, config) -> None:
    result = demo_result(tmp_path / "demo", config, "zh")
    source = tmp_path / "demo" / "customers.xlsx"
    before = _digest(source)
    written = annotated_xlsx.write(result, ReportOptions(lang="zh", out=tmp_path / "out"))
    assert _digest(source) == before  # the user's file is never touched
    path = tmp_path / "out" / "customers.annotated.xlsx"
    assert path in written
    wb = load_workbook(path)
    ws = wb["客户主数据"]
    assert ws["E15"].value == "E" and ws["E15"].fill.fgColor.rgb == RED
    assert "ENM001" in ws["E15"].comment.text and "客户等级" in ws["E15"].comment.text
    assert ws["H13"].fill.fgColor.rgb == AMBER and "FMT003" in ws["H13"].comment.text
    assert ws["F26"].value is None and ws["F26"].fill.fgColor.rgb == RED  # missing salesperson: an empty cell
    assert ws["B6"].fill.fgColor.rgb == AMBER and "浙江东方电气配件有限公司" in ws["B6"].comment.text
    # Everything else keeps the user's formatting: the blue header, the bold title, no stray notes.
    assert ws["C3"].fill.fgColor.rgb.endswith("305496") and ws["C3"].font.b
    assert ws["A1"].font.b and ws["A1"].value == "客户主数据导入表"
    assert ws["E16"].comment is None and ws["E16"].fill.fill_type is None
    assert ws.freeze_panes == "A4"
    commented = {c.coordinate for row in ws.iter_rows() for c in row if c.comment}
    assert commented == {i.cell.split("!")[1] for i in result.issues if i.file == "customers.xlsx"}
    issues = wb["问题清单"]
    assert issues.max_row == 1 + sum(1 for i in result.issues if i.file == "customers.xlsx")
    links = {c.value: c.hyperlink.location for c in issues["F"][1:] if c.hyperlink}
    assert links["客户主数据!E15"] == "'客户主数据'!E15"


def test_formula_like_values_stay_text_in_the_issues_sheet(tmp_path: Path, config, write_xlsx) -> None:
    path = write_xlsx("c.xlsx", {"客户": [["客户编码", "客户名称", "业务员", "联系电话", "详细地址"],
                                         ["=1+2", "甲公司", "张伟", "13812345678", "上海"],
                                         ["C000002", "乙公司", "张伟", "13812345679", "上海"]]})  # one code of the house format
    # A real formula cell in the input, to show formulas are copied untouched.
    wb = load_workbook(path)
    wb["客户"]["F2"] = "=LEN(B2)"
    wb["客户"]["A2"].data_type = "s"  # the key is the text "=1+2", as a clerk might type it
    wb.save(path)
    result = run(config, [path], "en")
    [out] = annotated_xlsx.write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    wb = load_workbook(out)
    assert wb["客户"]["F2"].value == "=LEN(B2)"
    issues = wb["Issues"]
    values = [c.value for c in issues["I"]]
    assert "=1+2" in values and issues[f"I{values.index('=1+2') + 1}"].data_type == "s"


def test_a_sheet_with_notes_of_its_own_keeps_them(tmp_path: Path, config, write_xlsx) -> None:
    path = write_xlsx("c.xlsx", {"客户": [["客户编码", "客户名称", "业务员", "联系电话", "详细地址"],
                                         ["C1", "甲公司", "张伟", "13812345678", "上海"],
                                         ["C000002", "乙公司", "张伟", "13812345679", "上海"]]})  # one code of the house format
    wb = load_workbook(path)
    wb["客户"]["A2"].comment = Comment("checked by Li", "Li")
    wb["客户"]["B2"].font = Font(italic=True)
    wb.save(path)
    result = run(config, [path], "en")
    [out] = annotated_xlsx.write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    ws = load_workbook(out)["客户"]
    assert ws["A2"].fill.fgColor.rgb == RED
    assert "FMT001" in ws["A2"].comment.text and "checked by Li" in ws["A2"].comment.text
    assert ws["B2"].font.i
    # The XML editor gave up half-way (the sheet has notes): its half-written copy is gone.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["c.annotated.xlsx"]


def test_csv_input_becomes_an_annotated_workbook(tmp_path: Path, config) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("客户编码,客户名称,业务员,联系电话,详细地址\nC100001,甲公司,张伟,13812345678,上海\nC1,乙公司,,13812345678,北京\n", encoding="utf-8")
    result = run(config, [path], "en")
    [out] = annotated_xlsx.write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    assert out.name == "customers.annotated.xlsx"
    ws = load_workbook(out)["customers"]
    assert ws["A3"].value == "C1" and ws["A3"].fill.fgColor.rgb == RED and "FMT001" in ws["A3"].comment.text
    assert ws["C3"].fill.fgColor.rgb == RED and ws["A2"].comment is None


def test_every_part_of_the_annotated_workbook_is_well_formed(tmp_path: Path, config) -> None:
    import xml.etree.ElementTree as ET
    import zipfile

    result = demo_result(tmp_path / "demo", config, "en")
    [customers, _] = annotated_xlsx.write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    with zipfile.ZipFile(customers) as zf:
        names = zf.namelist()
        for name in names:
            if name.endswith((".xml", ".rels", ".vml")):
                ET.fromstring(zf.read(name))  # raises on malformed XML
        types = zf.read("[Content_Types].xml").decode()
    assert "xl/comments_dq1.xml" in names and "xl/drawings/vmlDrawing_dq1.vml" in names
    assert 'PartName="/xl/comments_dq1.xml"' in types and 'Extension="vml"' in types
    with zipfile.ZipFile(tmp_path / "demo" / "customers.xlsx") as original, zipfile.ZipFile(customers) as copy:
        # Parts that hold no issue are copied byte for byte.
        assert original.read("xl/theme/theme1.xml") == copy.read("xl/theme/theme1.xml")


def test_row_level_issues_are_marked_on_the_key_cell() -> None:
    from dataquality.issue import Issue, Severity

    row_issue = Issue(rule="PRD001", severity=Severity.ERROR, entity="product", file="p.xlsx", sheet="产品", row=7, key="FG000001")
    file_issue = Issue(rule="FIL002", severity=Severity.ERROR, entity="product", file="p.xlsx", sheet="产品")
    [mark] = annotated_xlsx.marks_for([row_issue, file_issue], {"产品": 2})
    assert (mark.sheet, mark.ref, mark.severity) == ("产品", "C7", Severity.ERROR)


def test_the_issues_sheet_reads_the_same_in_calamine_and_openpyxl(tmp_path: Path, config) -> None:
    # Its data cells carry no r="..." (positional): every reader must put each value in its column,
    # empty ones (a row-level issue has no field or value) included.
    import fastexcel

    result = demo_result(tmp_path / "demo", config, "en")
    annotated_xlsx.write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    path = tmp_path / "out" / "customers.annotated.xlsx"
    ws = load_workbook(path)["Issues"]
    by_openpyxl = [["" if c.value is None else str(c.value) for c in row] for row in ws.iter_rows(min_row=2)]
    frame = fastexcel.read_excel(path).load_sheet("Issues", header_row=None).to_pandas()
    by_calamine = [["" if v is None or v != v else str(v) for v in row] for row in frame.itertuples(index=False)][1:]
    assert by_calamine == by_openpyxl and len(by_openpyxl) == sum(1 for i in result.issues if i.file == "customers.xlsx")
    assert any("" in row[6:9] for row in by_openpyxl)  # an empty middle column stays in place
    assert all(row[2] and row[9] for row in by_openpyxl)  # rule and message in their columns


def test_a_record_issue_is_marked_on_the_schemas_key_column(config, write_xlsx, tmp_path):
    """A supplier's row-level issue goes on its key (supplier_code, from the schema), not the first column."""
    from openpyxl import load_workbook

    from dataquality.issue import Issue, Severity
    from dataquality.report import ReportOptions
    from dataquality.report.annotated_xlsx import write

    path = write_xlsx("suppliers.xlsx", {"供应商": [["供应商名称", "供应商编码", "开户银行"], ["甲公司", "S000001", "工商银行"]]})
    result = run(config, [path])
    table = result.tables[0]
    assert table.entity == "supplier" and table.key == "supplier_code"
    result.issues = [Issue(rule="SUP001", severity=Severity.ERROR, entity="supplier", file=path.name, sheet="供应商", row=2)]
    out = write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    ws = load_workbook(out[0])["供应商"]
    assert ws["B2"].comment is not None and ws["A2"].comment is None


def test_libreoffice_opens_the_annotated_copy_with_its_fills_and_notes(tmp_path: Path, config, write_xlsx) -> None:
    import shutil
    import subprocess
    import zipfile

    import pytest

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install -y libreoffice-calc-nogui)")
    # C3 is empty (no <c> in the part: the annotator adds it), A3 holds a text that looks like a formula.
    path = write_xlsx("c.xlsx", {"客户": [["客户编码", "客户名称", "业务员", "联系电话", "详细地址"],
                                         ["C100001", "甲公司", "张伟", "13812345678", "上海"],
                                         ["+1-2", "乙公司", None, "13812345678", "北京"]]})
    result = run(config, [path], "en")
    [out] = annotated_xlsx.write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    with zipfile.ZipFile(out) as zf:
        assert b'<c r="C3" s="' in zf.read("xl/worksheets/sheet1.xml")
    (tmp_path / "lo").mkdir()
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
                           "--outdir", str(tmp_path / "lo"), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    wb = load_workbook(tmp_path / "lo" / out.name)
    ws = wb["客户"]
    assert ws["C3"].fill.fgColor.rgb == RED and "REQ001" in ws["C3"].comment.text
    assert ws["A3"].value == "+1-2" and ws["A3"].data_type == "s" and ws["A3"].fill.fgColor.rgb == RED
    assert ws["A2"].comment is None and ws["B3"].value == "乙公司"
    issues = wb["Issues"]
    assert issues.max_row == len(result.issues) + 1
    keys = [c for c in issues["G"] if c.value == "+1-2"]  # the key column: data written back stays text
    assert keys and all(c.data_type == "s" for c in keys)


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


def test_a_workbook_the_editor_refuses_is_annotated_in_a_copy_of_its_text(tmp_path: Path, config, write_xlsx) -> None:
    from report_helpers import rewritten

    path = write_xlsx("c.xlsx", {"客户": [["客户编码", "客户名称", "业务员", "联系电话", "详细地址"],
                                         ["C000001", "乙公司", "张伟", "13812345679", "上海"],
                                         ["C1", "@甲公司", "张伟", "13812345678", "上海"]]})
    # calamine reads a workbook without [Content_Types].xml; dq will not edit a package that lacks it.
    odd = rewritten(path, tmp_path / "odd.xlsx", lambda name, data: None if name == "[Content_Types].xml" else data)
    result = run(config, [odd], "en")
    assert any(i.rule == "FMT001" for i in result.issues)
    [out] = annotated_xlsx.write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    wb = load_workbook(out)
    ws = wb["客户"]
    assert ws["A3"].value == "C1" and ws["A3"].fill.fgColor.rgb == RED and "FMT001" in ws["A3"].comment.text
    assert ws["B3"].value == "@甲公司" and ws["B3"].data_type == "s"  # the text copy holds text, never a formula
    assert wb.sheetnames == ["客户", "Issues"]
