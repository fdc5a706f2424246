"""Every default rule of the spec, planted at least 15 times in real workbooks, found exactly.

The workbooks mix clean rows written the awkward ways people really write them (numbers stored
as text, '1,000,000.00', phone numbers stored as numbers, dates as text, empty optional fields,
Chinese synonyms and aliases) with planted rows. The test asserts the exact set of
(row, field, rule): every planted case at its row and field, and nothing on the clean rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from builders import CUSTOMER_HEADERS_ZH, PRODUCT_HEADERS_ZH
from stdnum import ean
from stdnum.cn import uscc

from dataquality.config import Config
from dataquality.pipeline import run

CUSTOMER_HEADERS, PRODUCT_HEADERS = CUSTOMER_HEADERS_ZH, PRODUCT_HEADERS_ZH
STAFF = ["张伟", "王芳", "李娜", "刘洋", "孙丽", "郑浩"]
PROVINCES = ["上海", "广东省", "Zhejiang", None, "北京市", "内蒙古", "Hong Kong"]
CLEAN_ROWS = 60
CASES = 15
FIRST_ROW = 3  # a title row, then the header on row 2


def make_uscc(i: int, authority: str = "9") -> str:
    """A valid unified social credit code, distinct for each i."""
    body = f"{authority}1310000{i:08d}A"
    return body + uscc.calc_check_digit(body)


def make_gtin(i: int) -> str:
    body = f"690{i:09d}"
    return body + ean.calc_check_digit(body)


def clean_customer(i: int) -> dict[str, Any]:
    """A correct customer, written in one of several valid but awkward ways."""
    grade = "ABCD"[i % 4]
    kind = ["enterprise", "企业", "individual", "政府"][i % 4]
    phones: list[Any] = [13800000000 + i, f"021-6123{i:04d}", f"0755-8888{i:04d}转12", f"1390000{i:04d}", 57180000000 + i]
    credit: list[Any] = ["1,000,000.00", 500000, "150000", 0]
    return {
        "customer_code": f"C{100000 + i:06d}",
        "customer_name": f"测试客户{i:04d}商贸有限公司" if i % 5 else f"Test Customer {i:04d} Co., Ltd.",
        "customer_type": kind,
        # Individuals may leave the USCC empty; i % 4 == 2 is 'individual'.
        "uscc": None if i % 4 == 2 else (make_uscc(i) if i % 7 else make_uscc(i, "Y")),
        "grade": grade,
        "salesperson": STAFF[i % len(STAFF)],
        "department": "销售部" if i % 3 else "Sales",
        "phone": phones[i % len(phones)],
        "email": None if i % 6 == 0 else f"buyer{i}@example.com.cn",
        "province": PROVINCES[i % len(PROVINCES)],
        "address": f"上海市浦东新区张江路{i}号",
        "credit_limit": credit["ABCD".index(grade)],
        "payment_terms": ["NET30", "月结60天", "预付", "COD"][i % 4],
        "bank_account": None if i % 5 == 0 else f"62220212{i:08d}",
        "status": "启用" if i % 2 else "active",
        "created_on": dt.date(2023, 1 + i % 12, 1 + i % 28) if i % 3 else f"2024-{1 + i % 12:02d}-05",
    }


def clean_product(i: int, customer_codes: list[str]) -> dict[str, Any]:
    """A correct product, written in one of several valid but awkward ways."""
    cat = ["FG", "SF", "RM"][i % 3]
    return {
        "internal_code": f"{cat}{200000 + i:06d}",
        "product_name": f"测试产品{i}",
        "specification": f"M{i}×20",
        "category": [cat, {"FG": "成品", "SF": "半成品", "RM": "原材料"}[cat]][i % 2],
        "unit": ["PCS", "个", "SET", "千克", "BOX"][i % 5],
        "customer_code": customer_codes[i % len(customer_codes)] if i % 4 == 0 else None,
        "customer_part_no": f"HX-{i:04d}-A" if i % 3 == 0 else None,
        "barcode": None if i % 4 == 1 else (int(make_gtin(i)) if i % 2 else make_gtin(i)),
        "list_price": ["1,000.00", 250.5, "88"][i % 3],
        "cost_price": [800, "200.10", 0][i % 3],
        "currency": ["CNY", "人民币", "USD"][i % 3],
        "owner_department": ["生产部", "Production", "采购部"][i % 3],
        "status": "启用",
    }


Plant = Callable[[int, dict[str, Any]], list[tuple[str, str]]]


def _set(field: str, value: Any, rule: str, also: tuple[tuple[str, str], ...] = ()) -> Plant:
    def plant(k: int, row: dict[str, Any]) -> list[tuple[str, str]]:
        row[field] = value(k) if callable(value) else value
        return [(field, rule), *also]

    return plant


# Single-row plants: (rule label, how to spoil a clean row) -> the (field, rule) it must produce.
CUSTOMER_PLANTS: dict[str, Plant] = {
    "REQ001": _set("address", lambda k: [None, "   "][k % 2], "REQ001"),
    "REQ002": _set("uscc", None, "REQ002"),  # planted on enterprise rows only (see below)
    "FMT001": _set("customer_code", lambda k: [f"C{k:05d}", f"K{k:06d}", f"C{k:06d}X"][k % 3], "FMT001"),
    "FMT002": _set("customer_name", lambda k: f"  空格客户{k:03d}有限公司 ", "FMT002"),
    "FMT003": _set("phone", lambda k: f"１３８００１３{k:04d}".translate(str.maketrans("0123456789", "０１２３４５６７８９")), "FMT003"),
    "FMT005": _set("bank_account", lambda k: [f"6,222,021,{k:03d}", f"62220212{k:04d}.00"][k % 2], "FMT005"),
    "ENM001": _set("payment_terms", lambda k: ["看心情", "每逢周三", "XYZ"][k % 3], "ENM001"),
    "IDN001": _set("uscc", lambda k: make_uscc(900 + k)[:-1] + ("0" if make_uscc(900 + k)[-1] != "0" else "1"), "IDN001"),
    "IDN003": _set("phone", lambda k: ["1380013800", "12345678", f"0755-{k:03d}", "138001380001"][k % 4], "IDN003"),
    "IDN004": _set("phone", lambda k: [f"+86-138-0013-{k:04d}", f"(021)6123{k:04d}", f"138-0013-{k:04d}"][k % 3], "IDN004"),
    "IDN005": _set("email", lambda k: [f"buyer{k}@@example.com", f"buyer{k}example.com", f"buyer{k}@example"][k % 3], "IDN005"),
    "REF001-staff": _set("salesperson", lambda k: ["张三", "离职员工", "Wang"][k % 3], "REF001"),
    "REF001-dept": _set("department", lambda k: ["市场部", "Marketing"][k % 2], "REF001"),
    "REF001-prov": _set("province", lambda k: ["江南省", "Atlantis"][k % 2], "REF001"),
    "CUS001": _set("credit_limit", lambda k: "300,000" if k % 2 else 250000.5, "CUS001"),  # on grade C rows
    "RNG001": _set("credit_limit", lambda k: -1000 - k, "RNG001"),
    "RNG002": _set("created_on", lambda k: (dt.date.today() + dt.timedelta(days=30 + k)).isoformat(), "RNG002"),
    "TYP001": _set("credit_limit", lambda k: ["五十万", "100k", "1.000.000"][k % 3], "TYP001"),
    "TYP003": _set("created_on", lambda k: ["2024-13-45", "去年春天", "31/02/2024"][k % 3], "TYP003"),
}

PRODUCT_PLANTS: dict[str, Plant] = {
    "REQ001": _set("specification", None, "REQ001"),
    "FMT001": _set("internal_code", lambda k: [f"FG{k:05d}", f"XX{k:06d}"][k % 2], "FMT001"),
    "FMT004": lambda k, row: row.update(internal_code=row["internal_code"].lower()) or [("internal_code", "FMT004")],
    "ENM001": _set("unit", lambda k: ["盒子", "坨", "XX1"][k % 3], "ENM001"),
    "IDN002": _set("barcode", lambda k: make_gtin(500 + k)[:-1] + str((int(make_gtin(500 + k)[-1]) + 1) % 10), "IDN002"),
    "RNG001": lambda k, row: row.update(list_price=[0, "0.00"][k % 2], cost_price=0) or [("list_price", "RNG001")],
    "REF001": _set("owner_department", lambda k: ["仓库", "Logistics"][k % 2], "REF001"),
    "PRD002": _set("list_price", lambda k: "0.50", "PRD002"),  # cost is > 0.5 on the rows used
    "PRD005": _set("customer_code", lambda k: f"C9{k:05d}", "PRD005"),
}


def _write(write_xlsx, name: str, sheet: str, headers: dict[str, str], rows: list[dict[str, Any]]):
    grid = [[f"{sheet}（测试）"], list(headers.values())]
    grid += [[r.get(f) for f in headers] for r in rows]
    return write_xlsx(name, {sheet: grid})


def build_customers() -> tuple[list[dict[str, Any]], set[tuple[int, str, str]]]:
    rows = [clean_customer(i) for i in range(CLEAN_ROWS)]
    expected: set[tuple[int, str, str]] = set()
    n = CLEAN_ROWS
    for label, plant in CUSTOMER_PLANTS.items():
        for k in range(CASES):
            # Rules tied to a value of another field start from a clean row that has it.
            base = n if label not in ("REQ002", "CUS001") else (n - n % 4 + 4 if label == "REQ002" else n - n % 4 + 6)
            row = clean_customer(base)
            n = base + 1
            row["customer_code"] = f"C{300000 + len(rows):06d}"
            row["customer_name"] = f"埋点客户{len(rows):04d}有限公司"
            if row["uscc"]:
                row["uscc"] = make_uscc(5000 + len(rows))
            for field, rule in plant(k, row):
                expected.add((FIRST_ROW + len(rows), field, rule))
            rows.append(row)
    # Group plants: each member of a group is found, naming the others.
    for k in range(8):  # duplicate customer codes: pairs -> 16 cases
        a, b = clean_customer(1000 + 2 * k), clean_customer(1001 + 2 * k)
        a["customer_code"] = b["customer_code"] = f"C{400000 + k:06d}"
        a["customer_name"], b["customer_name"] = f"重码甲{k}有限公司", f"重码乙{k}有限公司"
        for r in (a, b):
            expected.add((FIRST_ROW + len(rows), "customer_code", "UNQ001"))
            rows.append(r)
    for k in range(8):  # possible duplicate customers: legal form, spaces, case, full-width
        a, b = clean_customer(1100 + 2 * k), clean_customer(1101 + 2 * k)
        a["customer_name"], b["customer_name"] = [
            (f"华东机电{k}有限公司", f"华东机电{k}有限责任公司"),
            (f"Huadong Trading {k} Co., Ltd.", f"HUADONG TRADING {k} COMPANY LIMITED"),
            (f"（上海）华东{k}有限公司", f"(上海)华东{k}有限公司"),
            (f"华东·物流{k}有限公司", f"华东物流{k} 有限公司"),
        ][k % 4]
        a["customer_code"], b["customer_code"] = f"C{500000 + 2 * k:06d}", f"C{500001 + 2 * k:06d}"
        for r in (a, b):
            expected.add((FIRST_ROW + len(rows), "customer_name", "CUS002"))
            rows.append(r)
    for k in range(8):  # one USCC under two customer codes
        a, b = clean_customer(1200 + 4 * k), clean_customer(1204 + 4 * k)  # both enterprises
        a["uscc"] = b["uscc"] = make_uscc(7000 + k)
        a["customer_code"], b["customer_code"] = f"C{600000 + 2 * k:06d}", f"C{600001 + 2 * k:06d}"
        a["customer_name"], b["customer_name"] = f"共码甲{k}有限公司", f"共码乙{k}有限公司"
        for r in (a, b):
            expected.add((FIRST_ROW + len(rows), "uscc", "CUS003"))
            rows.append(r)
    return rows, expected


def build_products(customer_codes: list[str]) -> tuple[list[dict[str, Any]], set[tuple[int, str, str]]]:
    rows = [clean_product(i, customer_codes) for i in range(CLEAN_ROWS)]
    expected: set[tuple[int, str, str]] = set()
    for label, plant in PRODUCT_PLANTS.items():
        for k in range(CASES):
            i = 1000 + len(rows)
            row = clean_product(i if label != "PRD002" else i - i % 3, customer_codes)
            row["internal_code"] = f"{row['internal_code'][:2]}{300000 + len(rows):06d}"
            row["product_name"] = f"埋点产品{len(rows)}"
            for field, rule in plant(k, row):
                expected.add((FIRST_ROW + len(rows), field, rule))
            rows.append(row)
    for k in range(CASES):  # internal code prefix differs from the category
        row = clean_product(3000 + k, customer_codes)
        row["internal_code"] = f"RM{310000 + k:06d}"
        row["category"] = ["FG", "半成品", "成品"][k % 3]
        row["product_name"] = f"前缀产品{k}"
        expected.add((FIRST_ROW + len(rows), "internal_code", "PRD001"))
        rows.append(row)
    for k in range(CASES):  # a customer part number that is one of our internal codes
        row = clean_product(3100 + k, customer_codes)
        row["product_name"] = f"料号产品{k}"
        row["customer_part_no"] = rows[k]["internal_code"].lower() if k % 2 else rows[k]["internal_code"]
        expected.add((FIRST_ROW + len(rows), "customer_part_no", "PRD004"))
        if k % 2:  # typed in lower case: also a (fixable) case warning
            expected.add((FIRST_ROW + len(rows), "customer_part_no", "FMT004"))
        rows.append(row)
    for k in range(8):  # one item, many codes: pairs equal after normalisation (spaces, case, unit synonyms)
        a, b = clean_product(3200 + 2 * k, customer_codes), clean_product(3201 + 2 * k, customer_codes)
        a["product_name"], b["product_name"] = f"六角螺栓{k}", [f"六角螺栓{k}", f"六角螺栓{k} "][k % 2]
        a["specification"], b["specification"] = f"M8×{k}", [f"m8×{k}", f"M8 ×{k}"][k % 2]
        a["unit"], b["unit"] = "PCS", ["个", "pcs"][k % 2]
        a["internal_code"], b["internal_code"] = f"FG{320000 + 2 * k:06d}", f"FG{320001 + 2 * k:06d}"
        a["category"] = b["category"] = "FG"
        for r in (a, b):
            expected.add((FIRST_ROW + len(rows), "internal_code", "PRD003"))
            if r["product_name"].endswith(" "):
                expected.add((FIRST_ROW + len(rows), "product_name", "FMT002"))
            rows.append(r)
    return rows, expected


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from openpyxl import Workbook

    folder = tmp_path_factory.mktemp("spec")

    def write_xlsx(name: str, sheets: dict[str, list[list[Any]]]):
        wb = Workbook()
        wb.remove(wb.active)
        for title, grid in sheets.items():
            ws = wb.create_sheet(title)
            for r in grid:
                ws.append(r)
        wb.save(folder / name)
        return folder / name

    customers, c_expected = build_customers()
    codes = [r["customer_code"] for r in customers[:CLEAN_ROWS]]
    products, p_expected = build_products(codes)
    c_path = _write(write_xlsx, "customers.xlsx", "客户主数据", CUSTOMER_HEADERS, customers)
    p_path = _write(write_xlsx, "products.xlsx", "产品主数据", PRODUCT_HEADERS, products)
    result = run(Config.load(), [c_path, p_path])
    return result, c_expected, p_expected


def _found(result, entity: str) -> list[tuple[int, str, str]]:
    return [(i.row, i.field, i.rule) for i in result.issues if i.entity == entity]


def test_every_planted_customer_case_is_found_and_nothing_else(planted):
    result, expected, _ = planted
    found = _found(result, "customer")
    assert len(found) == len(set(found)), "an issue is reported twice"
    assert sorted(set(found) - expected) == [], "false positives"
    assert sorted(expected - set(found)) == [], "missed cases"


def test_every_planted_product_case_is_found_and_nothing_else(planted):
    result, _, expected = planted
    found = _found(result, "product")
    assert len(found) == len(set(found)), "an issue is reported twice"
    assert sorted(set(found) - expected) == [], "false positives"
    assert sorted(expected - set(found)) == [], "missed cases"


def test_each_rule_of_the_spec_is_planted_at_least_15_times(planted):
    _, c_expected, p_expected = planted
    counts = Counter(rule for _, _, rule in c_expected | p_expected)
    spec_rules = ["REQ001", "REQ002", "FMT001", "FMT002", "FMT003", "FMT004", "FMT005", "ENM001", "UNQ001",
                  "IDN001", "IDN002", "IDN003", "IDN004", "IDN005", "REF001", "RNG001", "RNG002", "TYP001", "TYP003",
                  "CUS001", "CUS002", "CUS003", "PRD001", "PRD002", "PRD003", "PRD004", "PRD005"]
    assert {r: counts[r] for r in spec_rules if counts[r] < CASES} == {}


def test_group_issues_name_the_other_rows(planted):
    result, _, _ = planted
    groups = [i for i in result.issues if i.rule in ("UNQ001", "CUS002", "CUS003", "PRD003")]
    assert groups
    for issue in groups:
        assert issue.related_rows and issue.row not in issue.related_rows
        others = " and ".join(str(r) for r in issue.related_rows)
        assert f"row{'s' if len(issue.related_rows) > 1 else ''} {others}" in issue.message("en")
        assert f"第 {'、'.join(str(r) for r in issue.related_rows)} 行" in issue.message("zh")


def test_fixable_findings_carry_the_fixed_value(planted):
    result, _, _ = planted
    by_rule = {}
    for i in result.issues:
        by_rule.setdefault(i.rule, i)
    assert by_rule["FMT002"].fixed_value == by_rule["FMT002"].value.strip()
    assert by_rule["FMT003"].fixed_value.isascii() and by_rule["FMT003"].fixed_value.isdigit()
    fmt005 = [i for i in result.issues if i.rule == "FMT005"]
    assert all(i.fixable and i.fixed_value.isdigit() for i in fmt005)
    assert {i.fixed_value for i in fmt005 if i.value.startswith("6,222,021,")} >= {"6222021000", "6222021002"}
    idn004 = [i for i in result.issues if i.rule == "IDN004"]
    assert all(i.fixable for i in idn004)
    assert {i.fixed_value for i in idn004} >= {"13800130000", "021-61230001", "13800130002"}
