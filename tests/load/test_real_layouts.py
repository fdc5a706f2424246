"""Each trait of real exports in a workbook the test writes, with the exact (row, field, rule) set found.

ERP title rows and a two-level header with a sign-off footer, merged body cells, padded-number
formats, a 16-digit account stored as a number, bilingual two-line headers, a supplier list, a
note row, GBK / `;` / tab CSV with NULL cells, a blank separator row and rows hidden by a filter.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import CUSTOMER_HEADERS_ZH, customer, make_uscc
from openpyxl import Workbook

from dataquality.config import Config
from dataquality.pipeline import run


@pytest.fixture(scope="module")
def config() -> Config:
    return Config.load()


def found(config: Config, path: Path) -> set[tuple]:
    result = run(config, [path])
    return {(i.row, i.field, i.rule) for i in result.issues if i.rule != "RUL001"}


def _customer_rows(n: int, start: int = 1) -> list[list]:
    fields = list(CUSTOMER_HEADERS_ZH)
    return [[customer(i)[f] for f in fields] for i in range(start, start + n)]


def test_erp_title_rows_two_level_header_and_sign_off_footer(tmp_path: Path, config: Config) -> None:
    """Title in row 1, group titles merged across row 2, field names merged down over rows 2-3."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    fields = list(CUSTOMER_HEADERS_ZH)
    ws.append(["2026年客户主数据（用友导出）"])
    ws.append([CUSTOMER_HEADERS_ZH[f] if f not in ("phone", "email") else None for f in fields])
    ws.append([None] * len(fields))
    phone_col, email_col = fields.index("phone") + 1, fields.index("email") + 1
    ws.cell(2, phone_col, "联系方式")
    ws.cell(3, phone_col, "联系电话")
    ws.cell(3, email_col, "电子邮箱")
    ws.merge_cells(start_row=2, start_column=phone_col, end_row=2, end_column=email_col)
    for col in range(1, len(fields) + 1):
        if col not in (phone_col, email_col):
            ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(fields))
    for row in _customer_rows(3):
        ws.append(row)
    ws.append(["制表人：王芳", None, None, "审核：李娜", None, None, "批准："])
    path = tmp_path / "yonyou.xlsx"
    wb.save(path)
    result = run(config, [path])
    [table] = result.tables
    # The names merged down over rows 2-3 make row 3 a complete header: records start on row 4.
    assert (table.header_row, list(table.data.index)) == (3, [4, 5, 6])
    assert set(table.data.columns) == set(fields)
    assert {(i.row, i.field, i.rule) for i in result.issues if i.rule != "RUL001"} == {(7, None, "FIL008")}


def test_merged_body_cells_belong_to_each_row(tmp_path: Path, config: Config) -> None:
    """A department merged down over five records is each record's department; a bad one is on each."""
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    fields = list(CUSTOMER_HEADERS_ZH)
    ws.append([CUSTOMER_HEADERS_ZH[f] for f in fields])
    rows = _customer_rows(6)
    dept = fields.index("department")
    for i, row in enumerate(rows):
        row[dept] = "不存在的部门" if i == 0 else "销售部" if i == 5 else None
        ws.append(row)
    ws.merge_cells(start_row=2, start_column=dept + 1, end_row=6, end_column=dept + 1)
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    assert found(config, path) == {(r, "department", "REF001") for r in range(2, 7)}


def test_padded_formats_and_a_16_digit_account_stored_as_a_number(tmp_path: Path, config: Config) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "products"
    ws.append(["内部编码", "品名", "规格型号", "条形码", "标准售价"])
    ws.append(["FG000001", "螺栓", "M8", 12345678905, 10])  # GTIN-12 012345678905 stored as a number
    ws.append([1, "螺母", "M8", 69012345678, 5])  # code 1 with format "FG"000000 reads FG000001
    ws.append(["FG000003", "垫圈", "M8", None, 1])
    ws["D2"].number_format = "000000000000"
    ws["A3"].number_format = '"FG"000000'
    ws["D3"].number_format = "0000000000000"
    path = tmp_path / "formats.xlsx"
    wb.save(path)
    result = run(config, [path])
    [table] = result.tables
    assert table.data.loc[2, "barcode"] == "012345678905"
    assert table.data.loc[3, "internal_code"] == "FG000001"
    assert table.data.loc[3, "barcode"] == "0069012345678"
    assert {(i.row, i.field, i.rule) for i in result.issues if i.rule != "RUL001"} == {
        (2, "internal_code", "UNQ001"), (3, "internal_code", "UNQ001"), (3, "barcode", "IDN002")}


def test_long_account_stored_as_a_number_is_an_error_never_invented_digits(tmp_path: Path, config: Config) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    fields = list(CUSTOMER_HEADERS_ZH)
    ws.append([CUSTOMER_HEADERS_ZH[f] for f in fields])
    rows = _customer_rows(2)
    acct = fields.index("bank_account")
    rows[0][acct] = 6222021234567890  # 16 digits typed into a number cell
    rows[1][acct] = 6222021234567891234  # 19 digits: Excel keeps 6222021234567890000
    for row in rows:
        ws.append(row)
    path = tmp_path / "accounts.xlsx"
    wb.save(path)
    result = run(config, [path])
    assert {(i.row, i.field, i.rule) for i in result.issues if i.rule != "RUL001"} == {(2, "bank_account", "TYP006"), (3, "bank_account", "TYP006")}
    values = {i.row: i.value for i in result.issues}
    assert values == {2: "6222021234567890", 3: "6222021234567890000"}


