"""Dates in every common written form, and the day/month order of a column.

`values.parse_date` hands over a column's cells (NFKC, trimmed); each form below is one RE2
pattern run by pyarrow over the cells not read yet (the first, ISO year-first, reads nearly every
cell of a master), and the year, month, day and time found are checked against the calendar in
numpy. Nothing runs Python per cell.

05/03/2024 is 5 March in Europe and 3 May in the United States. The order is decided per column,
from its own values: a value whose first part is above 12 (25/03/2024) can only be day-first, one
whose second part is (03/25/2024) only month-first. Where no value tells, the file's language
does: an English file is month-first, as Excel writes dates there; a Chinese file writes dates
year-first, so a column of such dates there is read month-first and said once (TYP009), as is a
column whose values prove both orders (TYP008). A value that can be read only one way is read
that way whatever the column decided; the decision matters for the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NAME = ("(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
         "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))\\.?")
_WEEKDAY = "(?:(?i:mon|tue|wed|thu|fri|sat|sun)[A-Za-z]*\\.?,? ?)?"
_ORDINAL = "(?i:st|nd|rd|th)?"
# A time after the date (T or a space), seconds and a fraction optional, AM/PM, and a zone that is
# left out: a date field keeps the day as written, wherever it was written.
_TIME = ("(?:[T ]?(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,][0-9]+)?)? ?(?P<ampm>(?i:[ap]\\.?m\\.?))?"
         "(?: ?(?:Z|(?i:UTC|GMT)?[+-][0-9]{2}(?::?[0-9]{2})?|(?i:UTC|GMT)))?)?$")
_YEAR = "(?P<y>[0-9]{4}|[0-9]{2})"

# (name, pattern of the date): tried in this order on the cells still unread, first alone, then
# followed by a time. 'numeric' is the one form whose order a column decides (groups a, b: day and
# month in one order or the other).
FORMS = (
    ("iso", "^(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})"),
    ("cjk", f"^{_YEAR}年(?P<m>[0-9]{{1,2}})月(?P<d>[0-9]{{1,2}})[日号]?"),
    ("compact", "^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
    ("numeric", f"^(?P<a>[0-9]{{1,2}})[-/.](?P<b>[0-9]{{1,2}})[-/.]{_YEAR}"),
    ("day_name", f"^{_WEEKDAY}(?P<d>[0-9]{{1,2}}){_ORDINAL}[-/ .]*{_NAME}[-/ .,]*{_YEAR}"),
    ("name_day", f"^{_WEEKDAY}{_NAME}[-/ ]*(?P<d>[0-9]{{1,2}}){_ORDINAL},?[-/ ,]*{_YEAR}"),
    ("year_name", f"^(?P<y>[0-9]{{4}})[-/ .]{_NAME}[-/ .](?P<d>[0-9]{{1,2}})"),
)
_UNTIMED = {"compact"}  # 20240305 takes no time after it
_PATTERNS = dict(FORMS)
_SERIAL = "^[0-9]{1,5}(?:\\.[0-9]+)?$"
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_LAST_SERIAL = 2958466  # 10000-01-01: Excel's last date is 9999-12-31


@dataclass(frozen=True)
class DateOrder:
    """How a column's d/m/y dates are read: `order` is 'dmy' or 'mdy'; `by` says what decided it
    ('values', 'language', 'mixed': values prove both, 'assumed': nothing told, 'none': no such date);
    the counts are of distinct values, with the first of each kind as an example."""

    order: str = "mdy"
    by: str = "none"
    day_first: int = 0
    month_first: int = 0
    undecided: int = 0
    day_first_example: str = ""
    month_first_example: str = ""
    undecided_example: str = ""


def _ints(parts: pa.StructArray, name: str, default: int = 0) -> np.ndarray:
    """A group of the match as integers (`default` where it is empty)."""
    text = pc.fill_null(parts.field(name), "")
    filled = pc.if_else(pc.equal(text, ""), str(default), text)
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _full_year(y: np.ndarray, written: pa.Array) -> np.ndarray:
    """Two-digit years as Excel reads them: 00-29 are 2000-2029, 30-99 are 1930-1999."""
    short = np.asarray(pc.equal(pc.utf8_length(pc.fill_null(written, "")), 2).to_numpy(zero_copy_only=False), dtype=bool)
    return np.where(short & (y < 30), y + 2000, np.where(short, y + 1900, y))


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def calendar(y: np.ndarray, m: np.ndarray, d: np.ndarray, seconds: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """datetime64[s] of each (year, month, day) + seconds of the day; NaT where `ok` is False or no
    such day exists (2024-02-30). Integer arithmetic only (days from the civil date, H. Hinnant's
    algorithm), so years 1 to 9999 all work."""
    ok = ok & (y >= 1) & (y <= 9999) & (m >= 1) & (m <= 12) & (d >= 1)
    month = np.where(ok, m, 1)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    ok &= d <= _MONTH_DAYS[month] + ((month == 2) & leap)
    yy = np.where(ok, y, 1970) - (month <= 2)
    era = yy // 400
    year_of_era = yy - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + np.where(ok, d, 1) - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468
    stamp = days * 86400 + np.where(ok, seconds, 0)
    stamp[~ok] = np.iinfo(np.int64).min  # NaT
    return stamp.view("datetime64[s]")


def _time(parts: pa.StructArray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(seconds of the day, ok) from the H, M, S and AM/PM groups."""
    hour, minute, second = _ints(parts, "H"), _ints(parts, "M"), _ints(parts, "S")
    ampm = pc.utf8_lower(pc.utf8_slice_codeunits(pc.fill_null(parts.field("ampm"), ""), 0, 1))
    am = np.asarray(pc.equal(ampm, "a").to_numpy(zero_copy_only=False), dtype=bool)
    pm = np.asarray(pc.equal(ampm, "p").to_numpy(zero_copy_only=False), dtype=bool)
    ok = ok & ~((am | pm) & ((hour < 1) | (hour > 12))) & (hour < 24) & (minute < 60) & (second < 60)
    hour = np.where(am & (hour == 12), 0, np.where(pm & (hour < 12), hour + 12, hour))
    return hour * 3600 + minute * 60 + second, ok


