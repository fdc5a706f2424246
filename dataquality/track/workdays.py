"""Working days on the Chinese public-holiday calendar, with its make-up working days (调休).

The calendar comes from the `chinese-calendar` package, which covers the years the State Council
has announced. A project can add dates of its own (company holidays, or a year the installed
package does not know yet) in dq.yaml under `calendar:`. For a year the package does not cover,
`outside_range: weekdays` counts Monday to Friday less the fixed-date statutory holidays and records the year in `fallback_years`
(so `dq check` can warn), and `outside_range: error` refuses with a clear message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import chinese_calendar

from dataquality.errors import ConfigError

OUTSIDE_RANGE = ("weekdays", "error")
# The statutory holidays on fixed solar dates (全国年节及纪念日放假办法, 2025 revision): New Year's
# Day, Labour Day (two days) and National Day (three). Before a year's arrangement is announced,
# these are certain; the lunar holidays and the make-up working days are not.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


class CalendarError(ConfigError):
    """A date outside the holiday calendar's range when the project asked for no fallback."""


def covered_years() -> tuple[int, int]:
    """The first and last year the installed chinese-calendar package has data for."""
    years = [d.year for d in chinese_calendar.constants.holidays]
    return min(years), max(years)


class WorkCalendar:
    """Answers 'is this a working day', ages in working days and due dates."""

    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = (),
                 outside_range: str = "weekdays") -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.outside_range = outside_range
        self.fallback_years: set[int] = set()
        self._declared_years = {d.year for d in self.holidays | self.workdays}
        self.is_workday = lru_cache(maxsize=8192)(self._is_workday)  # type: ignore[method-assign]
        # Thousands of issues share a handful of opening days: count each span once per run.
        self.workdays_between = lru_cache(maxsize=4096)(self._workdays_between)  # type: ignore[method-assign]
        self.add_workdays = lru_cache(maxsize=4096)(self._add_workdays)  # type: ignore[method-assign]

    def _is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            first, last = covered_years()
            if self.outside_range == "error":
                raise CalendarError("track.calendar_out_of_range", day=day.isoformat(), first=first, last=last) from None
            if day.year not in self._declared_years:
                self.fallback_years.add(day.year)
            return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS

    def _workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count = 0
        day = start + dt.timedelta(days=1)
        while day <= end:
            count += self.is_workday(day)
            day += dt.timedelta(days=1)
        return count

    def _add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (`start` itself when n is 0)."""
        day = start
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def fallback_note(self) -> list[int]:
        """The years counted Monday to Friday because no holiday data was available."""
        return sorted(self.fallback_years)
