"""Every writer is safe for any cell content (issue 11): control characters, Excel's 32,767-character
cap, formulas in every CSV writer after the transformation, NaN, far dates, same-named inputs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import xlsxwriter
from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows
from dq_cli import dq
from openpyxl import Workbook, load_workbook

from dataquality.safe_text import EXCEL_TEXT_MAX, csv_value, excel_text


def _raw_xlsx(path: Path, rows: list[list]) -> Path:
    """A workbook written by XlsxWriter, which stores any character (openpyxl refuses ESC)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("客户")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write_string(r, c, str(v))
    wb.close()
    return path


def _csv(path: Path, rows: list[list]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["" if v is None else str(v) for v in row] for row in rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _all_text(path: Path) -> list[str]:
    wb = load_workbook(path)
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_esc_and_nul_in_cells_do_not_crash_the_annotated_copy_or_fix(tmp_path):
    rows = sheet_rows([customer(1, customer_name="华东\x1b机电 "), customer(2, address="a\x00b", phone="12")], CUSTOMER_HEADERS_ZH)
    src = _raw_xlsx(tmp_path / "esc.xlsx", rows)
    out = tmp_path / "reports"
    proc = dq("validate", str(src), "-f", "xlsx,json", "-o", str(out), "-q")
    assert proc.returncode == 1, proc.stderr
    [annotated] = out.glob("*.annotated.xlsx")
    assert any("\ufffd" in t or "机电" in t for t in _all_text(annotated))
    proc = dq("fix", str(src), "-o", str(tmp_path / "fixed.xlsx"))
    assert proc.returncode == 0, proc.stderr
    texts = _all_text(tmp_path / "fixed.xlsx")
    assert "华东\ufffd机电" in texts  # trimmed, and the ESC made visible instead of breaking the file


def test_esc_in_a_csv_survives_the_openpyxl_copy(tmp_path):
    src = _csv(tmp_path / "esc.csv", sheet_rows([customer(1, customer_name="A\x1bB"), customer(2, phone="12")], CUSTOMER_HEADERS_ZH))
    proc = dq("validate", str(src), "-f", "xlsx", "-o", str(tmp_path / "r"), "-q")
    assert proc.returncode == 1, proc.stderr
    [annotated] = (tmp_path / "r").glob("*.xlsx")
    assert "A\ufffdB" in _all_text(annotated)


def test_text_over_32767_characters_is_cut_in_the_issues_sheet(tmp_path):
    long_name = "长" * 40_000
    src = _csv(tmp_path / "long.csv", sheet_rows([customer(1, customer_name=long_name, phone="12")], CUSTOMER_HEADERS_ZH))
    out = tmp_path / "r"
    proc = dq("validate", str(src), "-f", "xlsx", "-o", str(out), "-q")
    assert proc.returncode == 1, proc.stderr
    [annotated] = out.glob("*.xlsx")
    texts = _all_text(annotated)
    assert max(len(t) for t in texts) <= EXCEL_TEXT_MAX
    assert any(t.startswith("长" * 100) for t in texts)


def test_excel_text_cap_and_control_characters():
    assert len(excel_text("x" * 50_000)) == EXCEL_TEXT_MAX
    assert "[+" in excel_text("x" * 50_000)
    assert excel_text("a\x00b\x1bc\td") == "a\ufffdb\ufffdc\td"


def test_csv_value_defuses_formulas_but_not_numbers():
    for bad in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", " =1+1", "＝1+1", "+86 138 0000 0000"):
        assert csv_value(bad).startswith("'"), bad
    for fine in ("-12.5", "+3", "1e5", "abc", "", "a=b"):
        assert csv_value(fine) == fine
    assert csv_value(None) == ""


def test_fix_csv_output_has_no_live_formula_after_trimming_or_nfkc(tmp_path):
    rows = sheet_rows([customer(1, customer_name=" =1+1"), customer(2, customer_name="＝1+1"),
                       customer(3, customer_name="\t=2+2")], CUSTOMER_HEADERS_ZH)
    src = _csv(tmp_path / "c.csv", rows)
    out = tmp_path / "fixed.csv"
    proc = dq("fix", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    for path in (out, tmp_path / "fixed.changes.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for line in csv.reader(fh):
                for value in line:
                    assert not value.lstrip(" ").startswith(("=", "+", "@", "\t", "\r", "＝")), (path.name, value)


def test_audit_export_csv_defuses_tab_and_cr_before_a_formula():
    from dataquality.approve.audit import _csv_cell

    assert _csv_cell("\t=1+1") == "'\t=1+1"
    assert _csv_cell("\r=1+1") == "'\r=1+1"
    assert _csv_cell("=HYPERLINK(\"x\")").startswith("'")


def test_nan_in_a_workbook_without_styles_part(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for row in sheet_rows([customer(1, credit_limit=1.5), customer(2, phone="12")], CUSTOMER_HEADERS_ZH):
        ws.append(row)
    base = tmp_path / "base.xlsx"
    wb.save(base)
    src = tmp_path / "nan.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/styles.xml":
                continue
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml" Id="rId2" />', b"")
            if info.filename == "[Content_Types].xml":
                data = data.replace(b'<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>', b"")
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>1.5</v>", b"<v>NaN</v>", 1)
            zout.writestr(info, data)
    proc = dq("validate", str(src), "-f", "xlsx", "-o", str(tmp_path / "r"), "-q")
    assert proc.returncode == 1, proc.stderr
    assert len(list((tmp_path / "r").glob("*.xlsx"))) == 1


def test_dates_outside_the_nanosecond_range(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    recs = [customer(1, created_on=dt.date(9999, 12, 31)), customer(2, created_on="0001-01-01"), customer(3)]
    for row in sheet_rows(recs, CUSTOMER_HEADERS_ZH):
        ws.append(row)
    src = tmp_path / "dates.xlsx"
    wb.save(src)
    proc = dq("validate", str(src), "-f", "json", "-o", str(tmp_path / "r"))
    assert proc.returncode == 1, proc.stderr
    import json

    issues = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))["issues"]
    assert [(i["row"], i["rule"]) for i in issues if i["field"] == "created_on"] == [(2, "RNG002")]
    assert dq("fix", str(src), "-o", str(tmp_path / "f.xlsx")).returncode == 0


def test_same_file_name_in_two_folders_keeps_each_files_issues(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for folder, bad_row in ((a, 1), (b, 2)):
        wb = Workbook()
        ws = wb.active
        ws.title = "客户"
        recs = [customer(1), customer(2), customer(3)]
        recs[bad_row] = customer(bad_row + 1, phone="12")
        for row in sheet_rows(recs, CUSTOMER_HEADERS_ZH):
            ws.append(row)
        wb.save(folder / "customers.xlsx")
    out = tmp_path / "r"
    proc = dq("validate", str(a / "customers.xlsx"), str(b / "customers.xlsx"), "-f", "xlsx", "-o", str(out), "-q")
    assert proc.returncode == 1, proc.stderr
    first, second = out / "customers.annotated.xlsx", out / "customers.annotated-2.xlsx"
    for path, row in ((first, 3), (second, 4)):
        wb = load_workbook(path)
        issues_sheet = wb.worksheets[-1]
        cells = [str(c.value) for r in issues_sheet.iter_rows(min_row=2) for c in r if c.value is not None]
        assert any(f"H{row}" in c for c in cells), (path.name, cells)
        other = 4 if row == 3 else 3
        assert not any(f"H{other}" in c for c in cells), (path.name, cells)


def test_annotated_copy_edits_sheet_xml_as_xml_not_text(tmp_path):
    # A cell whose text is a CDATA block holding "</c></row>" used to be cut in two by the text editor,
    # and the flagged cell on the same row was not highlighted.
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for row in sheet_rows([customer(1, phone="12"), customer(2)], CUSTOMER_HEADERS_ZH):
        ws.append(row)
    base = tmp_path / "base.xlsx"
    wb.save(base)
    src = tmp_path / "cdata.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                start = text.index('<c r="B2"')  # before the flagged phone cell (H2)
                end = text.index("</c>", start) + 4
                text = text[:start] + '<c r="B2" t="inlineStr"><is><t><![CDATA[</c></row><row r="9">]]></t></is></c>' + text[end:]
                data = text.encode("utf-8")
            zout.writestr(info, data)
    out = tmp_path / "r"
    proc = dq("validate", str(src), "-f", "xlsx", "-o", str(out), "-q")
    assert proc.returncode == 1, proc.stderr
    [annotated] = out.glob("*.xlsx")
    book = load_workbook(annotated)
    sheet = book["客户"]
    assert sheet["B2"].value == "</c></row><row r=\"9\">"
    phone_col = list(CUSTOMER_HEADERS_ZH).index("phone")
    flagged = sheet.cell(row=2, column=phone_col + 1)
    assert flagged.fill.fgColor.rgb == "FFFF9999", flagged.fill.fgColor.rgb
    assert flagged.comment is not None
    assert sheet.max_row == 3  # no row 9 conjured out of cell text
