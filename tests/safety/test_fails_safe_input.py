"""Hostile input (issue 11): resource limits from the zip directory, far cells, zip bombs, FIFOs and
devices, CSV oddities. Each ends in one exit-2 line naming the limit and how to raise it, or in a result."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from builders import (
    CUSTOMER_HEADERS_ZH,
    SHEET_HEAD,
    SHEET_TAIL,
    customer,
    customer_workbook,
    sheet_rows,
    with_part_xml,
    with_sheet_xml,
)
from dq_cli import assert_one_line_error, dq
from openpyxl import Workbook

from dataquality.load import load_file


def _customers_csv(path: Path, records: list[dict], newline: str = "\n") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(sheet_rows(records, CUSTOMER_HEADERS_ZH))
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return path




def test_far_cell_is_refused_before_reading(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "客户主数据"
    ws["XFD1048576"] = "x"  # calamine would allocate 16,384 x 1,048,576 cells for this one value
    path = tmp_path / "far.xlsx"
    wb.save(path)
    proc = dq("validate", str(path))
    assert_one_line_error(proc, path, "20,000,000", "--max-cells", "DQ_MAX_CELLS", "客户主数据")


def test_far_cell_without_dimension_or_row_numbers_in_order(tmp_path):
    # The <dimension> element can lie or be missing: the cells themselves are scanned.
    base = customer_workbook(tmp_path / "base.xlsx")

    def sheet(fh):
        fh.write(SHEET_HEAD + b'<row r="900000"><c r="ADT900000"><v>1</v></c></row>'
                 b'<row\tr="1"><c\tr="A1" t="inlineStr"><is><t>x</t></is></c></row>' + SHEET_TAIL)

    path = with_sheet_xml(base, tmp_path / "far2.xlsx", sheet)
    proc = dq("validate", str(path))
    assert_one_line_error(proc, path, "--max-cells")


def test_too_many_columns_is_refused(tmp_path):
    path = tmp_path / "wide.xlsx"
    wb = Workbook()
    wb.active["XFD1"] = "x"
    wb.save(path)
    proc = dq("--max-cells", "100000000", "validate", str(path))
    assert proc.returncode == 1 and "FIL013" in proc.stdout  # read: nothing in it names a master
    proc = dq("--max-columns", "1000", "validate", str(path))
    assert_one_line_error(proc, path, "16,384 columns", "--max-columns")


def test_zip_bomb_of_whitespace_is_refused_from_the_directory(tmp_path):
    base = customer_workbook(tmp_path / "base.xlsx")
    block = b" " * (1 << 24)

    def sheet(fh):
        fh.write(SHEET_HEAD)
        for _ in range(65):  # 1.09 GB of whitespace: a few MB on disk
            fh.write(block)
        fh.write(SHEET_TAIL)

    path = with_sheet_xml(base, tmp_path / "bomb.xlsx", sheet)
    assert path.stat().st_size < 10_000_000
    proc = dq("validate", str(path))
    assert_one_line_error(proc, path, "1,073,741,824", "--max-bytes", "DQ_MAX_BYTES")


def test_zip_bomb_whose_directory_lies_is_not_read(tmp_path):
    base = customer_workbook(tmp_path / "base.xlsx")
    path = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = SHEET_HEAD + b" " * (8 << 20) + SHEET_TAIL
            dst.writestr(info.filename, data)
        declared = dst.getinfo("xl/worksheets/sheet1.xml").file_size
    # Shrink the declared size (local header and central directory) so the directory looks harmless.
    raw = path.read_bytes()
    real = declared.to_bytes(4, "little")
    assert raw.count(real) == 2
    path.write_bytes(raw.replace(real, (1000).to_bytes(4, "little")))
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    proc = dq("validate", str(path))
    assert_one_line_error(proc, path, "damaged")


def test_cells_bomb_is_refused(tmp_path):
    # 30,000 rows x 800 columns declared by their cells: a few hundred KB on disk, 24 M cells.
    base = customer_workbook(tmp_path / "base.xlsx")

    def sheet(fh):
        fh.write(SHEET_HEAD)
        for r in range(1, 30_001):
            fh.write(b'<row r="%d"><c r="A%d"><v>1</v></c><c r="ADT%d"><v>1</v></c></row>' % (r, r, r))
        fh.write(SHEET_TAIL)

    path = with_sheet_xml(base, tmp_path / "cells.xlsx", sheet)
    proc = dq("validate", str(path))
    assert_one_line_error(proc, path, "24,000,000 cells", "--max-cells")


def test_shared_string_bomb_is_refused(tmp_path):
    base = customer_workbook(tmp_path / "base.xlsx")
    def strings(fh):
        fh.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for _ in range(200):
            fh.write(b"<si/>" * 10_000)  # 2,000,000 entries in 10 MB, a few KB on disk
        fh.write(b"</sst>")

    out = with_part_xml(base, tmp_path / "strings.xlsx", "xl/sharedStrings.xml", strings)
    proc = dq("--max-strings", "1000000", "validate", str(out))
    assert_one_line_error(proc, out, "at least", "over the limit of 1,000,000", "--max-strings")
    # The limit is raised on request and the file is read.
    proc = dq("--max-strings", "3000000", "validate", str(out))
    assert proc.returncode in (0, 1), proc.stderr


def test_limits_message_in_chinese(tmp_path):
    wb = Workbook()
    wb.active["XFD1048576"] = "x"
    path = tmp_path / "far.xlsx"
    wb.save(path)
    proc = dq("validate", "--lang", "zh", str(path))
    assert proc.returncode == 2
    assert "超过上限" in proc.stderr and "--max-cells" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)  # opening it for reading would wait forever for a writer
    proc = dq("validate", str(fifo))
    assert_one_line_error(proc, fifo, "not a regular file")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused(device):
    if not Path(device).exists():
        pytest.skip(f"{device} does not exist here")
    proc = dq("validate", device)
    assert_one_line_error(proc, Path(device), "not a regular file")


def test_symlink_to_a_regular_file_is_read(tmp_path, config):
    target = _customers_csv(tmp_path / "real.csv", [customer(1)])
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    [table] = load_file(link, config)
    assert len(table.data) == 1


def test_large_real_workbook_passes_the_limits(tmp_path, config):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    for row in sheet_rows([customer(i) for i in range(1, 2001)], CUSTOMER_HEADERS_ZH):
        ws.append(row)
    path = tmp_path / "big.xlsx"
    wb.save(path)
    [table] = load_file(path, config)
    assert len(table.data) == 2000


# ---- CSV ----------------------------------------------------------------------------------


def test_csv_field_longer_than_the_csv_module_limit(tmp_path, config):
    path = _customers_csv(tmp_path / "long.csv", [customer(1, address="路" * 140_000), customer(2)])
    [table] = load_file(path, config)
    assert len(table.data.at[2, "address"]) == 140_000
    proc = dq("validate", str(path))
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr


def test_csv_with_lone_cr_line_endings(tmp_path, config):
    path = _customers_csv(tmp_path / "mac.csv", [customer(1), customer(2)], newline="\r")
    [table] = load_file(path, config)
    assert list(table.data.index) == [2, 3]
    assert table.data.at[3, "customer_code"] == "C100002"


def test_csv_unbalanced_quote_names_the_line(tmp_path):
    path = _customers_csv(tmp_path / "quote.csv", [customer(1), customer(2)])
    text = path.read_text(encoding="utf-8").replace("C100002", '"C100002', 1)
    path.write_text(text, encoding="utf-8")
    proc = dq("validate", str(path))
    assert_one_line_error(proc, path, "line 3", "never closed")


def test_csv_line_with_200000_fields_is_refused_quickly(tmp_path):
    path = _customers_csv(tmp_path / "wide.csv", [customer(1)])
    with path.open("a", encoding="utf-8") as fh:
        fh.write(",".join(["x"] * 200_000) + "\n")
    proc = dq("validate", str(path))  # used to run for minutes; the subprocess timeout is 120 s
    assert_one_line_error(proc, path, "line 3", "200,000 fields", "--max-columns")


def test_csv_larger_than_max_bytes(tmp_path):
    path = _customers_csv(tmp_path / "c.csv", [customer(i) for i in range(1, 50)])
    proc = dq("--max-bytes", "1000", "validate", str(path))
    assert_one_line_error(proc, path, "1,000", "--max-bytes")


def test_a_narrow_sheet_counts_its_own_width_not_26_columns(tmp_path):
    """A 1M-row master of 14 columns (A..N) is 14 M cells, under the 20 M limit; counting every sheet
    within A..Z as 26 columns wide refused it. Here: 200 rows x 3 columns under a 700-cell limit."""
    base = customer_workbook(tmp_path / "base.xlsx")

    def narrow(fh):
        fh.write(SHEET_HEAD)
        for r in range(1, 201):
            fh.write(b'<row r="%d"><c r="A%d"><v>1</v></c><c r="B%d"><v>2</v></c><c r="C%d"><v>3</v></c></row>' % (r, r, r, r))
        fh.write(SHEET_TAIL)

    path = with_sheet_xml(base, tmp_path / "narrow.xlsx", narrow)
    proc = dq("--max-cells", "700", "validate", str(path))
    assert "--max-cells" not in proc.stderr, proc.stderr
    proc = dq("--max-cells", "500", "validate", str(path))  # 600 cells: refused, with the real count
    assert_one_line_error(proc, path, "600 cells", "--max-cells")

    def one_wide_cell(fh):  # one cell past Z is counted exactly wherever it hides
        fh.write(SHEET_HEAD)
        for r in range(1, 201):
            extra = b'<c r="AB%d"><v>9</v></c>' % r if r == 97 else b""
            fh.write(b'<row r="%d"><c r="A%d"><v>1</v></c>%s</row>' % (r, r, extra))
        fh.write(SHEET_TAIL)

    path = with_sheet_xml(base, tmp_path / "wide.xlsx", one_wide_cell)
    proc = dq("--max-cells", "5000", "validate", str(path))  # 200 rows x 28 columns = 5,600
    assert_one_line_error(proc, path, "5,600 cells", "--max-cells")


def test_far_cell_with_single_quoted_references_is_refused(tmp_path):
    # XML allows r='…' as well as r="…": calamine reads both, so the scan must count both.
    base = customer_workbook(tmp_path / "base.xlsx")

    def sheet(fh):
        fh.write(SHEET_HEAD + b"<row r='1'><c r='A1' t='inlineStr'><is><t>x</t></is></c></row>"
                 b"<row r='900000'><c r='ADT900000'><v>1</v></c></row>" + SHEET_TAIL)

    path = with_sheet_xml(base, tmp_path / "quoted.xlsx", sheet)
    proc = dq("validate", str(path))
    assert_one_line_error(proc, path, "--max-cells")


# Calamine places a cell at its own reference whatever its row says (r="C40" inside row 1 is in
# row 40), and a cell or row without r= one past the one before. Each sheet below spans more than
# 20,000,000 cells from a few bytes of XML; the scan must see where calamine would put the cells.
_PLACED_FAR = {
    "far reference inside a near row": b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c>'
                                       b'<c r="ZZ200000"><v>1</v></c></row>',
    "lower-case reference": b'<row r="1"><c r="A1"><v>1</v></c><c r="zz200000"><v>1</v></c></row>',
    "attribute before the reference": b'<row r="1"><c r="A1"><v>1</v></c><c t="n" r="ZZ200000"><v>1</v></c></row>',
    "quoted > before the reference": b'<row r="1"><c r="A1"><v>1</v></c><c s=">" r="ZZ200000"><v>1</v></c></row>',
    "namespace prefix": b'<row r="1"><c r="A1"><v>1</v></c><x:c r="ZZ200000"><x:v>1</x:v></x:c></row>',
    "cells without r=": b"<row>" + b"<c><v>1</v></c>" * 16000 + b"</row>"
                        + b"<row><c><v>1</v></c></row>" * 2000,
    "a reference of 5,000 digits": b'<row r="1"><c r="A1"><v>1</v></c><c t="n" r="A' + b"9" * 5000 + b'"><v>1</v></c></row>',
    "a row number of 5,000 digits": b'<row r="' + b"9" * 5000 + b'"><c t="n"><v>1</v></c></row>',
    "rows without r= under a far row": b'<row r="1"><c r="A1"><v>1</v></c></row><row r="199990"><c r="Z199990"><v>1</v></c></row>'
                                       + b"<row><c><v>1</v></c></row>" * 5000 + b'<row><c r="ZZ1"><v>1</v></c></row>',
}


@pytest.mark.parametrize("cells", list(_PLACED_FAR.values()), ids=list(_PLACED_FAR))
def test_cells_placed_far_are_refused(tmp_path, cells):
    base = customer_workbook(tmp_path / "base.xlsx")
    path = with_sheet_xml(base, tmp_path / "placed.xlsx", lambda fh: fh.write(SHEET_HEAD + cells + SHEET_TAIL))
    proc = dq("validate", str(path))
    assert_one_line_error(proc, path, "--max-cells")


def test_sheet_written_without_any_r_is_read(tmp_path, config):
    # Some writers leave r= out everywhere: the scan follows calamine's counting and the sheet reads.
    base = customer_workbook(tmp_path / "base.xlsx")
    rows = [["客户编码", "客户名称", "客户类型"], ["C000001", "甲公司", "企业"], ["C000002", "乙公司", "个人"]]

    def sheet(fh):
        fh.write(SHEET_HEAD)
        for row in rows:
            fh.write(b"<row>" + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % v.encode() for v in row) + b"</row>")
        fh.write(SHEET_TAIL)

    path = with_sheet_xml(base, tmp_path / "no-r.xlsx", sheet)
    [table] = load_file(path, config)
    assert table.data["customer_code"].tolist() == ["C000001", "C000002"]


def test_cells_placed_far_across_chunk_boundaries_are_refused(tmp_path):
    # The far cell's tag is cut by the scan's 1 MB chunks at every offset near the boundary, in a
    # chunk walked tag by tag (cells without r=) and in one scanned the regular way.
    base = customer_workbook(tmp_path / "base.xlsx")
    filler = b'<row r="1"><c r="A1"><v>1</v></c></row>'
    far = b'<c t="n" s="1" r="ZZ200000"><v>1</v></c>'
    for lead in (b"", b"<row><c><v>1</v></c></row>"):
        for shift in (0, 3, 9, 17, 30):
            head = SHEET_HEAD + lead + filler
            pad = (1 << 20) - len(head) - shift
            body = head + b"<row r=\"2\">" + b" " * max(pad - 11, 0) + far + b"</row>" + SHEET_TAIL
            path = with_sheet_xml(base, tmp_path / f"cut-{len(lead)}-{shift}.xlsx", lambda fh, body=body: fh.write(body))
            proc = dq("validate", str(path))
            assert_one_line_error(proc, path, "--max-cells")


def test_four_letter_reference_far_below_is_refused_with_the_column_limit_raised(tmp_path):
    # AAAA is past Excel's widest sheet; with --max-columns raised past it the cells limit still holds.
    base = customer_workbook(tmp_path / "base.xlsx")
    cells = b'<row r="1"><c r="A1"><v>1</v></c><c r="AAAA300000"><v>1</v></c><c r="B1"><v>1</v></c></row>'
    path = with_sheet_xml(base, tmp_path / "aaaa.xlsx", lambda fh: fh.write(SHEET_HEAD + cells + SHEET_TAIL))
    proc = dq("--max-columns", "100000", "validate", str(path))
    assert_one_line_error(proc, path, "--max-cells")


def test_a_reference_of_200000_letters_is_refused_by_the_column_limit(tmp_path):
    base = customer_workbook(tmp_path / "base.xlsx")
    cells = b'<row r="1"><c r="A1"><v>1</v></c><c r="' + b"Z" * 200_000 + b'1"><v>1</v></c></row>'
    path = with_sheet_xml(base, tmp_path / "letters.xlsx", lambda fh: fh.write(SHEET_HEAD + cells + SHEET_TAIL))
    assert_one_line_error(dq("validate", str(path)), path, "--max-columns")
