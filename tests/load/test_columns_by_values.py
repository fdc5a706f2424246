"""Columns found by name and values (issue 22): qualified headers, the values deciding between
candidates, second columns of a kind, names in parts, columns read by values alone, the entity
from the headers, and the evidence dq map prints. Each test asserts the exact findings."""

from __future__ import annotations

from pathlib import Path

from dq_cli import run_dq

from dataquality.config import Config
from dataquality.load import read_file
from dataquality.pipeline import run


def _uscc(body: str) -> str:
    """A valid unified social credit code from its first 17 characters (GB 32100-2015)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + alphabet[(31 - total % 31) % 31]


def _ean(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _found(config: Config, path: Path) -> set[tuple[int | None, str | None, str]]:
    return {(i.row, i.field, i.rule) for i in run(config, [path]).issues if i.rule not in ("FIL001", "RUL001")}


def test_qualified_headers_are_read_when_their_values_fit(write_xlsx, config: Config) -> None:
    header = ["客户编码", "客户名称", "分管业务员", "联系人手机", "银行账号-财务", "详细地址"]
    rows = [[f"C{i:06d}", f"上海{i}号公司", "张伟", f"1381234{i:04d}", f"62220212345678{i:02d}", f"上海市{i}号"] for i in range(1, 6)]
    rows[2][3] = "1381234"  # row 4: not a phone number
    path = write_xlsx("customers.xlsx", {"客户": [header, *rows]})
    [table] = read_file(path, config).tables
    assert {m.field: m.header for m in table.matches} == {
        "customer_code": "客户编码", "customer_name": "客户名称", "salesperson": "分管业务员", "phone": "联系人手机",
        "bank_account": "银行账号-财务", "address": "详细地址"}
    assert _found(config, path) == {(4, "phone", "IDN003")}


def test_the_values_decide_between_two_candidate_columns(write_xlsx, config: Config) -> None:
    """An empty Phone beside a filled Mobile, and a `type` column beside a `category` column: the
    filled column and the one whose values fit win."""
    header = ["Item Code", "Item Name", "Spec", "Type", "Category", "Unit"]
    rows = [[f"FG{i:06d}", f"Bolt {i}", f"M{i}", "Consumable", ["成品", "半成品", "原材料"][i % 3], "PCS"] for i in range(1, 7)]
    path = write_xlsx("items.xlsx", {"items": [header, *rows]})
    [table] = read_file(path, config).tables
    assert table.columns["category"] == "E"  # 成品/半成品/原材料 fit the category, Consumable does not
    header = ["Customer Code", "Customer Name", "Phone", "Mobile", "Address", "Sales Rep"]
    rows = [[f"C{i:06d}", f"Co {i}", None, f"1391234{i:04d}", f"Road {i}", "张伟"] for i in range(1, 6)]
    path = write_xlsx("clients.xlsx", {"customers": [header, *rows]})
    [table] = read_file(path, config).tables
    assert table.columns["phone"] == "D" and table.columns["phone#2"] == "C"  # the empty one never wins
    assert _found(config, path) == set()


def test_a_second_column_of_a_kind_is_checked_too(write_xlsx, config: Config) -> None:
    header = ["客户编码", "客户名称", "业务员", "电话1", "电话2", "详细地址"]
    rows = [[f"C{i:06d}", f"公司{i}", "张伟", f"1381234{i:04d}", f"1391234{i:04d}", f"地址{i}"] for i in range(1, 5)]
    rows[1][4] = "12345"  # row 3: the second phone is wrong
    path = write_xlsx("c.xlsx", {"客户": [header, *rows]})
    [table] = read_file(path, config).tables
    assert (table.columns["phone"], table.columns["phone#2"]) == ("D", "E")
    assert _found(config, path) == {(3, "phone#2", "IDN003")}


def test_first_and_last_name_make_the_contact(write_xlsx, config: Config) -> None:
    header = ["Customer Code", "Company", "First Name", "Last Name", "Phone", "Address", "Sales Rep"]
    rows = [[f"C{i:06d}", f"Co {i}", "Ann", f"Lee{i}", f"1381234{i:04d}", f"Road {i}", "张伟"] for i in range(1, 4)]
    path = write_xlsx("people.xlsx", {"customers": [header, *rows]})
    [table] = read_file(path, config).tables
    assert table.data["contact"].tolist() == ["Ann Lee1", "Ann Lee2", "Ann Lee3"] and "contact" in table.derived
    assert _found(config, path) == set()


def test_a_column_is_read_by_its_values_alone_only_when_they_are_unambiguous(write_xlsx, config: Config) -> None:
    header = ["物料编码", "品名", "规格型号", "外部码", "备注"]
    rows = [[f"FG{i:06d}", f"螺栓{i}", f"M{i}", _ean(f"690123456{i:03d}"), f"{i:013d}"] for i in range(1, 6)]
    rows[2][3] = "6901234560030"  # row 4: a broken check digit
    path = write_xlsx("p.xlsx", {"产品": [header, *rows]})
    [table] = read_file(path, config).tables
    assert table.columns["barcode"] == "D"  # 外部码: no name dq knows, but every value a valid GTIN
    assert "remark" not in table.columns and "E" not in table.columns.values()  # 13 digits that are not GTINs
    assert _found(config, path) == {(1, "barcode", "FIL010"), (4, "barcode", "IDN002")}


def test_the_entity_comes_from_the_headers_and_names_only_break_a_tie(write_xlsx, config: Config) -> None:
    header = ["供应商编码", "供应商名称", "联系人", "联系电话"]
    rows = [[f"S{i:06d}", f"供应商{i}", "王五", f"1381234{i:04d}"] for i in range(1, 4)]
    path = write_xlsx("customermgsys_供应商.xlsx", {"Sheet1": [header, *rows]})
    assert {t.entity for t in read_file(path, config).tables} == {"supplier"}
    header = ["编码", "名称", "电话", "地址"]  # names both entities share: the file name breaks the tie
    rows = [[f"{i:04d}", f"单位{i}", f"1381234{i:04d}", f"地址{i}"] for i in range(1, 4)]
    assert {t.entity for t in read_file(write_xlsx("crm_客户.xlsx", {"Sheet1": [header, *rows]}), config).tables} == {"customer"}
    assert {t.entity for t in read_file(write_xlsx("crm_供应商.xlsx", {"Sheet1": [header, *rows]}), config).tables} == {"supplier"}


def test_dq_map_says_which_evidence_decided_each_column(write_xlsx) -> None:
    header = ["客户编码", "客户名称", "分管业务员", "联系人手机", "国标码"]
    rows = [[f"C{i:06d}", f"公司{i}", "张伟", f"1381234{i:04d}", _uscc(f"91310000MA1FL{i:04d}")] for i in range(1, 5)]
    path = write_xlsx("c.xlsx", {"客户": [header, *rows]})
    done = run_dq("map", path, "--lang", "en", env={"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "header is the field's name '客户编码'" in out
    assert "header holds the field's name '业务员' with a qualifier" in out
    assert "no header evidence; 100% of the values are unambiguously this field" in out  # the USCC column


def test_a_mapping_file_pattern_follows_next_months_file_and_a_stale_one_is_said(tmp_path: Path, write_xlsx) -> None:
    header = ["货品代码", "名称*", "规格", "基本单位*"]
    rows = [[f"FG{i:06d}", f"货{i}", "M8", "个"] for i in range(1, 4)]
    march = write_xlsx("goods_export_2026-03.xlsx", {"商品信息": [header, *rows]})
    mapping = tmp_path / "mapping.yaml"
    done = run_dq("map", march, "-o", mapping, "--lang", "en")
    assert done.returncode == 0 and "goods_export_*.xlsx" in done.stdout
    assert '- file: "goods_export_*.xlsx"' in mapping.read_text(encoding="utf-8")
    april = write_xlsx("goods_export_2026-04.xlsx", {"商品信息": [header, *rows]})
    out = tmp_path / "out"
    run_dq("validate", april, "--mapping", mapping, "-f", "json", "-o", out, "-q")
    import json

    issues = json.loads((out / "report.json").read_text(encoding="utf-8"))["issues"]
    assert not [i for i in issues if i["rule"] == "FIL011"]
    other = write_xlsx("something_else.xlsx", {"商品信息": [header, *rows]})
    run_dq("validate", other, "--mapping", mapping, "-f", "json", "-o", out, "-q")
    issues = json.loads((out / "report.json").read_text(encoding="utf-8"))["issues"]
    stale = [i for i in issues if i["rule"] == "FIL011"]
    assert [(i["severity"], i["file"], i["value"]) for i in stale] == [("warning", "mapping.yaml", "goods_export_*.xlsx")]


def test_headers_in_traditional_characters(write_xlsx, config: Config) -> None:
    header = ["產品編號", "產品名稱", "規格型號", "單位", "單價"]
    rows = [[f"FG{i:06d}", f"螺絲{i}", f"M{i}", "個", 10 + i] for i in range(1, 4)]
    [table] = read_file(write_xlsx("價目表.xlsx", {"產品": [header, *rows]}), config).tables
    assert (table.entity, set(table.columns)) == ("product", {"internal_code", "product_name", "specification", "unit", "list_price"})
    assert [i.rule for i in run(config, [table.path]).issues if i.field == "unit"] == []  # 個 is 个


def test_variant_rows_under_a_head_row_belong_to_its_product(write_xlsx, config: Config) -> None:
    """A shop export writes the product's name once and its variants below: read as the product's
    rows (FIL015, said once), not as products without a name; a missing name elsewhere still counts."""
    header = ["Handle", "Title", "Vendor", "Variant SKU", "Option1 Value", "Variant Price"]
    rows = [["tee", "T-Shirt", "Acme", "TEE-S", "S", 10], [None, None, None, "TEE-M", "M", 10], [None, None, None, "TEE-L", "L", 11],
            ["cap", "Cap", "Acme", "CAP-1", "Red", 5], [None, None, None, "CAP-2", "Blue", 5]]
    path = write_xlsx("shop.xlsx", {"products": [header, *rows]})
    [table] = read_file(path, config).tables
    assert table.data["product_name"].tolist() == ["T-Shirt", "T-Shirt", "T-Shirt", "Cap", "Cap"]
    assert "product_name" in table.derived
    found = {(i.row, i.field, i.rule) for i in run(config, [path]).issues if i.rule in ("FIL015", "REQ001")}
    assert found == {(1, None, "FIL015")}


def test_a_header_written_as_one_word_names_a_field_only_beside_a_word(write_xlsx, config: Config) -> None:
    """UnitCost and CustomerPhone are a cost and a phone (the rest is a word of the entity's names);
    Designation merely ends in 'nation' and is not a country, nor is Stationery a station."""
    header = ["CustomerCode", "CustomerName", "CustomerPhone", "Designation", "Address"]
    rows = [[f"C{i:06d}", f"Co {i}", f"1391234{i:04d}", "Manager", f"Road {i}"] for i in range(1, 6)]
    path = write_xlsx("contacts.xlsx", {"customers": [header, *rows]})
    [table] = read_file(path, config).tables
    assert {m.field: m.header for m in table.matches} == {
        "customer_code": "CustomerCode", "customer_name": "CustomerName", "phone": "CustomerPhone", "address": "Address"}


def test_a_set_of_dimensions_is_not_one_of_them(write_xlsx, config: Config) -> None:
    """长-宽-高-重量 holds four measures in one cell: not the weight; 净重(kg) beside it is."""
    header = ["商品编码", "商品名称", "净产品长-宽-高-重量", "净重(kg)", "单位"]
    rows = [[f"P{i:06d}", f"螺栓{i}", f"10-20-30-{i}.5", i + 0.5, "个"] for i in range(1, 6)]
    path = write_xlsx("products.xlsx", {"商品": [header, *rows]})
    [table] = read_file(path, config).tables
    assert {m.field: m.header for m in table.matches} == {
        "internal_code": "商品编码", "product_name": "商品名称", "weight": "净重(kg)", "unit": "单位"}


def test_a_name_in_parts_is_the_contact_before_an_address_attention_line(write_xlsx, config: Config) -> None:
    """First Name + Last Name are the customer's contact; Billing Attention is the person an
    address is for (a qualified name) and gives way to them."""
    header = ["Customer ID", "Customer Name", "First Name", "Last Name", "Billing Attention", "Billing Address", "Phone"]
    rows = [[f"C{i:06d}", f"Co {i}", "Anna", f"Smith{i}", "Accounts", f"Road {i}", f"1391234{i:04d}"] for i in range(1, 6)]
    path = write_xlsx("clients.xlsx", {"customers": [header, *rows]})
    [table] = read_file(path, config).tables
    contact = next(m for m in table.matches if m.field == "contact")
    assert contact.header == "First Name + Last Name"
    assert table.data["contact"].tolist()[:2] == ["Anna Smith1", "Anna Smith2"]
    assert all(m.header != "Billing Attention" for m in table.matches)
