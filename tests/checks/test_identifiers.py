"""The thin wrappers around python-stdnum, phonenumbers and email-validator, and their known gaps."""

from __future__ import annotations

import pandas as pd
import phonenumbers
import pytest
from stdnum.cn import uscc

from dataquality.checks.identifiers import (
    email_is_valid,
    gtin_is_valid,
    parse_phone,
    per_distinct,
    uscc_is_valid,
)


@pytest.mark.parametrize("code", ["A1310000MA1FL4CT3T", "N2110000MA1FL4CT3X", "Y1440300MA5ABCDE1U"])
def test_uscc_accepts_letter_authorities_that_stdnum_rejects(code: str) -> None:
    assert not uscc.is_valid(code)  # the gap: stdnum wants 8 leading digits
    assert uscc_is_valid(code)


@pytest.mark.parametrize("code", ["A1310000MA1FL4CT3U", "Y1440300MA5ABCDE1H", "N2110000MA1FL4CTIX", "A131000", "B1310000MA1FL4CT3U"])
def test_uscc_letter_authorities_still_need_format_and_check_character(code: str) -> None:
    assert not uscc_is_valid(code)


def test_uscc_digit_authority_is_stdnum_itself() -> None:
    assert uscc_is_valid("91310000MA1FL4CT3U") and not uscc_is_valid("91310000MA1FL4CT3X")


@pytest.mark.parametrize(
    ("text", "main"),
    [("021-61234567转123", "021-61234567"), ("021-61234567-123", "021-61234567"), ("021-61234567ext12", "021-61234567"), ("13812345678转8", "13812345678")],
)
def test_phone_extension_is_split_off_before_phonenumbers(text: str, main: str) -> None:
    assert parse_phone(main) == (True, None)
    assert parse_phone(text) == (True, None)


def test_phonenumbers_gap_is_real() -> None:
    with pytest.raises(phonenumbers.NumberParseException):
        phonenumbers.parse("021-61234567转123", "CN")
    assert not phonenumbers.is_valid_number(phonenumbers.parse("021-61234567-123", "CN"))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("13812345678", None), ("2161234567", None), ("021-61234567", None), ("+86 13812345678".replace(" ", ""), "13812345678"),
     ("(0755)88881234", "0755-88881234"), ("138-1234-5678转9", "13812345678转9")],
)
def test_phone_canonical_form(text: str, canonical: str | None) -> None:
    assert parse_phone(text) == (True, canonical)


@pytest.mark.parametrize("text", ["1381234567", "4008001234", "12345", "+1650253000", "0755-8888888", "(206) 555-0100", "21-61234567"])
def test_phone_not_a_chinese_mobile_or_landline(text: str) -> None:
    assert parse_phone(text) == (False, None)


@pytest.mark.parametrize(("text", "region"), [("+16502530000", "CN"), ("0044 20 7946 0958", "CN"), ("(206) 555-0100", "US"),
                                              ("555-0100", "US"), ("030 1234567", "DE"), ("13812345678", "US")])
def test_phone_of_another_country_is_valid_as_written(text: str, region: str) -> None:
    assert parse_phone(text, region) == (True, None)


@pytest.mark.parametrize(("code", "ok"), [("6901234567892", True), ("12345670", True), ("012345678905", True), ("12345678905", True),
                                          ("00012345678905", True), ("6901234567891", False), ("1234567890", False), ("", False)])
def test_gtin(code: str, ok: bool) -> None:
    assert gtin_is_valid(code) is ok


def test_email_has_no_dns_lookup() -> None:
    # A domain that cannot exist is fine: only the syntax is checked.
    assert email_is_valid("buyer@no-such-domain-for-dq-tests-7f3a.com.cn")
    assert not email_is_valid("buyer@@example.com")


def test_library_runs_once_per_distinct_value() -> None:
    calls: list[str] = []
    values = pd.Series(["a", "b", None, "a", "a", "b"] * 1000, dtype="str")
    out = per_distinct(values, lambda s: calls.append(s) or s.upper())
    assert sorted(calls) == ["a", "b"]
    assert out.isna().sum() == 1000 and (out.dropna() == values.dropna().str.upper()).all()


def test_space_and_canonical_phone_fixes_agree(write_xlsx, config) -> None:
    from dataquality.pipeline import run

    path = write_xlsx("c.xlsx", {"customers": [["客户编码", "客户名称", "业务员", "联系电话", "详细地址"],
                                               ["C000001", "甲", "张伟", "+86 138 1234 5678", "上海"],
                                               ["C000002", "乙", "张伟", "１３８ １２３４ ５６７８", "上海"]]})
    fixes = {(i.row, i.rule): i.fixed_value for i in run(config, [path]).issues}
    assert fixes == {(2, "FMT002"): "13812345678", (2, "IDN004"): "13812345678",
                     (3, "FMT002"): "13812345678", (3, "FMT003"): "13812345678"}
