"""Numbers as people write them (checks/numbers.py): every written form is the number it was built
from, a column decides its decimal separator, and anything else is not a number."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataquality.checks.numbers import MULTIPLIERS, currencies_of
from dataquality.checks.values import read_numbers
from dataquality.load.table import TEXT

MARKS = ["¥", "￥", "$", "€", "£", "元", "RMB", "USD", "cny", "US$", "HK$", "人民币", "美元"]
NEGATIVE = ["", "-", "\u2212", "()", "（）", "trailing", "+"]


def _group(digits: str, style: str, decimal: str) -> str:
    """The integer part written with thousands separators in `style`."""
    if style == "none" or len(digits) <= 3:
        return digits
    if style == "indian":  # 12,34,567
        head, tail = digits[:-3], digits[-3:]
        pairs = [head[max(0, i - 2):i] for i in range(len(head), 0, -2)][::-1]
        return ",".join(pairs) + "," + tail
    sep = {"thousands": "," if decimal == "." else ".", "apostrophe": "'", "space": " ", "narrow": "\u202f"}[style]
    groups = [digits[max(0, i - 3):i] for i in range(len(digits), 0, -3)][::-1]
    return sep.join(groups)


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, str, float]:
    """(text, the column's decimal separator, the number it was built from)."""
    decimal = draw(st.sampled_from([".", ","]))
    integer = draw(st.integers(0, 10**13))
    fraction = draw(st.text("0123456789", max_size=4))
    styles = ["none", "thousands", "apostrophe", "space", "narrow"] + (["indian"] if decimal == "." else [])
    body = _group(str(integer), draw(st.sampled_from(styles)), decimal)
    if fraction or draw(st.booleans()):
        body += decimal + fraction
    power = 0
    unit = draw(st.sampled_from(["", "", "%", *MULTIPLIERS]))
    if unit == "%":
        power = -2
    elif unit:
        power = MULTIPLIERS[unit]
    body += unit
    negative = draw(st.sampled_from(NEGATIVE))
    mark = draw(st.sampled_from(["", "", *MARKS]))
    where = draw(st.sampled_from(["before", "after", "inside"]))
    space = draw(st.sampled_from(["", " "]))
    if mark and where == "after":
        body = body + space + mark
    elif mark and where == "inside":
        body = mark + space + body
    if negative in ("()", "（）"):
        body = negative[0] + body + negative[1]
    elif negative == "trailing":
        body = body + "-"
    elif negative:
        body = negative + body
    if mark and where == "before":
        body = mark + space + body
    value = Decimal(f"{integer}.{fraction or '0'}").scaleb(power)
    sign = -1 if negative in ("-", "\u2212", "()", "（）", "trailing") else 1
    return body, decimal, float(sign * value)


@settings(max_examples=400, deadline=None)
@given(st.lists(written_numbers(), min_size=1, max_size=30))
def test_every_written_form_is_the_number_it_was_built_from(cases: list[tuple[str, str, float]]) -> None:
    for decimal in (".", ","):
        mine = [(text, value) for text, sep, value in cases if sep == decimal]
        if not mine:
            continue
        got = read_numbers(pd.Series([t for t, _ in mine], dtype=TEXT), decimal=decimal).numbers.tolist()
        for (text, value), number in zip(mine, got, strict=True):
            assert number == value, (text, decimal, number, value)


@pytest.mark.parametrize("text", [
    "¥12$", "(12", "12)", "(-12)", "-(12)", "--12", "1,23,4", "1,2345.00", "12abc", "100k", "五十万", "1.2.3.", "12 %%",
    "$", "万", "¥¥12", "12-3", "1e5元", "0x10", "12/3", "US$ 4.5 USD", "ABC 12",
])
def test_not_a_number(text: str) -> None:
    assert np.isnan(read_numbers(pd.Series([text, "1,200.50"], dtype=TEXT)).numbers.iloc[0])


def test_the_column_decides_the_decimal_separator() -> None:
    us = read_numbers(pd.Series(["1,200.50", "1,200", "3,000,000", "1.200", "12,5"], dtype=TEXT))
    assert us.decimal == "." and us.numbers.tolist()[:4] == [1200.5, 1200.0, 3000000.0, 1.2] and np.isnan(us.numbers.iloc[4])
    eu = read_numbers(pd.Series(["1.200,50", "1.200", "12,5", "3.000.000", "1,200", "0,75 €", "12.5"], dtype=TEXT))
    assert eu.decimal == ","
    assert eu.numbers.tolist() == [1200.5, 1200.0, 12.5, 3000000.0, 1.2, 0.75, 12.5]  # 12.5: a number cell, read as such
    # Counted by distinct values: one European value written five times does not outweigh two others.
    tie = read_numbers(pd.Series(["1.200,50"] * 5 + ["1,200.50", "3,000.25"], dtype=TEXT))
    assert tie.decimal == "." and np.isnan(tie.numbers.iloc[0]) and tie.numbers.iloc[-1] == 3000.25
    assert read_numbers(pd.Series(["1,200"], dtype=TEXT)).decimal == "."  # nothing tells: a decimal point
    assert read_numbers(pd.Series(["1.200", "7"], dtype=TEXT), decimal=",").numbers.tolist() == [1200.0, 7.0]


def test_what_counts_as_written_and_the_marks() -> None:
    r = read_numbers(pd.Series(["12.5", "¥12.5", "12.5元", "(3)", "1e5", None, "x", "15%", "USD 30"], dtype=TEXT))
    assert r.written.tolist() == [False, True, True, True, False, False, False, True, True]
    assert [None if pd.isna(m) else m for m in r.marks] == [None, "¥", "元", None, None, None, None, None, "USD"]
    assert r.numbers.tolist()[:5] == [12.5, 12.5, 12.5, -3.0, 100000.0] and r.numbers.iloc[7] == 0.15


def test_currencies_of_marks() -> None:
    assert currencies_of("¥") == ("CNY", "JPY") and "HKD" in currencies_of("$") and currencies_of("US$") == ("USD",)
    assert currencies_of("eur") == ("EUR",) and currencies_of("RMB") == ("CNY",) and currencies_of("ABC") == ()


def test_many_values_few_shapes_stay_vectorised() -> None:
    rng = np.random.default_rng(4)
    amounts = rng.uniform(0, 1e6, 50_000).round(2)
    text = pd.Series([f"¥{a:,.2f}" for a in amounts], dtype=TEXT)
    assert np.allclose(read_numbers(text).numbers.to_numpy(), amounts, rtol=0, atol=0)
