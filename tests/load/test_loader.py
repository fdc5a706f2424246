"""Loading: header and entity detection, Excel row numbers, text as a person sees it, CSV encodings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows

from dataquality.load import load_file


def test_header_found_below_title_rows_with_shuffled_columns(write_xlsx, config):
    order = list(reversed(CUSTOMER_HEADERS_ZH))
    rows = sheet_rows([customer(1), customer(2)], CUSTOMER_HEADERS_ZH, order,
                      title_rows=[["客户主数据导入表"], ["导出日期：2026-11-20"]], extra={"备注": ["x", None]})
    path = write_xlsx("c.xlsx", {"Sheet1": rows})
    [table] = load_file(path, config)
    assert table.entity == "customer"
    assert table.header_row == 3
    assert list(table.data.index) == [4, 5]
    assert table.columns["customer_code"] == "P"  # reversed order: 16 fields, code last
    assert table.unknown_columns == (("Q", "备注"),)
    assert table.data.at[4, "customer_code"] == "C100001"


def test_leading_blank_rows_and_columns_keep_excel_coordinates(tmp_path, config):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for col, field in enumerate(["customer_code", "customer_name", "salesperson", "phone", "address"], start=3):
        ws.cell(row=4, column=col, value=CUSTOMER_HEADERS_ZH[field])
        ws.cell(row=5, column=col, value=customer(1)[field])
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    [table] = load_file(path, config)
    assert table.header_row == 4
    assert list(table.data.index) == [5]
    assert table.columns["customer_code"] == "C"


def test_cells_are_text_as_seen(write_xlsx, config):
    rec = customer(1, customer_code="C000123", bank_account="6222021234567890123", phone=13812340001,
                   credit_limit=1000, created_on=dt.date(2024, 1, 5), uscc="91310000000000001X")
    rec2 = customer(2, credit_limit="1,000,000.00", created_on="2024-01-06", bank_account=12345678)
    path = write_xlsx("c.xlsx", {"客户": sheet_rows([rec, rec2], CUSTOMER_HEADERS_ZH)})
    [table] = load_file(path, config)
    row = table.data.loc[2]
    assert row["customer_code"] == "C000123"
    assert row["bank_account"] == "6222021234567890123"
    assert row["phone"] == "13812340001"
    assert row["credit_limit"] == "1000"
    assert row["created_on"] == "2024-01-05"
    assert table.data.at[3, "credit_limit"] == "1,000,000.00"
    assert table.data.at[3, "bank_account"] == "12345678"


def test_entity_from_headers_when_sheet_name_says_nothing(write_xlsx, config):
    path = write_xlsx("p.xlsx", {"Sheet1": [["Internal code", "Product name", "Specification", "Unit"], ["FG000001", "Bolt", "M8", "PCS"]]})
    [table] = load_file(path, config)
    assert table.entity == "product"


def test_workbook_with_both_entities_and_a_notes_sheet(write_xlsx, config):
    path = write_xlsx("both.xlsx", {
        "说明": [["请按模板填写"], ["不要修改表头"]],
        "客户": sheet_rows([customer(1)], CUSTOMER_HEADERS_ZH),
        "产品": [["内部编码", "品名", "规格型号"], ["FG000001", "螺栓", "M8"]],
    })
    tables = load_file(path, config)
    assert [(t.entity, t.sheet) for t in tables] == [("customer", "客户"), ("product", "产品")]


def test_empty_rows_between_records_are_skipped_but_rows_keep_numbers(write_xlsx, config):
    rows = sheet_rows([customer(1), customer(2)], CUSTOMER_HEADERS_ZH)
    rows.insert(2, [None] * len(rows[0]))
    rows.append(["   "] + [None] * (len(rows[0]) - 1))
    path = write_xlsx("c.xlsx", {"客户": rows})
    [table] = load_file(path, config)
    assert list(table.data.index) == [2, 4]


def _write_csv(path: Path, encoding: str, bom: bool = False) -> Path:
    lines = ["客户编码,客户名称,业务员,联系电话,详细地址", "C000001,上海华东机电有限公司,张伟,13812340001,浦东新区张江路1号"]
    data = "\r\n".join(lines).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_csv_utf8_with_bom_utf8_and_gbk(tmp_path, config):
    for name, enc, bom in (("bom.csv", "utf-8", True), ("plain.csv", "utf-8", False), ("gbk.csv", "gbk", False)):
        [table] = load_file(_write_csv(tmp_path / name, enc, bom), config)
        assert table.entity == "customer", name
        assert table.data.at[2, "customer_code"] == "C000001", name
        assert table.data.at[2, "customer_name"] == "上海华东机电有限公司", name
        assert table.sheet is None


def test_csv_with_title_row_and_ragged_lines(tmp_path, config):
    path = tmp_path / "t.csv"
    path.write_text("客户清单\n\n客户编码,客户名称,业务员,联系电话,详细地址\nC000001,甲公司,张伟,13812340001,地址1,多余\n", encoding="utf-8")
    [table] = load_file(path, config)
    assert table.header_row == 3
    assert list(table.data.index) == [4]


def test_headers_with_required_marks_notes_and_line_breaks(write_xlsx, config):
    headers = {"customer_code": "*客户编码", "customer_name": "客户名称（必填）", "salesperson": "业务员\n(姓名)",
               "phone": "联系电话＊", "address": " 详细 地址 ", "credit_limit": "信用额度(元)"}
    path = write_xlsx("c.xlsx", {"Sheet1": sheet_rows([customer(1)], headers)})
    [table] = load_file(path, config)
    assert set(table.columns) == set(headers)
    assert table.unknown_columns == ()


def test_excel_error_cells_are_shown_as_errors(tmp_path, config):
    import xlsxwriter

    from dataquality.pipeline import run

    path = tmp_path / "errors.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("客户")
    fields = ["customer_code", "customer_name", "salesperson", "phone", "address"]
    ws.write_row(0, 0, [CUSTOMER_HEADERS_ZH[f] for f in fields])
    rec = customer(1)
    ws.write_row(1, 0, [rec[f] for f in fields])
    ws.write_formula(1, 3, "=VLOOKUP(A2,Sheet9!A:B,2,0)", None, "#N/A")
    wb.close()
    [table] = load_file(path, config)
    assert table.data.at[2, "phone"] == "#N/A"
    result = run(config, [path])
    assert ("phone", "TYP004") in {(i.field, i.rule) for i in result.issues}


def test_two_row_header_duplicate_column_and_totals_row(write_xlsx, config):
    from dataquality.pipeline import run

    fields = list(CUSTOMER_HEADERS_ZH)
    rows = [["客户信息导入"], ["基本信息"] + [None] * 6 + ["联系方式"]]
    rows.append([CUSTOMER_HEADERS_ZH[f] for f in fields] + ["电话"])
    rows += [[customer(i)[f] for f in fields] + ["13800000000"] for i in range(1, 4)]
    rows.append(["合计"] + [None] * 10 + [1500000])
    rows.append([" Total: "] + [None] * 16)
    path = write_xlsx("messy.xlsx", {"Sheet1": rows})
    [table] = load_file(path, config)
    assert table.header_row == 3 and list(table.data.index) == [4, 5, 6]
    # A second phone column is read and checked as the phone too, not dropped.
    assert table.duplicate_columns == () and table.columns["phone#2"] == "Q"
    assert table.summary_rows == ((7, "合计"), (8, " Total: "))
    result = run(config, [path])
    assert set(result.flatten("row", "column", "rule")) == {(7, None, "FIL003"), (8, None, "FIL003")}