def _month(parts: pa.StructArray) -> np.ndarray:
    names = pc.utf8_lower(pc.utf8_slice_codeunits(pc.fill_null(parts.field("mon"), ""), 0, 3))
    index = pc.index_in(names, value_set=pa.array(_MONTHS, type=names.type))
    return np.asarray(pc.fill_null(index, -1).to_numpy(zero_copy_only=False), dtype=np.int64) + 1


def _read_form(form: str, text: pa.Array, order: str, timed: bool = False) -> np.ndarray:
    """datetime64[s] of each cell written in `form`, followed by a time when `timed` (NaT for the others)."""
    parts = pc.extract_regex(text, _PATTERNS[form] + (_TIME if timed else "$"))
    ok = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if not ok.any():
        return np.full(len(text), np.datetime64("NaT"), dtype="datetime64[s]")
    y = _full_year(_ints(parts, "y"), parts.field("y"))
    if form == "numeric":
        a, b = _ints(parts, "a"), _ints(parts, "b")
        # A value readable one way only is read that way; the column's order decides the others.
        day_first = (a > 12) | ((b <= 12) & (order == "dmy"))
        d, m = np.where(day_first, a, b), np.where(day_first, b, a)
    elif form in ("day_name", "name_day", "year_name"):
        d, m = _ints(parts, "d"), _month(parts)
    else:
        d, m = _ints(parts, "d"), _ints(parts, "m")
    seconds, ok = _time(parts, ok) if "H" in parts.type.names else (np.zeros(len(text), dtype=np.int64), ok)
    return calendar(y, m, d, seconds, ok)


