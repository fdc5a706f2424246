"""The real-world regression folder: every file that holds customers, suppliers or products is read
as a person reads it (entity, header row, mapped fields, record count), and a run over the whole
folder checks every readable file and reports the unreadable one as FIL005.

The files are read from ../shared/realworld/files/ (never copied into the project).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dq_cli import run_dq
from shared_files import REALWORLD, needs_realworld

from dataquality.config import Config
from dataquality.load import read_file
from dataquality.pipeline import run

FOLDER = REALWORLD

pytestmark = needs_realworld

# file -> [(sheet, entity, header row, records, recognised fields)]; None: no reader can open it.
EXPECTED = {
    "MaterialManager_物料清单.xlsx": [("Sheet1", "product", 1, 2, {"category", "internal_code", "list_price", "product_name", "specification"})],
    "akaunting_customers.xlsx": [("customers", "customer", 1, 1, {"address", "customer_name", "email", "phone", "province", "status", "uscc"})],
    "akaunting_items.xlsx": [("items", "product", 1, 2, {"category", "cost_price", "list_price", "product_name", "status"})],
    "akaunting_vendors.xlsx": [("vendors", "supplier", 1, 1, {"address", "email", "phone", "status", "supplier_name", "uscc"})],
    "dolibarr_Example_import_company_1.csv": [(None, "supplier", 1, 1, {"address", "email", "phone", "status", "supplier_code", "supplier_name"})],
    "fmis_产品价格表.xlsx": [("Sheet1", "product", 1, 70, {"list_price", "product_name", "specification"})],
    "fmis_合格供方名录.xlsx": [("1-5", "supplier", 3, 110, {"grade", "payment_terms", "status", "supplier_name", "supply_category"})],
    "fmis_客户及信息备案表.xlsx": [
        ("客户备案表", "customer", 3, 0, {"address", "customer_code", "customer_name", "email", "grade", "phone", "province", "salesperson"}),
        ("信息备案", "customer", 3, 0, {"address", "contact", "customer_name", "email", "phone", "province"}),
        ("项目备案表", "customer", 3, 0, {"contact", "customer_name", "email", "phone", "province", "salesperson"}),
    ],
    "fmis_客户名录范本.xlsx": [
        ("新客户名录", "customer", 3, 0, {"address", "contact", "customer_code", "customer_name", "customer_type", "department", "email", "payment_terms", "phone", "province", "salesperson"}),
        ("历年客户名录", "customer", 3, 0, {"address", "contact", "customer_code", "customer_name", "customer_type", "department", "email", "grade", "payment_terms", "phone", "province", "salesperson"}),
    ],
    "greaterwms_customer_cn.xlsx": [("customer_20210515110201929", "customer", 1, 0, {"address", "customer_name", "grade", "phone", "salesperson"})],
    "greaterwms_goodslist_cn.xlsx": [("goods_20210509094649082", "product", 1, 0, {"category", "cost_price", "internal_code", "list_price", "product_name", "specification", "unit"})],
    "greaterwms_goodslist_export.xlsx": [("sheet1", "product", 1, 1, {"category", "cost_price", "internal_code", "product_name", "specification", "unit"})],
    "greaterwms_supplier_cn.xlsx": [("supplier_20210515110203694", "supplier", 1, 0, {"address", "contact", "grade", "phone", "supplier_name"})],
    "jshERP_customer_template.xls": [("信息", "customer", 2, 2, {"address", "bank_account", "contact", "customer_name", "email", "phone", "status", "uscc"})],
    "jshERP_goods_template.xls": [("商品信息", "product", 2, 2, {"barcode", "category", "cost_price", "list_price", "product_name", "specification", "status", "unit"})],
    "jshERP_member_template.xls": [("信息", "customer", 2, 2, {"contact", "customer_code", "email", "phone", "status"})],
    "jshERP_vendor_template.xls": [("信息", "supplier", 2, 2, {"address", "bank_account", "bank_name", "contact", "email", "phone", "status", "supplier_name", "uscc"})],
    "northwind_customers.csv": [(None, "customer", 1, 91, {"address", "contact", "customer_code", "customer_name", "phone", "province"})],
    "northwind_products.csv": [(None, "product", 1, 77, {"internal_code", "list_price", "product_name", "specification"})],
    "northwind_suppliers.csv": [(None, "supplier", 1, 29, {"address", "contact", "phone", "supplier_code", "supplier_name"})],
    "odoo15_res_partner.xls": [("Sheet 1", "customer", 1, 8, {"address", "customer_name", "province"})],
    "odoo18_product_template.xls": None,
    "odoo18_res_partner.xlsx": [("Contacts", "customer", 1, 3, {"address", "bank_account", "customer_name", "email", "phone", "uscc"})],
    "odoo_Name_products.csv": [(None, "product", 1, 5, {"category", "cost_price", "internal_code", "list_price", "product_name"})],
    "oms2_商品资料.xlsx": [("Sheet1", "product", 1, 822, {"barcode", "category", "cost_price", "internal_code", "list_price", "product_name", "specification", "status", "unit"})],
    "ospos_importCustomers.csv": [(None, "customer", 1, 1, {"address", "bank_account", "customer_name", "email", "phone", "province"})],
    "ospos_import_items.csv": [(None, "product", 1, 1, {"barcode", "category", "cost_price", "list_price", "product_name"})],
    "sales_dashboard_产品信息.xlsx": [("Sheet1", "product", 1, 208, {"internal_code", "list_price", "product_name", "specification"})],
    "sapshine_businessPartner.csv": [(None, "customer", 1, 45, {"customer_code", "customer_name", "email", "phone"})],
    "sapshine_products.csv": [(None, "product", 1, 106, {"category", "currency", "internal_code", "list_price", "unit"})],
}


@pytest.fixture(scope="module")
def config() -> Config:
    return Config.load()


def test_the_expectations_cover_the_whole_folder() -> None:
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_is_read_as_a_person_reads_it(name: str, config: Config) -> None:
    expected = EXPECTED[name]
    if expected is None:
        from dataquality.errors import InputError

        with pytest.raises(InputError):
            read_file(FOLDER / name, config)
        return
    read = read_file(FOLDER / name, config)
    got = [(t.sheet, t.entity, t.header_row, len(t), {m.field for m in t.matches}) for t in read.tables]
    assert got == expected


def test_vendor_lists_are_never_taken_for_customers(config: Config) -> None:
    for name in ("akaunting_vendors.xlsx", "jshERP_vendor_template.xls", "greaterwms_supplier_cn.xlsx",
                 "northwind_suppliers.csv", "fmis_合格供方名录.xlsx"):
        assert {t.entity for t in read_file(FOLDER / name, config).tables} == {"supplier"}, name


def test_generic_columns_are_confirmed_by_their_values(config: Config) -> None:
    """类别 holding 时令蔬菜 and 条码 holding 7-digit shop codes: one warning each, no flood of cell errors."""
    result = run(config, [FOLDER / "oms2_商品资料.xlsx"])
    fil007 = {(i.field, i.column) for i in result.issues if i.rule == "FIL007"}
    assert fil007 == {("category", "B"), ("barcode", "C")}
    assert not [i for i in result.issues if i.rule in ("ENM001", "IDN002") and i.field in ("category", "barcode")]


def test_sign_off_rows_inside_and_under_the_table_are_not_records(config: Config) -> None:
    [table] = read_file(FOLDER / "fmis_合格供方名录.xlsx", config).tables
    signoff = sorted(f.row for f in table.findings if f.rule == "FIL008")
    assert signoff == [28, 55, 82, 109, 118]  # one under each printed page, one at the end
    assert 109 not in table.data.index and 110 in table.data.index
    assert table.data.loc[4, "supplier_name"] == "山西好利阀机械制造有限公司"


def test_a_note_ends_the_table(config: Config) -> None:
    [table] = read_file(FOLDER / "fmis_产品价格表.xlsx", config).tables
    assert [(f.rule, f.row) for f in table.findings if f.rule == "FIL008"] == [("FIL008", 75)]
    assert table.data.index.max() == 71


def test_the_whole_folder_in_one_run_checks_every_readable_file(tmp_path: Path) -> None:
    """One command over all 30 files: the unreadable one is a FIL005 issue, every other file is checked
    and the reports are written; the exit code still says 2."""
    files = sorted(str(p) for p in FOLDER.iterdir())
    proc = run_dq("validate", *files, "--format", "json", "--out", tmp_path, "--quiet", env={"DQ_LANG": "en"})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.strip()] == [
        line for line in proc.stderr.splitlines() if "odoo18_product_template.xls" in line]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    unreadable = [i for i in report["issues"] if i["rule"] == "FIL005"]
    assert [(i["file"], i["severity"], i["row"]) for i in unreadable] == [("odoo18_product_template.xls", "error", None)]
    checked = {i["file"] for i in report["issues"]}
    assert checked >= {n for n, e in EXPECTED.items() if e and any(t[3] for t in e)}
    records: dict[str, int] = {}
    for tables in EXPECTED.values():
        for _, entity, _, n, _ in tables or ():
            records[entity] = records.get(entity, 0) + n
    assert report["summary"]["records"] == records
