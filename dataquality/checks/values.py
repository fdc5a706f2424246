"""Vectorised cleaning and parsing of cell text, computed once per column and shared by every rule.

The same functions serve `dq validate` (to find untidy cells) and `dq fix` (to correct them),
so a fix can never disagree with the finding that proposed it.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from dataquality.config import Config, EntitySchema, FieldSpec, ReferenceList
from dataquality.load.columns import REPEAT, base_field
from dataquality.load.table import TEXT, Table

# Patterns are written with the characters themselves (not \s or \u escapes) so pandas can hand
# them to pyarrow's RE2 instead of calling Python's re once per cell: 3-4x faster on a big sheet.
# _SPACE holds exactly the characters Python's \s matches.
_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_ZERO_WIDTH = "[\u200b-\u200d\u2060\ufeff]"
_SPACES = f"[{_SPACE}]+"
SPACE_RUNS = _SPACES  # a run of whitespace (what Python's \s matches), in a form RE2 runs
_DOUBLE_SPACES = f"[{_SPACE}]{{2,}}"
# ASCII and the CJK unified ideographs are unchanged by NFKC and by case-folding beyond lower():
# only cells with other characters need Python's unicodedata (pyarrow has no composing NFKC).
_NEEDS_UNICODE = "[^\x00-\x7f\u4e00-\u9fff]"
# sub() asks whether a replacement pattern matches; pandas warns that its groups are unused (they
# are for the replacement). Filtered once here: warnings.catch_warnings is not thread-safe.
warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression, and has match groups",
                        category=UserWarning)

_T = TypeVar("_T")


class cached(Generic[_T]):  # noqa: N801 - a decorator, named like functools.cached_property
    """functools.cached_property with a lock per value instead of one per property and class
    (Python 3.11's, with which two threads computing `clean` of two different columns wait for
    each other). A second thread asking for a value being computed waits for it rather than
    computing it again: the rule threads ask for the same keys and columns at once."""

    def __init__(self, fn: Callable[[Any], _T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> _T:
        if obj is None:
            return self  # type: ignore[return-value]
        values = obj.__dict__
        found = values.get(self.name, _MISSING)
        if found is not _MISSING:
            return found
        with _LOCKS_LOCK:
            lock = values.setdefault(_LOCKS, {}).setdefault(self.name, threading.RLock())
        with lock:
            found = values.get(self.name, _MISSING)
            if found is _MISSING:
                found = values[self.name] = self.fn(obj)
        return found


_MISSING = object()
_LOCKS = "_cached_locks"  # per object: value name -> the lock of its computation
_LOCKS_LOCK = threading.Lock()


def matches(s: pd.Series, pattern: str, *, full: bool = False) -> np.ndarray:
    r"""Where RE2 `pattern` matches in each cell of text column `s` (the whole cell with `full`);
    False where the cell is empty.

    pyarrow's RE2, called directly: pandas' str.contains parses the pattern with Python's re on
    every call, scans the whole column for line breaks when it ends in `$` (and for non-ASCII
    text when it uses \d, \w or \s), and then runs Python's re cell by cell. The patterns of dq
    are written for RE2 (tests check them against Python's where both are used)."""
    import pyarrow.compute as pc

    text = (s.array if s.dtype == TEXT else s.astype(TEXT).array).__arrow_array__()
    found = pc.match_substring_regex(text, f"^(?:{pattern})$" if full else pattern)
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def _unusual(s: pd.Series) -> pd.Series:
    return pd.Series(matches(s, _NEEDS_UNICODE), index=s.index)


# Code points whose NFKC differs between pyarrow's Unicode tables (newer) and this Python's:
# values holding one are normalised by Python (tests/checks/test_nfkc.py recomputes the list).
NFKC_DIFFERS = (
    (0x0558, 0x0558), (0x058B, 0x058C), (0x209D, 0x209F), (0xA7F1, 0xA7F1), (0x107BB, 0x107BF),
    (0x1B123, 0x1B126), (0x1CCD6, 0x1CCF9), (0x1D6A6, 0x1D6A6), (0x1DF95, 0x1DF95), (0x1DFCD, 0x1DFFF),
    (0x1E030, 0x1E06D),
)
_NFKC_BY_PYTHON = "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in NFKC_DIFFERS) + "]"


