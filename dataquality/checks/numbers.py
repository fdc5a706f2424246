"""Numbers as people write them: currency marks, thousands separators, brackets, percent, 万 and 亿.

`values.read_numbers` reads plain numbers (most of a numeric column) at once; every other cell
comes here, already NFKC-normalised and without spaces. Such a cell is read through its *shape*,
the cell with every digit written 9: '¥1,234.50' and '¥7,020.00' are both '¥9,999.99'. A column
of amounts has few shapes however many values it has, so each distinct shape is taken apart once
(WRITTEN: a currency mark before or after, a sign, accounting brackets, digits with separators,
a Chinese unit of amount, a percent sign), and the digits of every value are then kept or dropped
by byte masks over the Arrow buffers: nothing runs Python per cell.

Which separator is the decimal one is decided per column, never per cell: 1,200 is a thousand
and two hundred in a column whose other values read 1,200.50 or 3,000,000, and one point two in
a column whose values read 1.200,50 or 12,5 (a European file). The value is then built as
decimal text with an exponent (12.5万 -> '12.5e4', 15% -> '15e-2') and cast once, so it is the
correctly rounded double of what is written, as Excel reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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

_WORDS = "|".join(re.escape(m) for m in sorted(CURRENCY_MARKS, key=len, reverse=True) if not (m.isascii() and m.isalpha()))
# A mark: one of the words and signs above, letters then $ (US$, A$), or three letters (an ISO
# code, checked against pycountry's list: 12abc is not a number).
_MARK = f"(?:{_WORDS}|[A-Za-z]{{1,2}}\\$|[A-Za-z]{{3}})"
_SIGN = "[-+\u2212]"
_MULT = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
WRITTEN = re.compile(
    f"(?P<c1>{_MARK})?(?P<s1>{_SIGN})?(?P<open>\\()?(?P<c2>{_MARK})?(?P<s2>{_SIGN})?"
    "(?P<body>[0-9][0-9,.'\u2019]*|[.,][0-9]+)"
    f"(?P<mult>{_MULT})?(?P<pct>%)?(?P<c3>{_MARK})?(?P<close>\\))?(?P<c4>{_MARK})?(?P<s3>-)?"
)
# The digits under each decimal separator: groups of three (or India's lakh grouping, 12,34,567),
# or none; an apostrophe groups in either (Switzerland).
_BODY = {
    ".": re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}|[0-9]{1,3}(?:['’][0-9]{3})+)(?:\.[0-9]*)?|\.[0-9]+"),
    ",": re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:['’][0-9]{3})+)(?:,[0-9]*)?|,[0-9]+"),
}
# Bodies that can only be read one way: a decimal comma (1.200,50, 12,5, 1.000.000) or a decimal
# point (1,200.50, 1,000,000, 12,34,567, 12.50). 1,200 and 1.200 prove nothing.
_COMMA_PROOF = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]*|[0-9]{1,3}(?:\.[0-9]{3}){2,}|[0-9]*,(?:[0-9]{1,2}|[0-9]{4,})")
_POINT_PROOF = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]*|[0-9]{1,3}(?:,[0-9]{3}){2,}|[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}"
                          r"|[0-9]*\.(?:[0-9]{1,2}|[0-9]{4,})")
# A plain-looking 1.200 or 12.345.678: in a decimal-comma column, thousands.
DOT_GROUPED = r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+"


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


@dataclass(frozen=True)
class Shape:
    """How every value of one shape reads: whether it is a number under a decimal point and under a
    decimal comma, its sign, the power of ten its unit or percent adds, its currency mark, and
    which decimal separator it proves ('.', ',' or '')."""

    point: bool = False
    comma: bool = False
    negative: bool = False
    exponent: int = 0
    mark: str = ""
    proves: str = ""


def read_shape(shape: str) -> Shape:
    """A shape (digits written 9) taken apart by WRITTEN; Shape() when it is no written number."""
    m = WRITTEN.fullmatch(shape)
    if m is None:
        return Shape()
    marks = [m.group(f"c{i}") for i in range(1, 5) if m.group(f"c{i}")]
    signs = [m.group(s) for s in ("s1", "s2", "s3") if m.group(s)]
    bracketed = bool(m.group("open"))
    if (bracketed != bool(m.group("close")) or len(marks) > 1 or bracketed + len(signs) > 1
            or (marks and not currencies_of(marks[0]))):
        return Shape()
    body = m.group("body")
    proves = "," if _COMMA_PROOF.fullmatch(body) else "." if _POINT_PROOF.fullmatch(body) else ""
    exponent = MULTIPLIERS.get(m.group("mult") or "", 0) - (2 if m.group("pct") else 0)
    return Shape(bool(_BODY["."].fullmatch(body)), bool(_BODY[","].fullmatch(body)),
                 bracketed or (bool(signs) and signs[0] in "-\u2212"), exponent, marks[0] if marks else "", proves)


def _data(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, UTF-8 bytes) of a large_string array with no offset of its own."""
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[: len(text) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, dtype=np.uint8)
    return offsets, data


