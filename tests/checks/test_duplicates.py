"""The grouping machinery behind UNQ001, CUS002, CUS003 and PRD003, and how groups read in messages."""

from __future__ import annotations

import pandas as pd

from dataquality.checks.duplicates import MAX_RELATED, conflicting_groups, name_key
from dataquality.issue import Issue, Severity, rows_text

LEGAL = {"有限公司": ("有限责任公司", "Co., Ltd.", "Company Limited", "Ltd."), "股份有限公司": ("Corporation Limited",)}


def test_name_key_unifies_case_width_spaces_punctuation_and_legal_forms() -> None:
    names = pd.Series(["上海华东机电有限公司", "上海 华东机电 有限责任公司", "（上海）华东机电有限公司", "上海华东机电股份有限公司",
                       "Huadong Co., Ltd.", "ＨＵＡＤＯＮＧ Company Limited", "huadong-ltd.", None, "！！"], dtype="str")
    key = name_key(names, dict(LEGAL))
    assert key[0] == key[1] == key[2]
    assert key[3] != key[0]  # 股份有限公司 is a different legal form
    assert key[4] == key[5] == key[6]
    assert key[7] is pd.NA or pd.isna(key[7])
    assert pd.isna(key[8])  # punctuation only: nothing to compare


def test_conflicting_groups_ignores_missing_values_and_equal_codes() -> None:
    key = pd.Series(["a", "a", "b", "b", None, "c", "c"], index=[2, 3, 4, 5, 6, 7, 8], dtype="str")
    code = pd.Series(["X", "Y", "Z", "Z", "W", "V", None], index=key.index, dtype="str")
    mask, partners = conflicting_groups(key, code)
    assert list(mask[mask].index) == [2, 3]
    assert partners.to_dict() == {2: (3,), 3: (2,)}


def test_big_groups_list_a_bounded_number_of_partners() -> None:
    n = 5000
    key = pd.Series(["same"] * n, index=range(2, n + 2), dtype="str")
    code = pd.Series([f"FG{i:06d}" for i in range(n)], index=key.index, dtype="str")
    mask, partners = conflicting_groups(key, code)
    assert mask.all() and partners.map(len).max() == MAX_RELATED
    assert 2 not in partners[2]


def test_rows_read_naturally_in_both_languages() -> None:
    assert rows_text((17,), "en") == "row 17" and rows_text((17,), "zh") == "第 17 行"
    assert rows_text((17, 230), "en") == "rows 17 and 230" and rows_text((17, 230), "zh") == "第 17、230 行"
    assert rows_text(tuple(range(2, 15)), "en") == "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 3 more"
    issue = Issue("UNQ001", Severity.ERROR, "customer", "c.xlsx", row=5, field="customer_code", value="C000001",
                  params={"labels": {"en": "Customer code", "zh": "客户编码"}}, related_rows=(17, 230))
    assert issue.message("en") == "Customer code 'C000001' appears more than once (same as rows 17 and 230)."
    assert issue.message("zh") == "客户编码“C000001”重复出现（与第 17、230 行相同）。"