def _serials(text: pa.Array) -> np.ndarray:
    """Excel's date numbers (days since 1899-12-30; the time of day is dropped)."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[s]")
    looks = np.asarray(pc.fill_null(pc.match_substring_regex(text, _SERIAL), False).to_numpy(zero_copy_only=False), dtype=bool)
    if looks.any():
        at = np.flatnonzero(looks)
        serial = np.asarray(pc.cast(text.take(pa.array(at)), pa.float64()).to_numpy(zero_copy_only=False))
        good = (serial >= 1) & (serial < _LAST_SERIAL)
        days = _EXCEL_EPOCH + np.floor(np.where(good, serial, 0)).astype("timedelta64[D]")
        out[at[good]] = days[good].astype("datetime64[s]")
    return out


_FIXED_ISO = "^[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2})?$"
# Where the digits of 2024-03-05 10:30:00 are: year, month, day, hour, minute, second.
_FIXED_PARTS = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))


def _fixed_iso(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(dates, which cells were read) for the cells written exactly 2024-03-05 or 2024-03-05 10:30:00,
    as the loader writes a date cell (nearly every cell of a date column): their digits are read
    straight from the Arrow buffer by position."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[s]")
    fixed = np.asarray(pc.fill_null(pc.match_substring_regex(text, _FIXED_ISO), False).to_numpy(zero_copy_only=False), dtype=bool)
    if not fixed.any():
        return out, fixed
    if text.offset:
        text = pa.concat_arrays([pa.array([], type=text.type), text])
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[: len(text) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    at = np.flatnonzero(fixed)
    starts = offsets[at]
    timed = (offsets[at + 1] - starts) == 19

    def number(first: int, last: int, rows: np.ndarray) -> np.ndarray:
        value = np.zeros(len(rows), dtype=np.int64)
        for k in range(first, last):
            value = value * 10 + (data[rows + k].astype(np.int64) - 0x30)
        return value

    y, m, d = (number(a, b, starts) for a, b in _FIXED_PARTS[:3])
    seconds = np.zeros(len(at), dtype=np.int64)
    ok = np.ones(len(at), dtype=bool)
    if timed.any():
        hour, minute, second = (number(a, b, starts[timed]) for a, b in _FIXED_PARTS[3:])
        seconds[timed] = hour * 3600 + minute * 60 + second
        ok[timed] = (hour < 24) & (minute < 60) & (second < 60)
    out[at] = calendar(y, m, d, seconds, ok)
    return out, fixed


def read_column(text: pa.Array, language: str | None, order: DateOrder | None = None) -> tuple[np.ndarray, DateOrder]:
    """(datetime64[s] of every cell of `text` (NFKC, trimmed), NaT where it is no date; the order of
    its d/m/y dates, decided from the column's values and `language` unless `order` is given)."""
    out, done = _fixed_iso(text)
    todo = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool) & ~done
    if not todo.any():
        return out, order or DateOrder()
    at = np.flatnonzero(todo)
    rest = text.take(pa.array(at))
    order = order or date_order(rest, language)
    out[at] = read_dates(rest, order.order)
    return out, order


def read_dates(text: pa.Array, order: str) -> np.ndarray:
    """datetime64[s] of every cell of `text` (NFKC, trimmed), NaT where it is no date; `order`
    ('dmy' or 'mdy') reads the d/m/y values that could be either."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[s]")
    todo = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    for form, timed in ((f, t) for f, _ in FORMS for t in (False, True) if not (t and f in _UNTIMED)):
        if not todo.any():
            return out
        at = np.flatnonzero(todo)
        found = _read_form(form, text.take(pa.array(at)) if len(at) < len(text) else text, order, timed)
        out[at] = np.where(np.isnat(found), out[at], found)
        todo[at[~np.isnat(found)]] = False
    if todo.any():
        at = np.flatnonzero(todo)
        found = _serials(text.take(pa.array(at)))
        out[at] = found
    return out


def date_order(text: pa.Array, language: str | None) -> DateOrder:
    """The column's reading of its d/m/y dates, from its distinct values and the file's language."""
    distinct = pc.unique(pc.drop_null(text))
    parts = pc.extract_regex(distinct, _PATTERNS["numeric"] + _TIME)
    valid = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if not valid.any():
        return DateOrder()
    at = np.flatnonzero(valid)
    parts = parts.take(pa.array(at))
    values = distinct.take(pa.array(at))
    a, b = _ints(parts, "a"), _ints(parts, "b")
    y = _full_year(_ints(parts, "y"), parts.field("y"))
    zero, yes = np.zeros(len(a), dtype=np.int64), np.ones(len(a), dtype=bool)
    # A value proves an order only if it is a real date that way (31/02/2024 proves nothing).
    as_dmy = ~np.isnat(calendar(y, b, a, zero, yes))
    as_mdy = ~np.isnat(calendar(y, a, b, zero, yes))
    kinds = {"dmy": (a > 12) & as_dmy, "mdy": (b > 12) & as_mdy, "undecided": (a <= 12) & (b <= 12) & (a != b) & as_dmy & as_mdy}
    counts = {k: int(v.sum()) for k, v in kinds.items()}
    # The first value of each kind in sorted order: the same example whatever order the values came in.
    examples = {k: (min(values.filter(pa.array(v)).to_pylist()) if v.any() else "") for k, v in kinds.items()}
    if counts["dmy"] and counts["mdy"]:
        order = "dmy" if counts["dmy"] > counts["mdy"] else "mdy"
        by = "mixed"
    elif counts["dmy"] or counts["mdy"]:
        order, by = ("dmy" if counts["dmy"] else "mdy"), "values"
    elif counts["undecided"]:
        order, by = "mdy", ("language" if language == "en" else "assumed")
    else:
        order, by = "mdy", "none"
    return DateOrder(order, by, counts["dmy"], counts["mdy"], counts["undecided"],
                     examples["dmy"], examples["mdy"], examples["undecided"])