def nfkc_arrow(text: Any) -> Any:
    """NFKC of a pyarrow string array as Python's unicodedata gives it: pyarrow's kernel, and
    Python for the rare values holding a character the two Unicode versions disagree on."""
    import pyarrow as pa
    import pyarrow.compute as pc

    normal = pc.utf8_normalize(text, "NFKC")
    odd = pc.fill_null(pc.match_substring_regex(text, _NFKC_BY_PYTHON), False)
    if pc.any(odd).as_py():
        import unicodedata

        fixed = [None if v is None else unicodedata.normalize("NFKC", v) for v in pc.filter(text, odd).to_pylist()]
        normal = pc.replace_with_mask(normal, odd, pa.array(fixed, type=normal.type))
    return normal


def nfkc(s: pd.Series) -> pd.Series:
    """Full-width and compatibility characters to their plain form (１２３ -> 123, Ａ -> A)."""
    unusual = _unusual(s)
    if not unusual.any():
        return s
    import pyarrow as pa

    part = s[unusual]
    text = pa.array(part.astype(TEXT).array, type=pa.large_string())
    normal = nfkc_arrow(text).to_pandas(types_mapper={pa.large_string(): TEXT}.get)
    out = s.copy()
    out[unusual] = normal.array if s.dtype == TEXT else normal.to_numpy(dtype=object)
    return out


def casefold(s: pd.Series) -> pd.Series:
    """Case-folded text (str.casefold), using pyarrow's lower() where that is the same thing."""
    unusual = _unusual(s)
    out = s.str.lower()
    if unusual.any():
        out[unusual] = s[unusual].str.casefold()
    return out


def is_in(s: pd.Series, values: pd.Series) -> pd.Series:
    """`s.isin(values)` for text, in pyarrow (pandas' own isin walks the values in Python); NA is never in."""
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = pa.array(pd.unique(values.dropna().astype(TEXT)), type=pa.large_string())
    cells = pa.array(s.astype(TEXT), type=pa.large_string(), from_pandas=True)
    found = pc.is_in(cells, value_set=value_set, skip_nulls=True).fill_null(False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=s.index, dtype=bool)


def sub(s: pd.Series, pattern: str, repl: str) -> pd.Series:
    """`s.str.replace(pattern, repl, regex=True)`, rewriting only the cells the pattern matches.

    Finding a match is several times cheaper than replacing (pyarrow's RE2 either way), and most
    cells of a master have no stray spaces or separators, so most columns are never rewritten.
    """
    hit = matches(s, pattern)
    if not hit.any():
        return s
    if hit.all():
        return s.str.replace(pattern, repl, regex=True)
    out = s.copy()
    out[hit] = s[hit].str.replace(pattern, repl, regex=True).array  # positional: no index alignment
    return out


def tidy_whitespace(s: pd.Series, steps: tuple[str, ...]) -> pd.Series:
    """Apply the whitespace steps of a field's `clean` list (trim, collapse_spaces, remove_spaces)."""
    s = sub(s, _ZERO_WIDTH, "")
    if "remove_spaces" in steps:
        return sub(s, _SPACES, "")
    if "trim" in steps:
        s = s.str.strip()
    if "collapse_spaces" in steps:
        s = sub(s, _DOUBLE_SPACES, " ")
    return s


# Cells compare_text could change: beyond ASCII and CJK (NFKC, Unicode spaces), ASCII whitespace
# other than a single inner space.
_UNTIDY_TEXT = f"{_NEEDS_UNICODE}|[\t\n\x0b\x0c\r\x1c-\x1f]|  |^ | $"