def shapes(text: pa.Array) -> pa.Array:
    """Each value with its ASCII digits written 9 (a digit byte is never part of a longer UTF-8 character)."""
    offsets, data = _data(text)
    shaped = data.copy()
    shaped[(data >= 0x30) & (data <= 0x39)] = 0x39
    return pa.Array.from_buffers(pa.large_string(), len(text), [text.buffers()[0], text.buffers()[1], pa.py_buffer(shaped)],
                                 text.null_count)


def digits_of(text: pa.Array, decimal: str) -> pa.Array:
    """Each value's ASCII digits and decimal separator only, the separator written '.'."""
    offsets, data = _data(text)
    sep = ord(decimal)
    kept = ((data >= 0x30) & (data <= 0x39)) | (data == sep)
    ends = np.concatenate([[0], np.cumsum(kept, dtype=np.int64)])
    new_offsets = ends[offsets] - ends[offsets[0]]
    out = data[kept].copy()
    out[out == sep] = ord(".")
    return pa.Array.from_buffers(pa.large_string(), len(text), [text.buffers()[0], pa.py_buffer(new_offsets), pa.py_buffer(out)],
                                 text.null_count)


@dataclass(frozen=True)
class Read:
    """Distinct written values read: their numbers (NaN where none), currency marks ('' where none)
    and the decimal separator the column uses."""

    numbers: np.ndarray
    marks: np.ndarray
    decimal: str


def encode(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(the code of each value, -1 where null; the distinct values), by Arrow's dictionary encoding."""
    encoded = values.dictionary_encode()
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, encoded.dictionary


def _decimal(values: pa.Array, codes: np.ndarray, read: list[Shape]) -> str:
    """',' when more distinct values of the column can only be read with a decimal comma than with
    a decimal point; '.' otherwise (also when nothing tells). Values are counted (distinct) only
    when both kinds are there."""
    proves = np.array([r.proves for r in read], dtype=object)
    comma, point = proves == ",", proves == "."
    if not comma.any():
        return "."
    if not point.any():
        return ","
    count = {sep: len(pc.unique(values.filter(pa.array(where[codes])))) for sep, where in ((",", comma), (".", point))}
    return "," if count[","] > count["."] else "."


def read_written(values: pa.Array, decimal: str | None = None) -> Read:
    """The numbers of `values` (NFKC, no spaces, no nulls), read per shape; `decimal` overrides the
    column's own decision."""
    if values.offset:
        values = pa.concat_arrays([pa.array([], type=pa.large_string()), values])  # buffers that start at the first value
    codes, distinct = encode(shapes(values))
    read = [read_shape(s) for s in distinct.to_pylist()]
    decimal = decimal or _decimal(values, codes, read)
    ok = np.array([r.comma if decimal == "," else r.point for r in read] + [False], dtype=bool)[codes]
    marks = np.array([r.mark for r in read] + [""], dtype=object)[codes]
    out = np.full(len(values), np.nan)
    if ok.any():
        at = np.flatnonzero(ok)
        # Per shape: the sign before the digits, the power of ten after them.
        signs = pa.array(["-" if r.negative else "" for r in read], type=pa.large_string())
        powers = pa.array([f"e{r.exponent}" for r in read], type=pa.large_string())
        picked = pa.array(codes[at])
        text = pc.binary_join_element_wise(signs.take(picked), digits_of(values.take(pa.array(at)), decimal),
                                           powers.take(picked), pa.scalar("", pa.large_string()))
        out[at] = np.asarray(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    marks = np.where(np.isnan(out), "", marks)
    return Read(out, marks, decimal)


def dot_grouped(text: pa.Array) -> np.ndarray:
    """Where a plain-looking value is a whole number grouped with points (1.200, 12.345.678)."""
    found = pc.match_substring_regex(text, f"^(?:{DOT_GROUPED})$")
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def currency_sets(marks: pd.Series) -> pd.Series:
    """'|CNY|JPY|' for each written mark (NA where none), worked out once per distinct mark."""
    codes, uniques = pd.factorize(marks)
    said = np.array([("|" + "|".join(currencies_of(str(m))) + "|") if m else None for m in uniques] + [None], dtype=object)
    return pd.Series(said[codes], index=marks.index, dtype=object)
