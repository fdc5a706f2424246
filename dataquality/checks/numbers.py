"""Numbers as people write them: currency marks, thousands separators, brackets, percent, 万 and 亿.

`values.parse_number` reads plain numbers (most of a numeric column) at once; every other cell
comes here, already NFKC-normalised and without spaces, and is taken apart by one RE2 pattern in
pyarrow (never Python per cell): a currency mark before or after, a sign, accounting brackets,
the digits with their separators, a Chinese unit of amount and a percent sign.

Which separator is the decimal one is decided per column, never per cell: 1,200 is a thousand
and two hundred in a column whose other values read 1,200.50 or 3,000,000, and one point two in
a column whose values read 1.200,50 or 12,5 (a European file). The value is then built as
decimal text with an exponent (12.5万 -> '12.5e4', 15% -> '15e-2') and cast once, so it is the
correctly rounded double of what is written, as Excel reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dataquality.load.table import TEXT

# Dollars: the currencies whose own sign is a bare $ (a $ alone does not say which).
_DOLLARS = ("USD", "AUD", "CAD", "HKD", "NZD", "SGD", "TWD", "MXN")
# What people write for a currency besides its ISO 4217 code (pycountry gives the codes): signs,
# a country's letters before $, the Chinese names. A sign shared by several currencies (¥ for
# yuan and yen, $) stands for each of them, so it never contradicts any of them.
CURRENCY_MARKS: dict[str, tuple[str, ...]] = {
    "¥": ("CNY", "JPY"), "$": _DOLLARS, "€": ("EUR",), "£": ("GBP",), "₩": ("KRW",), "₹": ("INR",),
    "₽": ("RUB",), "฿": ("THB",), "₫": ("VND",), "₱": ("PHP",), "₺": ("TRY",), "₪": ("ILS",),
    "CN¥": ("CNY",), "JP¥": ("JPY",), "RMB": ("CNY",),
    "US$": ("USD",), "HK$": ("HKD",), "NT$": ("TWD",), "A$": ("AUD",), "AU$": ("AUD",), "C$": ("CAD",),
    "CA$": ("CAD",), "S$": ("SGD",), "SG$": ("SGD",), "NZ$": ("NZD",), "R$": ("BRL",), "MX$": ("MXN",),
    "元": ("CNY",), "圆": ("CNY",), "块": ("CNY",), "人民币": ("CNY",), "人民币元": ("CNY",), "円": ("JPY",),
    "日元": ("JPY",), "美元": ("USD",), "美金": ("USD",), "欧元": ("EUR",), "英镑": ("GBP",), "港元": ("HKD",),
    "港币": ("HKD",), "韩元": ("KRW",), "澳元": ("AUD",), "加元": ("CAD",), "新台币": ("TWD",), "台币": ("TWD",),
    "新加坡元": ("SGD",), "新币": ("SGD",), "卢布": ("RUB",), "瑞郎": ("CHF",), "泰铢": ("THB",),
}
# Chinese units of amount: exact powers of ten, so 12.5万 is 125000 whatever the context.
MULTIPLIERS = {"千": 3, "万": 4, "十万": 5, "百万": 6, "千万": 7, "亿": 8, "万亿": 12}

_WORDS = "|".join(sorted((m for m in CURRENCY_MARKS if not m.isascii() or not m.isalpha()), key=len, reverse=True))
# A mark: one of the words and signs above, letters then $ (US$, A$), or three letters (an ISO
# code, checked against pycountry's list afterwards: 12abc is not a number).
_MARK = f"(?:{_WORDS.replace('$', chr(92) + '$')}|[A-Za-z]{{1,2}}\\$|[A-Za-z]{{3}})"
_SIGN = "[-+\u2212]"
_MULT = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
WRITTEN = (
    f"^(?P<c1>{_MARK})?(?P<s1>{_SIGN})?(?P<open>\\()?(?P<c2>{_MARK})?(?P<s2>{_SIGN})?"
    "(?P<body>[0-9][0-9,.'\u2019]*|[.,][0-9]+)"
    f"(?P<mult>{_MULT})?(?P<pct>%)?(?P<c3>{_MARK})?(?P<close>\\))?(?P<c4>{_MARK})?(?P<s3>-)?$"
)
# The digits under each decimal separator: groups of three (or India's lakh grouping, 12,34,567),
# or none; an apostrophe groups in either (Switzerland).
_BODY = {
    ".": r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}|[0-9]{1,3}(?:['’][0-9]{3})+)(?:\.[0-9]*)?$|^\.[0-9]+$",
    ",": r"^(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:['’][0-9]{3})+)(?:,[0-9]*)?$|^,[0-9]+$",
}
_GROUPING = {".": "[,'’]", ",": "[.'’]"}
# Bodies that can only be read one way: a decimal comma (1.200,50, 12,5, 1.000.000) or a decimal
# point (1,200.50, 1,000,000, 12,34,567, 12.50). 1,200 and 1.200 prove nothing.
_COMMA_PROOF = r"^[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]*$|^[0-9]{1,3}(?:\.[0-9]{3}){2,}$|^[0-9]*,(?:[0-9]{1,2}|[0-9]{4,})$"
_POINT_PROOF = (r"^[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]*$|^[0-9]{1,3}(?:,[0-9]{3}){2,}$|^[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}"
                r"|^[0-9]*\.(?:[0-9]{1,2}|[0-9]{4,})$")
# A plain-looking 1.200 or 12.345.678: in a decimal-comma column, thousands.
DOT_GROUPED = r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+"


@dataclass(frozen=True)
class Written:
    """The non-plain cells of a column taken apart (positional arrays, one entry per cell)."""

    parts: pa.StructArray  # the named groups of WRITTEN; null where the cell is not a written number

    def field(self, name: str) -> pa.Array:
        return pc.fill_null(self.parts.field(name), "")


def take_apart(text: pa.Array) -> Written:
    """Every cell of `text` (NFKC, no spaces) matched against WRITTEN."""
    return Written(pc.extract_regex(text, WRITTEN))


def _count(bodies: pa.Array, pattern: str) -> int:
    return int(pc.sum(pc.fill_null(pc.match_substring_regex(bodies, pattern), False)).as_py() or 0)


def decimal_separator(written: Written) -> str:
    """',' when more distinct values of the column can only be read with a decimal comma than
    with a decimal point; '.' otherwise (also when nothing tells)."""
    bodies = pc.unique(pc.drop_null(written.parts.field("body")))
    return "," if _count(bodies, _COMMA_PROOF) > _count(bodies, _POINT_PROOF) else "."


@cache
def iso_currencies() -> frozenset[str]:
    """The ISO 4217 codes (pycountry's list)."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def currencies_of(mark: str) -> tuple[str, ...]:
    """The currencies a written mark can mean (¥ -> CNY, JPY; usd -> USD); () when it is none."""
    found = CURRENCY_MARKS.get(mark) or CURRENCY_MARKS.get(mark.upper())
    if found:
        return found
    code = mark.upper()
    return (code,) if len(code) == 3 and code.isalpha() and code in iso_currencies() else ()


def _one_mark(written: Written) -> tuple[pa.Array, np.ndarray]:
    """(the currency mark of each cell, '' for none; False where a cell has two marks or an unknown one)."""
    marks = [written.field(f"c{i}") for i in range(1, 5)]
    count = sum(np.asarray(pc.not_equal(m, "").to_numpy(zero_copy_only=False), dtype=np.int8) for m in marks)
    mark = pc.binary_join_element_wise(*marks, pa.scalar("", marks[0].type))
    distinct = pc.unique(mark).to_pylist()
    known = pa.array([d for d in distinct if d == "" or currencies_of(d)], type=mark.type)
    ok = (count <= 1) & np.asarray(pc.is_in(mark, value_set=known).to_numpy(zero_copy_only=False), dtype=bool)
    return mark, ok


def read_written(written: Written, decimal: str) -> tuple[np.ndarray, pa.Array]:
    """(the numbers, NaN where a cell is not one; the currency mark of each cell, '' for none)."""
    matched = np.asarray(written.parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    body = written.field("body")
    opened = np.asarray(pc.equal(written.field("open"), "(").to_numpy(zero_copy_only=False), dtype=bool)
    closed = np.asarray(pc.equal(written.field("close"), ")").to_numpy(zero_copy_only=False), dtype=bool)
    signs = [np.asarray(pc.not_equal(written.field(s), "").to_numpy(zero_copy_only=False), dtype=bool) for s in ("s1", "s2", "s3")]
    minus = [np.asarray(pc.match_substring_regex(written.field(s), "^[-\u2212]$").to_numpy(zero_copy_only=False), dtype=bool)
             for s in ("s1", "s2", "s3")]
    mark, one_mark = _one_mark(written)
    good_body = np.asarray(pc.fill_null(pc.match_substring_regex(body, _BODY[decimal]), False).to_numpy(zero_copy_only=False), dtype=bool)
    ok = matched & good_body & one_mark & (opened == closed) & ((opened.astype(int) + sum(s.astype(int) for s in signs)) <= 1)
    out = np.full(len(body), np.nan)
    if not ok.any():
        return out, mark
    digits = pc.replace_substring_regex(body, _GROUPING[decimal], "")
    if decimal == ",":
        digits = pc.replace_substring(digits, ",", ".")
    digits = pc.replace_substring_regex(digits, r"\.$", "")  # '12.' is 12
    digits = pc.replace_substring_regex(digits, r"^\.", "0.")
    exponent = np.zeros(len(body), dtype=np.int64)
    mult = written.field("mult")
    for word, power in MULTIPLIERS.items():
        exponent += np.where(np.asarray(pc.equal(mult, word).to_numpy(zero_copy_only=False), dtype=bool), power, 0)
    exponent -= 2 * np.asarray(pc.equal(written.field("pct"), "%").to_numpy(zero_copy_only=False), dtype=np.int64)
    negative = opened | minus[0] | minus[1] | minus[2]
    sign = pa.array(np.where(negative, "-", ""), type=pa.large_string())
    exp = pa.array(np.char.add("e", exponent.astype(str)), type=pa.large_string())
    text = pc.binary_join_element_wise(sign, pc.cast(digits, pa.large_string()), exp, pa.scalar("", pa.large_string()))
    at = np.flatnonzero(ok)
    out[at] = np.asarray(pc.cast(text.take(pa.array(at)), pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    return out, mark


def dot_grouped(text: pd.Series) -> np.ndarray:
    """Where a plain-looking value is a whole number grouped with points (1.200, 12.345.678)."""
    arr = pa.array((text.array if text.dtype == TEXT else text.astype(TEXT).array), type=pa.large_string())
    return np.asarray(pc.fill_null(pc.match_substring_regex(arr, f"^(?:{DOT_GROUPED})$"), False).to_numpy(zero_copy_only=False), dtype=bool)


def currency_sets(marks: pd.Series) -> pd.Series:
    """'|CNY|JPY|' for each written mark (NA where none), worked out once per distinct mark."""
    codes, uniques = pd.factorize(marks)
    said = np.array([("|" + "|".join(currencies_of(str(m))) + "|") if m else None for m in uniques] + [None], dtype=object)
    return pd.Series(said[codes], index=marks.index, dtype=object)
