"""Dates in every common written form (checks/dates.py): each form is the date it was built from,
a column decides its day/month order from its values and its file's language, and the calendar is
the real one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataquality.checks.dates import DateOrder, calendar
from dataquality.checks.values import header_language, read_dates
from dataquality.load.table import TEXT

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
TIMES = [("", (0, 0, 0)), (" 10:30", (10, 30, 0)), ("T10:30:00Z", (10, 30, 0)), ("T23:59:59+08:00", (23, 59, 59)),
         (" 10:30:00.123", (10, 30, 0)), (" 3:05 PM", (15, 5, 0)), (" 12:00 am", (0, 0, 0)), ("T08:00:00-05:00", (8, 0, 0))]


def _year(y: int, short: bool) -> str:
    return f"{y % 100:02d}" if short else f"{y:04d}"


@st.composite
def written_dates(draw: st.DrawFn) -> tuple[str, str, dt.datetime]:
    """(text, the column's order, the date and time it was built from)."""
    day = draw(st.dates(dt.date(1930, 1, 1), dt.date(2029, 12, 31)))
    y, m, d = day.year, day.month, day.day
    form = draw(st.sampled_from(["iso", "cjk", "compact", "dmy", "mdy", "day_name", "name_day", "year_name"]))
    short = draw(st.booleans()) and form in ("cjk", "dmy", "mdy", "day_name")
    pad = draw(st.booleans())
    mm, dd = (f"{m:02d}", f"{d:02d}") if pad else (str(m), str(d))
    sep = draw(st.sampled_from("-/."))
    name = MONTHS[m - 1] if draw(st.booleans()) else MONTHS[m - 1][:3] + draw(st.sampled_from(["", "."]))
    name = draw(st.sampled_from([name, name.upper(), name.lower()]))
    text = {
        "iso": f"{y:04d}{sep}{mm}{sep}{dd}",
        "cjk": f"{_year(y, short)}年{m}月{d}{draw(st.sampled_from(['日', '号', '']))}",
        "compact": f"{y:04d}{m:02d}{d:02d}",
        "dmy": f"{dd}{sep}{mm}{sep}{_year(y, short)}",
        "mdy": f"{mm}{sep}{dd}{sep}{_year(y, short)}",
        "day_name": f"{d}{draw(st.sampled_from(['-', ' ', '/']))}{name}{draw(st.sampled_from(['-', ' ', ', ']))}{_year(y, short)}",
        "name_day": f"{draw(st.sampled_from(['', 'Tuesday, ']))}{name} {d}{draw(st.sampled_from(['', 'th']))}, {y}",
        "year_name": f"{y}-{name.rstrip('.')}-{dd}",
    }[form]
    clock, (hh, mi, ss) = ("", (0, 0, 0)) if form == "compact" else draw(st.sampled_from(TIMES))
    order = form if form in ("dmy", "mdy") else draw(st.sampled_from(["dmy", "mdy"]))
    return text + clock, order, dt.datetime(y, m, d, hh, mi, ss)


@settings(max_examples=400, deadline=None)
@given(st.lists(written_dates(), min_size=1, max_size=30))
def test_every_written_form_is_the_date_it_was_built_from(cases: list[tuple[str, str, dt.datetime]]) -> None:
    for order in ("dmy", "mdy"):
        mine = [(text, when) for text, o, when in cases if o == order]
        if not mine:
            continue
        got = read_dates(pd.Series([t for t, _ in mine], dtype=TEXT), order=DateOrder(order)).dates
        for (text, when), found in zip(mine, got, strict=True):
            assert found == pd.Timestamp(when), (text, order, found)


@pytest.mark.parametrize("text", [
    "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "31/02/2024", "13/13/2024", "2024-03-05 24:00", "2024-03-05 10:60",
    "去年春天", "March 32, 2024", "Smarch 5, 2024", "2024年13月1日", "99999999", "0", "-3", "2958465", "2024-03", "3/5",
    "13:00 PM 2024-03-05", "2024-03-05 13:00 PM",
])
def test_not_a_date(text: str) -> None:
    assert pd.isna(read_dates(pd.Series([text], dtype=TEXT)).dates.iloc[0])


def test_excel_serials_and_extreme_years() -> None:
    got = read_dates(pd.Series(["45356", "45356.75", "1", "99999", "9999-12-31", "0001-01-01", "1899-12-31 10:30:00", "123456"],
                               dtype=TEXT)).dates
    assert [str(d) for d in got] == ["2024-03-05 00:00:00", "2024-03-05 00:00:00", "1899-12-31 00:00:00", "2173-10-13 00:00:00",
                                     "9999-12-31 00:00:00", "0001-01-01 00:00:00", "1899-12-31 10:30:00", "NaT"]


def test_two_digit_years_as_excel_reads_them() -> None:
    got = read_dates(pd.Series(["3/5/00", "3/5/29", "3/5/30", "3/5/99", "05-Mar-24", "24年3月5日"], dtype=TEXT), "en").dates
    assert [d.year for d in got] == [2000, 2029, 1930, 1999, 2024, 2024]


def _order(values: list[str], language: str | None = None) -> DateOrder:
    return read_dates(pd.Series(values, dtype=TEXT), language).order


def test_the_column_decides_the_order_from_its_values() -> None:
    day_first = _order(["05/03/2024", "25/03/2024", "07/08/2024"], "en")
    assert (day_first.order, day_first.by, day_first.day_first, day_first.undecided) == ("dmy", "values", 1, 2)
    assert day_first.day_first_example == "25/03/2024" and day_first.undecided_example == "05/03/2024"
    month_first = _order(["05/03/2024", "03/25/2024"], "zh")
    assert (month_first.order, month_first.by) == ("mdy", "values")
    dates = read_dates(pd.Series(["05/03/2024", "25/03/2024"], dtype=TEXT)).dates
    assert [str(d.date()) for d in dates] == ["2024-03-05", "2024-03-25"]


def test_when_values_cannot_tell_the_language_does() -> None:
    assert (_order(["05/03/2024", "07/08/2024"], "en").order, _order(["05/03/2024", "07/08/2024"], "en").by) == ("mdy", "language")
    assumed = _order(["05/03/2024", "07/08/2024"], "zh")
    assert (assumed.order, assumed.by, assumed.undecided) == ("mdy", "assumed", 2)
    assert _order(["05/03/2024"], None).by == "assumed"
    # Same day and month either way, a real-date-only proof, or no d/m/y date at all: nothing to decide.
    assert _order(["05/05/2024", "2024-03-05"], "zh").by == "none"
    assert _order(["31/02/2024", "05/03/2024"], "en").by == "language"  # 31/02 is no date: it proves nothing


def test_values_proving_both_orders_are_mixed_and_the_majority_reads_the_rest() -> None:
    mixed = _order(["25/03/2024", "26/03/2024", "03/27/2024", "05/04/2024"], "en")
    assert (mixed.order, mixed.by, mixed.day_first, mixed.month_first) == ("dmy", "mixed", 2, 1)
    dates = read_dates(pd.Series(["25/03/2024", "26/03/2024", "03/27/2024", "05/04/2024"], dtype=TEXT), "en").dates
    assert [str(d.date()) for d in dates] == ["2024-03-25", "2024-03-26", "2024-03-27", "2024-04-05"]


def test_the_order_is_decided_on_distinct_values() -> None:
    # Repeating a value does not change the decision (the Ibis engine sees each value once).
    assert _order(["03/25/2024"] * 9 + ["25/03/2024", "26/03/2024"], "en").order == "dmy"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 10003), st.integers(-1, 14), st.integers(-1, 33)), min_size=1, max_size=50))
def test_calendar_is_the_real_one(days: list[tuple[int, int, int]]) -> None:
    y, m, d = (np.array(v, dtype=np.int64) for v in zip(*days, strict=True))
    got = calendar(y, m, d, np.full(len(y), 3661, dtype=np.int64), np.ones(len(y), dtype=bool))
    for (yy, mm, dday), found in zip(days, got, strict=True):
        try:
            want = np.datetime64(dt.datetime(yy, mm, dday, 1, 1, 1), "s")
        except ValueError:
            assert np.isnat(found), (yy, mm, dday)
        else:
            assert found == want, (yy, mm, dday)


@pytest.mark.parametrize(("headers", "language"), [
    (["客户编码", "客户名称", "创建日期"], "zh"), (["Customer code", "Name", "Created"], "en"),
    (["客户编码", "Name", "Created"], "en"), (["客户编码", "Name"], None), ([], None), (["123", "#"], None),
])
def test_header_language(headers: list[str], language: str | None) -> None:
    assert header_language(headers) == language