def _compare_text_all(s: pd.Series) -> pd.Series:
    return sub(nfkc(s), SPACE_RUNS, " ").str.strip()


def compare_text(s: pd.Series) -> pd.Series:
    """Text compared as a person reads it: NFKC (full-width -> half-width), whitespace runs as one
    space, trimmed. One pass finds the cells that could change; only those are rewritten."""
    s = s.astype(TEXT)
    hit = matches(s, _UNTIDY_TEXT)
    if not hit.any():
        return s
    if hit.mean() > 0.5:
        return _compare_text_all(s)
    return _splice(s, hit, _compare_text_all(s[hit]))


def _untidy_pattern(steps: tuple[str, ...]) -> str:
    """One RE2 pattern matching every cell that NFKC or the whitespace steps could change."""
    parts = [_NEEDS_UNICODE if "nfkc" in steps else _ZERO_WIDTH]
    if "remove_spaces" in steps:
        parts.append(f"[{_SPACE}]")
    else:
        if "trim" in steps:
            parts += [f"^[{_SPACE}]", f"[{_SPACE}]$"]
        if "collapse_spaces" in steps:
            parts.append(_DOUBLE_SPACES)
    return "|".join(parts)


def _tidy(raw: pd.Series, steps: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    stage_nfkc = nfkc(raw) if "nfkc" in steps else raw
    return stage_nfkc, tidy_whitespace(stage_nfkc, steps)


def untidy_cells(raw: pd.Series, steps: tuple[str, ...]) -> np.ndarray:
    """Where NFKC or the whitespace steps of `steps` could change a cell (one RE2 pass); every
    other cell is its own value after those steps."""
    return matches(raw, _untidy_pattern(steps))


def clean_stages(raw: pd.Series, steps: tuple[str, ...], hit: np.ndarray | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(after NFKC, after whitespace, final clean value) for a field's `clean` steps.

    One pass finds the cells NFKC or the whitespace steps could change (most cells of a master
    need neither; `hit`, when given, is that pass's answer); only those go through the steps,
    the rest are their own clean value."""
    if hit is None:
        hit = untidy_cells(raw, steps)
    if not hit.any():
        stage_nfkc = stage_ws = raw
    elif hit.mean() > 0.5:
        stage_nfkc, stage_ws = _tidy(raw, steps)
    else:
        part_nfkc, part_ws = _tidy(raw[hit], steps)
        stage_nfkc, stage_ws = _splice(raw, hit, part_nfkc), _splice(raw, hit, part_ws)
    final = stage_ws.str.upper() if "upper" in steps else stage_ws
    return stage_nfkc, stage_ws, final


def _splice(whole: pd.Series, hit: np.ndarray, part: pd.Series) -> pd.Series:
    """`whole` with the cells at `hit` replaced by `part` (positional), the column's dtype kept."""
    if part is whole or part.equals(whole[hit]):
        return whole
    out = whole.copy()
    out[hit] = part.array
    return out


# The characters str.casefold maps differently from a per-character lower() (ß, final sigma, Greek
# with iota, Cherokee, ligatures, İ), or from pyarrow's utf8_lower (letters of scripts newer than
# this Python's Unicode tables, such as Garay): values holding one are case-folded by Python in
# match_key. tests/checks/test_match_key.py recomputes the set here and checks it is covered.
CASEFOLD_RANGES = (
    (0x00B5, 0x00B5), (0x00DF, 0x00DF), (0x0130, 0x0130), (0x0149, 0x0149), (0x017F, 0x017F), (0x01F0, 0x01F0),
    (0x0345, 0x0345), (0x0390, 0x0390), (0x03B0, 0x03B0), (0x03C2, 0x03C2), (0x03D0, 0x03D1), (0x03D5, 0x03D6),
    (0x03F0, 0x03F1), (0x03F5, 0x03F5), (0x0587, 0x0587), (0x13A0, 0x13F5), (0x13F8, 0x13FD), (0x1C80, 0x1C89),
    (0x1E96, 0x1E9B), (0x1E9E, 0x1E9E), (0x1F50, 0x1F50), (0x1F52, 0x1F52), (0x1F54, 0x1F54), (0x1F56, 0x1F56),
    (0x1F80, 0x1FAF), (0x1FB2, 0x1FB4), (0x1FB6, 0x1FB7), (0x1FBC, 0x1FBC), (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4),
    (0x1FC6, 0x1FC7), (0x1FCC, 0x1FCC), (0x1FD2, 0x1FD3), (0x1FD6, 0x1FD7), (0x1FE2, 0x1FE4), (0x1FE6, 0x1FE7),
    (0x1FF2, 0x1FF4), (0x1FF6, 0x1FF7), (0x1FFC, 0x1FFC), (0xA7CB, 0xA7CC), (0xA7CE, 0xA7CE), (0xA7D2, 0xA7D2),
    (0xA7D4, 0xA7D4), (0xA7DA, 0xA7DA), (0xA7DC, 0xA7DD), (0xA7E2, 0xA7E2), (0xAB6C, 0xAB6D), (0xAB70, 0xABBF),
    (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0x10D50, 0x10D65), (0x16EA0, 0x16EB8), (0x1DF40, 0x1DF40),
    (0x1DF48, 0x1DF48), (0x1DF4A, 0x1DF4A), (0x1DF4D, 0x1DF4D), (0x1DF51, 0x1DF51), (0x1DF68, 0x1DF68),
    (0x1DF6A, 0x1DF6A), (0x1DF6C, 0x1DF6C), (0x1DF6E, 0x1DF6E), (0x1DF72, 0x1DF72), (0x1DF74, 0x1DF74),
    (0x1DF76, 0x1DF76), (0x1DF78, 0x1DF78), (0x1DF7A, 0x1DF7A), (0x1DF7C, 0x1DF7C), (0x1DF7E, 0x1DF7E),
)
_FOLDS_DIFFERENTLY = "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in CASEFOLD_RANGES) + "]"


def match_key(s: pd.Series) -> pd.Series:
    """How enum values and reference names are matched: NFKC, case-folded, no whitespace.

    Computed in pyarrow (NFKC, lower case, spaces removed), on the distinct values when they
    repeat; only values holding a character that str.casefold maps differently from lower()
    (ß -> ss, final sigma, Cherokee) are case-folded by Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    codes, uniques = pd.factorize(s)
    per_distinct = len(uniques) * 2 < len(s)
    values = pd.Series(uniques, dtype=TEXT) if per_distinct else s.astype(TEXT)
    text = pa.array(values.array, type=pa.large_string())
    beyond_ascii = pc.fill_null(pc.match_substring_regex(text, _NEEDS_UNICODE), False)
    if pc.any(beyond_ascii).as_py():  # NFKC changes nothing in ASCII and the CJK ideographs
        text = pc.replace_with_mask(text, beyond_ascii, nfkc_arrow(text.filter(beyond_ascii)))
    keys = pc.utf8_lower(text)
    folds = pc.fill_null(pc.match_substring_regex(text, _FOLDS_DIFFERENTLY), False)
    if pc.any(folds).as_py():
        folded = pa.array([v.casefold() for v in text.filter(folds).to_pylist()], type=pa.large_string())
        keys = pc.replace_with_mask(keys, folds, folded)
    spaced = pc.fill_null(pc.match_substring_regex(keys, f"[{_SPACE}]"), False)
    if pc.any(spaced).as_py():
        keys = pc.replace_with_mask(keys, spaced, pc.replace_substring_regex(keys.filter(spaced), _SPACES, ""))
    if per_distinct:
        keys = keys.take(pa.array(codes, mask=codes < 0))
    return pd.Series(keys.to_pandas(types_mapper={pa.large_string(): TEXT}.get).array, index=s.index, dtype=TEXT)


def text_per_distinct(values: pd.Series, answer: Callable[[pd.Series], list[Any]]) -> pd.Series:
    """A text column worked out once per distinct non-empty value: `answer` gets the distinct
    values (a text Series) and gives a text or None for each; the answers are taken back onto
    the rows in Arrow. NA where the cell is empty, or the answer None or 'nan'."""
    import pyarrow as pa

    codes, uniques = pd.factorize(values)
    said = answer(pd.Series(uniques, dtype=TEXT)) if len(uniques) else []
    answers = pa.array([None if a is None or a == "nan" else str(a) for a in said], type=pa.large_string())
    rows = answers.take(pa.array(codes, mask=codes < 0))
    return pd.Series(rows.to_pandas(types_mapper={pa.large_string(): TEXT}.get).array, index=values.index, dtype=TEXT)


_PLAIN_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"


@dataclass(frozen=True)
class ColumnReading:
    """What a whole column's values decided about reading each cell: the decimal separator, the
    order of d/m/y dates, the region of phone numbers (None: decide from the values at hand).
    The Ibis engine works on a column's distinct values and hands these to the failing rows it
    pulls, so a cell reads the same there as in the whole column."""

    decimal: str | None = None
    date_order: Any = None  # checks.dates.DateOrder
    phone_region: Any = None  # checks.phones.ColumnRegion


@dataclass(frozen=True)
class NumberReading:
    """A column read as numbers: the numbers (NaN where a cell is none), the decimal separator the
    column uses, which cells were read from a written form (not a plain number), and the currency
    mark written in each cell (NA where none)."""

    numbers: pd.Series
    decimal: str
    written: pd.Series
    marks: pd.Series


def read_numbers(text: pd.Series, decimal: str | None = None) -> NumberReading:
    """Numbers as people write them (checks/numbers.py): '1,000.00', '¥1,200', '(500)', '１０００',
    '12.50元', 'USD 30', '15%', '12.5万', and '1.200,50' in a column that uses a decimal comma.

    Cells already written as plain numbers (most of a numeric column) are parsed at once; only
    the others go through NFKC, lose their spaces and are read, once per distinct shape. Parsing
    is pyarrow's, which gives what Python's float() gives. `decimal` (',' or '.') overrides the
    column's own decision."""
    from dataquality.checks import numbers as nb

    plain = matches(text, _PLAIN_NUMBER, full=True)
    out = np.full(len(text), np.nan)
    written = np.zeros(len(text), dtype=bool)
    marks: np.ndarray | None = None
    rest = ~plain & text.notna().to_numpy(dtype=bool)
    if rest.any():
        at = np.flatnonzero(rest)
        read = nb.read_written(_compact(_arrow_text(text.iloc[at])), decimal)
        decimal = read.decimal
        out[at] = read.numbers
        written[at] = ~np.isnan(read.numbers)
        if (read.marks != "").any():
            marks = np.full(len(text), None, dtype=object)
            marks[at] = np.where(read.marks == "", None, read.marks)
    decimal = decimal or "."
    if decimal == "," and plain.any():  # 1.200 is a thousand and two hundred in a column that writes 1.200,50
        grouped = plain & nb.dot_grouped(_arrow_text(text))
        if grouped.any():
            out[grouped] = _to_float(text[grouped].str.replace(".", "", regex=False))
            written |= grouped
            plain &= ~grouped
    if plain.any():
        out[plain] = _to_float(text[plain])
    index = text.index
    shown = pd.Series(np.nan, index=index, dtype=TEXT) if marks is None else pd.Series(marks, index=index, dtype=TEXT)
    return NumberReading(pd.Series(out, index=index, dtype="float64"), decimal, pd.Series(written, index=index), shown)


def _compact(values: Any) -> Any:
    """NFKC of each value, without whitespace, computed only for the values whose shape (digits
    written 9, checks/numbers.py) NFKC or the removal changes: full-width ￥ or （）, spaces. ASCII
    digits are their own NFKC, so a shape tells for every value of that shape."""
    import unicodedata

    import pyarrow as pa
    import pyarrow.compute as pc

    from dataquality.checks import numbers as nb

    codes, distinct = nb.encode(nb.shapes(values))
    changed = np.array([unicodedata.normalize("NFKC", s) != s or any(c in _SPACE for c in s) for s in distinct.to_pylist()]
                       + [False], dtype=bool)[codes]
    if not changed.any():
        return values
    at = pa.array(np.flatnonzero(changed))
    tidy = pc.replace_substring_regex(nfkc_arrow(values.take(at)), _SPACES, "")
    return pc.replace_with_mask(values, pa.array(changed), tidy)


def _arrow_text(text: pd.Series) -> Any:
    """A text column as one pyarrow large_string array (no copy where it already is one)."""
    import pyarrow as pa

    arrow = (text.array if text.dtype == TEXT else text.astype(TEXT).array).__arrow_array__()
    arrow = arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
    return arrow if arrow.type == pa.large_string() else arrow.cast(pa.large_string())


def parse_number(text: pd.Series) -> pd.Series:
    """The numbers of a column read as people write them (read_numbers); NaN where a cell is none."""
    return read_numbers(text).numbers


def _to_float(numbers: pd.Series) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(numbers.astype(TEXT).array, type=pa.large_string())
    return np.asarray(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")


def _number_text(x: float) -> str:
    return f"{int(x)}" if x.is_integer() and abs(x) < 1e18 else repr(x)


def format_number(numbers: pd.Series) -> pd.Series:
    """Numbers back to plain text: 1000.0 -> '1000', 12.5 -> '12.5' (for fixed values and keys).

    Column-wise: whole numbers through int64, others through Arrow's shortest round-trip digits,
    which are Python's repr wherever repr writes no exponent (1e-4 <= |x| < 1e15, checked per
    value); the rest (1e-05, 1.5e+20, inf) through repr itself."""
    import pyarrow as pa
    import pyarrow.compute as pc

    x = numbers.to_numpy(dtype="float64", na_value=np.nan)
    size = np.abs(x)
    whole = np.isfinite(x) & (np.floor(x) == x) & (size < 1e18)
    plain = np.isfinite(x) & ~whole & (size >= 1e-4) & (size < 1e15)
    out = np.full(len(x), None, dtype=object)
    if whole.any():
        out[whole] = pc.cast(pa.array(x[whole].astype(np.int64)), pa.string()).to_numpy(zero_copy_only=False)
    if plain.any():
        shown = pc.cast(pa.array(x[plain]), pa.string())
        exponent = np.asarray(pc.match_substring(shown, "e").to_numpy(zero_copy_only=False), dtype=bool)
        out[plain] = shown.to_numpy(zero_copy_only=False)
        plain[np.flatnonzero(plain)[exponent]] = False  # (none expected) written by repr below
    rest = ~np.isnan(x) & ~whole & ~plain
    if rest.any():
        out[rest] = [_number_text(float(v)) for v in x[rest]]  # rare: tiny, huge or infinite
    return pd.Series(out, index=numbers.index, dtype=TEXT)


@dataclass(frozen=True)
class DateReading:
    """A column read as dates: the dates (NaT where a cell is none) and how its d/m/y values are ordered."""

    dates: pd.Series
    order: Any  # checks.dates.DateOrder


def read_dates(text: pd.Series, language: str | None = None, order: Any = None) -> DateReading:
    """Dates as Excel and people write them (checks/dates.py): Excel dates, 2024-01-05, 2024/1/5,
    2024.1.5, 2024年1月5日, 20240105, 5-Mar-2024, March 5, 2024, ISO 8601 with a time and zone, and
    05/03/2024 in the order the column's values (else the file's `language`) say; `order` (a
    DateOrder) overrides the column's own decision."""
    from dataquality.checks import dates as dd

    s = nfkc(text).str.strip()
    dates, order = dd.read_column(_arrow_text(s), language, order)
    return DateReading(pd.Series(dates, index=text.index, dtype="datetime64[s]"), order)


def parse_date(text: pd.Series, language: str | None = None) -> pd.Series:
    """The dates of a column (read_dates); NaT where a cell is none."""
    return read_dates(text, language).dates


# Headers with a CJK ideograph are Chinese, headers of Latin letters only are English.
_CJK = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"


def header_language(headers: Any) -> str | None:
    """'zh' when most headers of a sheet are Chinese, 'en' when most are English, else None."""
    texts = [str(h) for h in headers if h is not None and str(h).strip()]
    if not texts:
        return None
    chinese = sum(1 for h in texts if re.search(_CJK, h))
    english = sum(1 for h in texts if not re.search(_CJK, h) and re.search("[A-Za-z]", h))
    if chinese > english:
        return "zh"
    return "en" if english > chinese else None


def text_list(values: pd.Series) -> list[str | None]:
    """The values as Python text, None where missing: one conversion for a text column, str() of
    each value otherwise (how issues and change rows carry cell values)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.to_numpy(dtype=object, na_value=None).tolist()
    missing = pd.isna(values).to_numpy(dtype=bool).tolist()
    return [None if m else (x if type(x) is str else str(x)) for x, m in zip(values.to_numpy(dtype=object).tolist(), missing, strict=True)]


def today() -> dt.date:
    """Today's date; one place so tests can pin it."""
    return dt.date.today()


def value_patterns(spec: FieldSpec) -> list[tuple[str, re.Pattern[str]]]:
    """A field's `value_patterns` compiled, in the order written: (template, pattern)."""
    return [(template, re.compile(p)) for template, pats in spec.value_patterns.items() for p in pats]


def from_patterns(key: str, patterns: list[tuple[str, re.Pattern[str]]]) -> str | None:
    """The canonical value a match key means by the first pattern it matches whole ('月结30天' -> NET30)."""
    for template, pattern in patterns:
        m = pattern.fullmatch(key)
        if m:
            return template.format(None, *m.groups())
    return None


def spec_of(schema: EntitySchema, key: str) -> FieldSpec:
    """The FieldSpec of a column key: the field itself, or for a second column of a repeatable
    field (phone#2) the field's spec without what only one column can be (required, unique)."""
    if REPEAT not in key:
        return schema.fields[key]
    from dataclasses import replace

    return replace(schema.fields[base_field(key)], required=False, required_when=None, unique=False)


@dataclass
class FieldValues:
    """One column's raw text with its cleaned and parsed forms, computed on first use."""

    spec: FieldSpec
    raw: pd.Series
    references: dict[str, ReferenceList] = field(default_factory=dict)
    language: str | None = None  # of the sheet's headers ('zh', 'en'): how undecidable dates are read
    table: Any = None  # the TableValues this column belongs to (a phone reads the row's country there)
    reading: ColumnReading | None = None  # decisions made on the whole column (see ColumnReading)

    @cached
    def _untidy(self) -> np.ndarray:
        return untidy_cells(self.raw, self.spec.clean)

    @cached
    def _stages(self) -> tuple[pd.Series, pd.Series, pd.Series]:
        return clean_stages(self.raw, self.spec.clean, self._untidy)

    def tidied(self, before: pd.Series, after: pd.Series) -> pd.Series:
        """Where NFKC or the whitespace steps changed a cell from `before` to `after` (two of raw,
        after_nfkc, after_whitespace): only the cells `untidy_cells` marked can differ, so only
        those are compared."""
        changed = np.zeros(len(self.raw), dtype=bool)
        at = np.flatnonzero(self._untidy)
        if before is not after and len(at):
            changed[at] = (before.iloc[at] != after.iloc[at]).fillna(False).to_numpy(dtype=bool)
        return pd.Series(changed, index=self.raw.index)

    @property
    def after_nfkc(self) -> pd.Series:
        return self._stages[0]

    @property
    def after_whitespace(self) -> pd.Series:
        return self._stages[1]

    @cached
    def clean(self) -> pd.Series:
        """The cleaned text; NA where the cell is empty or only whitespace."""
        final = self._stages[2]
        return final.mask(final == "")

    @cached
    def present(self) -> pd.Series:
        """True where the cell holds something after cleaning."""
        return self.clean.notna()

    @cached
    def numbers(self) -> NumberReading:
        """The column read as numbers, with its decimal separator and the currency marks written."""
        return read_numbers(self.clean, self.reading.decimal if self.reading else None)

    @property
    def number(self) -> pd.Series:
        """The cell as a number (NaN when empty or not a number)."""
        return self.numbers.numbers

    @cached
    def dates(self) -> DateReading:
        """The column read as dates, with the order of its d/m/y values."""
        return read_dates(self.clean, self.language, self.reading.date_order if self.reading else None)

    @property
    def date(self) -> pd.Series:
        """The cell as a date (NaT when empty or not a date)."""
        return self.dates.dates

    @cached
    def canonical(self) -> pd.Series:
        """For enums: the canonical value the cell means (NA when it means none)."""
        words = [(word, canon) for canon, synonyms in self.spec.values.items() for word in (canon, *synonyms)]
        keys = match_key(pd.Series([w for w, _ in words], dtype=TEXT)).tolist()
        mapping = {k: canon for k, (_, canon) in zip(keys, words, strict=True)}  # a later word wins, as before
        patterns = value_patterns(self.spec)

        def meaning(key: str) -> str | None:
            found = mapping.get(key)
            if found is None and patterns:
                found = from_patterns(key, patterns)
            return found

        # An enum column holds a handful of distinct spellings: normalise those, not every cell.
        return text_per_distinct(self.clean, lambda distinct: [meaning(k) for k in match_key(distinct).tolist()])

    @cached
    def referenced(self) -> pd.Series:
        """For reference fields: the canonical reference name (NA when not in the list)."""
        ref = self.references.get(self.spec.reference or "")
        if ref is None:
            return pd.Series(np.nan, index=self.raw.index, dtype=TEXT)
        names = dict(ref.canonical)
        return text_per_distinct(self.clean, lambda distinct: [names.get(k) for k in match_key(distinct).tolist()])

    def value_text(self) -> pd.Series:
        """The value as written, for reports."""
        return self.raw


@dataclass
class TableValues:
    """A Table with lazily computed FieldValues per field, and its schema."""

    table: Table
    schema: EntitySchema
    config: Config
    _cache: dict[str, FieldValues] = field(default_factory=dict)
    readings: dict[str, ColumnReading] = field(default_factory=dict)  # decided on the whole column elsewhere

    @property
    def index(self) -> pd.Index:
        return self.table.data.index

    def has(self, name: str) -> bool:
        """Whether the sheet has a column for field `name`."""
        return name in self.table.data.columns

    def __getitem__(self, name: str) -> FieldValues:
        if name not in self._cache:
            raw = self.table.data[name] if self.has(name) else pd.Series(np.nan, index=self.index, dtype=TEXT)
            self._cache[name] = FieldValues(spec_of(self.schema, name), raw, dict(self.config.references), self.language, self,
                                            self.readings.get(base_field(name)))
        return self._cache[name]

    def extra_keys(self) -> list[str]:
        """The second (third …) columns of repeatable fields this sheet has (phone#2)."""
        return [k for k in self.table.data.columns if REPEAT in str(k) and base_field(str(k)) in self.schema.fields]

    @cached
    def language(self) -> str | None:
        """The language of the sheet's headers (header_language)."""
        return header_language(self.table.headers.values())

    @cached
    def keys(self) -> pd.Series:
        """The record key of every row (cleaned), NA where missing."""
        return self[self.schema.key].clean