def test_bilingual_two_line_headers(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "bilingual.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["物料编码\nItem Code", "物料名称\nItem Name", "规格\nSpecification", "单位\nUnit"])
    ws.append(["FG000001", "螺栓", "M8", "个"])
    ws.append(["FG000002", "螺母", "M8", "盒"])
    wb.save(path)
    result = run(config, [path])
    [table] = result.tables
    assert table.entity == "product" and set(table.data.columns) == {"internal_code", "product_name", "specification", "unit"}
    assert {(i.row, i.field, i.rule) for i in result.issues if i.rule != "RUL001"} == set()


def test_a_supplier_list_with_a_note_row(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "vendors.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "合格供方名录"
    ws.append(["供应商编码", "供应商名称", "统一社会信用代码", "开户银行", "银行账号", "付款条件"])
    ws.append(["S000001", "山西好利阀机械制造有限公司", make_uscc(1), "工商银行", "6222021234567891", "月结30天"])
    ws.append(["S000002", "天津阀世博机械有限公司", make_uscc(2), "建设银行", "62220212-3456", "月结60天"])
    ws.append([None] * 6)  # a blank separator row does not end the table
    ws.append(["S000003", "山西好利阀机械制造有限责任公司", make_uscc(1), "农业银行", "6228480402564890018", "预付"])
    ws.append(["注：1、供应商每年评审一次"])
    ws.append([None, "A类", "优"])  # a legend under the note is not a record
    wb.save(path)
    result = run(config, [path])
    [table] = result.tables
    assert table.entity == "supplier" and list(table.data.index) == [2, 3, 5]
    assert {(i.row, i.field, i.rule) for i in result.issues if i.rule != "RUL001"} == {
        (3, "bank_account", "FMT001"), (5, "supplier_name", "SUP001"), (2, "supplier_name", "SUP001"),
        (5, "uscc", "SUP002"), (2, "uscc", "SUP002"), (6, None, "FIL008")}


def test_rows_hidden_by_a_filter_are_records(tmp_path: Path, config: Config) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    fields = list(CUSTOMER_HEADERS_ZH)
    ws.append([CUSTOMER_HEADERS_ZH[f] for f in fields])
    rows = _customer_rows(3)
    rows[1][fields.index("phone")] = "12345"
    for row in rows:
        ws.append(row)
    ws.auto_filter.ref = f"A1:P{len(rows) + 1}"
    ws.row_dimensions[3].hidden = True
    path = tmp_path / "filtered.xlsx"
    wb.save(path)
    assert found(config, path) == {(3, "phone", "IDN003")}


@pytest.mark.parametrize(("name", "encoding", "sep"), [
    ("gbk.csv", "gbk", ","), ("semicolon.csv", "utf-8-sig", ";"), ("tabs.tsv", "utf-8", "\t")])
def test_csv_variants_with_null_cells(tmp_path: Path, config: Config, name: str, encoding: str, sep: str) -> None:
    lines = [sep.join(["内部编码", "品名", "规格型号", "单位", "条形码"]),
             sep.join(["FG000001", "六角螺栓", "M8×20", "个", "NULL"]),
             sep.join(["FG000002", "六角螺母", "NULL", "个", "null"])]
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    assert found(config, path) == {(3, "specification", "REQ001")}


def test_a_new_entity_is_only_a_schema_file(tmp_path: Path) -> None:
    """Entities are data: a warehouse schema the test writes is detected and checked, no code change."""
    import shutil

    from dataquality.paths import default_rules_dir, default_schemas_dir

    schemas = tmp_path / "schemas"
    shutil.copytree(default_schemas_dir(), schemas)
    (schemas / "warehouse.yaml").write_text(
        "entity: warehouse\nkey: warehouse_code\nlabels: {en: Warehouse, zh: 仓库}\nsheet_names: [仓库, warehouses]\n"
        "fields:\n  warehouse_code:\n    labels: {en: Warehouse code, zh: 仓库编码}\n    required: true\n    unique: true\n"
        "    pattern: '^W\\d{3}$'\n  warehouse_name:\n    labels: {en: Warehouse name, zh: 仓库名称}\n    required: true\n",
        encoding="utf-8")
    config = Config.load(schemas, default_rules_dir())
    wb = Workbook()
    ws = wb.active
    ws.title = "仓库"
    for row in (["仓库编码", "仓库名称"], ["W001", "上海一号仓"], ["W01", "苏州仓"], ["W001", "重复仓"]):
        ws.append(row)
    path = tmp_path / "wh.xlsx"
    wb.save(path)
    assert found(config, path) == {(3, "warehouse_code", "FMT001"), (2, "warehouse_code", "UNQ001"),
                                   (4, "warehouse_code", "UNQ001")}


def test_fix_corrects_a_merged_value_in_its_top_left_cell(tmp_path: Path) -> None:
    """dq fix on a value merged down over three records writes the range's top-left cell once."""
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from dataquality.cli import main

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    fields = list(CUSTOMER_HEADERS_ZH)
    ws.append([CUSTOMER_HEADERS_ZH[f] for f in fields])
    name = fields.index("customer_name")
    for i, row in enumerate(_customer_rows(3)):
        row[name] = "  上海 甲 有限公司 " if i == 0 else None
        ws.append(row)
    ws.merge_cells(start_row=2, start_column=name + 1, end_row=4, end_column=name + 1)
    src, out = tmp_path / "merged.xlsx", tmp_path / "fixed.xlsx"
    wb.save(src)
    res = CliRunner().invoke(main, ["fix", str(src), "-o", str(out), "--lang", "en"])
    assert res.exit_code in (0, 1), res.output
    fixed = load_workbook(out)["客户"]
    assert fixed.cell(2, name + 1).value == "上海 甲 有限公司"
    assert any(str(r) == f"{fixed.cell(2, name + 1).coordinate}:{fixed.cell(4, name + 1).coordinate}"
               for r in fixed.merged_cells.ranges)
