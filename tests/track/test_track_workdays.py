"""Working days on the Chinese calendar, its make-up days, company dates, and years it does not cover."""

from __future__ import annotations

import datetime as dt

import pytest

from dataquality.track.workdays import CalendarError, WorkCalendar, covered_years

D = dt.date


def test_public_holidays_and_make_up_days() -> None:
    cal = WorkCalendar()
    assert covered_years()[1] >= 2026
    assert not cal.is_workday(D(2026, 10, 1))  # National Day
    assert cal.is_workday(D(2026, 9, 20))  # a Sunday worked in lieu
    assert cal.is_workday(D(2026, 10, 10))  # a Saturday worked in lieu
    assert not cal.is_workday(D(2026, 9, 26))  # an ordinary Saturday
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert cal.workdays_between(D(2026, 9, 18), D(2026, 9, 18)) == 0
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 9, 30), 0) == D(2026, 9, 30)


def test_company_dates_override_the_public_calendar() -> None:
    cal = WorkCalendar(holidays=[D(2026, 11, 24)], workdays=[D(2026, 11, 28)])
    assert not cal.is_workday(D(2026, 11, 24))
    assert cal.is_workday(D(2026, 11, 28))
    assert cal.workdays_between(D(2026, 11, 23), D(2026, 11, 28)) == 4


def test_year_outside_the_calendar_falls_back_to_weekdays_and_says_so() -> None:
    year = covered_years()[1] + 1
    cal = WorkCalendar()
    first_monday = next(D(year, 3, d) for d in range(1, 8) if D(year, 3, d).weekday() == 0)
    assert cal.workdays_between(first_monday, first_monday + dt.timedelta(days=7)) == 5
    assert cal.fallback_note() == [year]
    # The holidays on fixed dates are known before the year's arrangement is announced.
    assert all(not cal.is_workday(D(year, m, d)) for m, d in [(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)])
    # Declaring that year's dates in dq.yaml means the project vouches for it: no warning.
    declared = WorkCalendar(holidays=[D(year, 1, 1)])
    assert not declared.is_workday(D(year, 1, 1))
    declared.is_workday(first_monday)
    assert declared.fallback_note() == []


def test_year_outside_the_calendar_can_be_refused() -> None:
    year = covered_years()[1] + 1
    with pytest.raises(CalendarError) as err:
        WorkCalendar(outside_range="error").is_workday(D(year, 1, 5))
    assert f"{year}-01-05" in err.value.message("en") and "chinese-calendar" in err.value.message("zh")
