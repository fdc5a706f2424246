"""Issue 2's acceptance: every planted field problem is found at its Excel row and field, nothing else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from builders import CUSTOMER_HEADERS_ZH, PRODUCT_HEADERS_ZH, customer, product, sheet_rows

from dataquality.pipeline import run


@pytest.fixture
def planted(write_xlsx):
    """Customers with Chinese headers, two title rows, shuffled columns and an unknown column."""
    recs = [customer(i) for i in range(1, 31)]
    plants = {
        # index into recs -> (overrides, expected [(field, rule)])
        0: ({"customer_name": None}, [("customer_name", "REQ001")]),
        1: ({"customer_type": "企业", "uscc": None}, [("uscc", "REQ002")]),
        2: ({"credit_limit": "五十万"}, [("credit_limit", "TYP001")]),
        3: ({"created_on": "2024-13-45"}, [("created_on", "TYP003")]),
        4: ({"customer_code": "C12345"}, [("customer_code", "FMT001")]),
        5: ({"grade": "E"}, [("grade", "ENM001")]),
        6: ({"payment_terms": "每逢周三"}, [("payment_terms", "ENM001")]),
        7: ({"credit_limit": -5000}, [("credit_limit", "RNG001")]),
        8: ({"created_on": dt.date(2099, 1, 1)}, [("created_on", "RNG002")]),
        9: ({"customer_code": "C100011"}, [("customer_code", "UNQ001")]),  # same as recs[10]
        10: ({}, [("customer_code", "UNQ001")]),
        11: ({"customer_name": "  上海鼎盛化工12号有限公司 "}, [("customer_name", "FMT002")]),
        12: ({"phone": "１３８１２３４００１３"}, [("phone", "FMT003")]),
        13: ({"customer_code": "c100014"}, [("customer_code", "FMT004")]),
        14: ({"bank_account": "6222-0212"}, [("bank_account", "FMT001")]),
        15: ({"status": "半停"}, [("status", "ENM001")]),
        16: ({"salesperson": "   "}, [("salesperson", "REQ001")]),
    }
    expected = set()
    for idx, (overrides, found) in plants.items():
        recs[idx].update(overrides)
        for field, rule in found:
            expected.add((idx + 4, field, rule))  # two title rows + header: record 0 is on row 4
    # Awkward but valid cells must not be reported.
    recs[20].update(credit_limit="1,000,000.00", grade="A")
    recs[21].update(credit_limit="300000", phone=13812340022)
    recs[22].update(created_on="2023-05-06", email=None, province=None, bank_account=None)
    recs[23].update(customer_type="个人", uscc=None)
    recs[24].update(payment_terms="NET60", status="active", customer_type="enterprise")
    order = ["status", "phone", "customer_name", "grade", "customer_code", "address", "uscc", "customer_type",
             "credit_limit", "salesperson", "department", "email", "province", "payment_terms", "bank_account", "created_on"]
    rows = sheet_rows(recs, CUSTOMER_HEADERS_ZH, order, title_rows=[["客户主数据"], ["制表：信息部"]],
                      extra={"内部备注": ["备注"] * len(recs)})
    path = write_xlsx("customers.xlsx", {"客户主数据": rows})
    expected.add((3, None, "FIL001"))
    return path, expected


def test_every_planted_problem_is_found_and_nothing_else(planted, config):
    path, expected = planted
    result = run(config, [path])
    found = set(result.flatten("row", "field", "rule"))
    assert found == expected


def test_issues_carry_cell_key_and_fix(planted, config):
    path, _ = planted
    result = run(config, [path])
    by = {(i.row, i.rule): i for i in result.issues}
    ws = by[(15, "FMT002")]
    assert ws.fixable and ws.fixed_value == "上海鼎盛化工12号有限公司"
    assert ws.cell == "客户主数据!C15"  # customer_name is the third column
    assert ws.key == "C100012"
    lower = by[(17, "FMT004")]
    assert lower.fixed_value == "C100014" and lower.key == "C100014"
    dup = by[(13, "UNQ001")]
    assert dup.related_rows == (14,)
    assert "14" in dup.message("en") and "14" in dup.message("zh")


def test_products_field_rules(write_xlsx, config):
    recs = [product(i) for i in range(1, 11)]
    recs[0]["list_price"] = 0
    recs[1]["unit"] = "盒子"
    recs[2]["cost_price"] = "abc"
    recs[3]["internal_code"] = "FG30004"
    path = write_xlsx("products.xlsx", {"产品": sheet_rows(recs, PRODUCT_HEADERS_ZH)})
    result = run(config, [path])
    assert set(result.flatten("row", "field", "rule")) == {
        (2, "list_price", "RNG001"), (3, "unit", "ENM001"), (4, "cost_price", "TYP001"), (5, "internal_code", "FMT001"),
    }


def test_messages_exist_in_both_languages(planted, config):
    path, _ = planted
    result = run(config, [path])
    for issue in result.issues:
        en, zh = issue.message("en"), issue.message("zh")
        assert en and zh and en != zh
        assert not re.search(r"\{[a-z_]+\}", en + zh), (issue.rule, en, zh)
