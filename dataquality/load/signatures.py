"""What a column's values say it is: each field's value signature, and how well a column fits it.

A person finds a column by its header *and* its values: 联系人手机 holding 138… numbers is the phone,
`type` holding 成品/原材料 is the category while `category` holding 饮料 is a category of the
company's own words, and a column of valid GTINs is the barcode whatever its header says. This
module gives each field a signature derived from its schema entry (never per field by name):

- ``standard``: values a standard defines (USCC, GTIN, e-mail, phone, a digits pattern such as a
  bank account, numbers, dates): a column that mostly fails it is not that field;
- ``label``: a field of a company's own vocabulary (enums, reference lists such as departments,
  provinces, staff): short labels that repeat; the vocabulary itself is the company's convention,
  so it only adds evidence, it never rules a column out;
- ``code``: a record key or code (a pattern or `unique`): short tokens without inner spaces;
- ``text``: names, addresses, specifications: text with letters.

Fits are measured on a bounded, evenly spaced sample of the filled cells (at most SAMPLE), in
pyarrow: the cost does not grow with the sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dataquality.config import Config, FieldSpec, normalise_header

if TYPE_CHECKING:
    import pyarrow as pa

SAMPLE = 2000  # filled cells looked at per column
MIN_VALUES = 3  # fewer filled cells than this prove nothing

STANDARD, LABEL, CODE, TEXT_KIND = "standard", "label", "code", "text"

# Patterns are RE2 (pyarrow). Checked on NFKC text with surrounding spaces removed.
_USCC = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
_CN_MOBILE = r"^(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]){8}$"
_INTL_PHONE = r"^(?:\+|00)[1-9][0-9 ()./-]{6,20}$"
_PHONE = r"^(?:\+|00)?[0-9 ()./-]{6,24}(?:\s*(?:转|ext\.?|x|#)\s*[0-9]{1,6})?$"
_DIGITS_IN = r"[0-9]"
_CURRENCY = "¥￥$€£元圆块RMBCNYUSDEURGBPHKDJPY"
_NUMBER = (r"^[(（]?[-+]?(?:[¥￥$€£]|RMB|CNY|USD|EUR|HKD|GBP|JPY)?\s*[-+]?(?:[0-9]{1,3}(?:[, ][0-9]{3})+|[0-9]+)"
           r"(?:[.,][0-9]+)?\s*(?:%|元|万元|万|圆|块|RMB|CNY|USD|EUR|HKD|GBP|JPY)?[)）]?$")
_DATE = (r"^(?:[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
         r"|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}"
         r"|[0-9]{8}"
         r"|[0-9]{1,2}[- ][A-Za-z]{3,9}[- ,]+[0-9]{2,4}"
         r"|[A-Za-z]{3,9}\.? [0-9]{1,2},? [0-9]{4}"
         r"|[0-9]{5}(?:\.[0-9]+)?)$")
_HAS_LETTER = r"[A-Za-z\x{00C0}-\x{024F}\x{0370}-\x{03FF}\x{0400}-\x{04FF}\x{3040}-\x{30FF}\x{3400}-\x{9FFF}\x{AC00}-\x{D7AF}]"
_CODE = r"^[0-9A-Za-z][0-9A-Za-z._/#:-]{0,39}$"


@dataclass(frozen=True)
class Fit:
    """How a column's values fit one field: the share of filled cells that fit, and what is known."""

    share: float | None  # None: too few values to tell
    filled: int  # filled cells in the column (not only the sample)
    vocabulary: float = 0.0  # label fields: share of values that are in the field's own vocabulary
    specific: float = 0.0  # share of values with an unambiguous signature (USCC, e-mail, GTIN, mobile)

    @property
    def empty(self) -> bool:
        return self.filled == 0


def kind_of(spec: FieldSpec) -> str:
    """The signature kind of a field, from its schema entry."""
    if spec.identifier or spec.is_numeric or spec.type == "date":
        return STANDARD
    if spec.pattern and not spec.unique:
        return STANDARD  # a digits pattern such as a bank account: a standard shape, not a house code
    if spec.type == "enum" or spec.reference:
        return LABEL
    if spec.pattern or spec.unique or spec.text:
        return CODE
    return TEXT_KIND


def specific_kind(spec: FieldSpec) -> bool:
    """Whether a field's values alone can name it (no header needed): USCC, e-mail, GTIN, phone."""
    return spec.identifier in ("uscc", "email", "gtin", "cn_phone", "phone")


def sample_of(column: pd.Series) -> tuple[pa.Array, int]:
    """The filled cells of `column` (NFKC, trimmed) at evenly spaced positions, and how many are filled."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(column.astype("string[pyarrow]").array, type=pa.large_string()) if len(column) else pa.array([], pa.large_string())
    text = pc.utf8_trim_whitespace(text)
    filled = pc.fill_null(pc.greater(pc.utf8_length(text), 0), False)
    text = text.filter(filled)
    n = len(text)
    if n > SAMPLE:
        text = text.take(pa.array(np.linspace(0, n - 1, SAMPLE).astype(np.int64)))
    return pc.utf8_normalize(text, "NFKC"), n


def _share(mask: pa.Array) -> float:
    import pyarrow.compute as pc

    n = len(mask)
    return float(pc.sum(pc.fill_null(mask, False)).as_py() or 0) / n if n else 0.0


def _re(values: pa.Array, pattern: str, ignore_case: bool = False) -> pa.Array:
    import pyarrow.compute as pc

    return pc.match_substring_regex(values, pattern, ignore_case=ignore_case)


def _gtin_valid(values: pa.Array) -> np.ndarray:
    """GTIN-8/12/13/14 with a valid check digit, vectorised over the digits."""
    import pyarrow.compute as pc

    digits = np.asarray(pc.fill_null(_re(values, r"^(?:[0-9]{8}|[0-9]{12,14})$"), False).to_numpy(zero_copy_only=False), dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    at = np.flatnonzero(digits)
    if not len(at):
        return out
    texts = values.take(at).to_pylist()  # at most SAMPLE short strings
    width = 14
    padded = np.array([list(t.rjust(width, "0")) for t in texts], dtype="U1").astype(np.int64)
    weights = np.where(np.arange(width - 1) % 2 == 0, 3, 1)  # d1..d13 of 14 digits: 3, 1, 3, ...
    check = (10 - (padded[:, :-1] * weights).sum(axis=1) % 10) % 10
    out[at] = check == padded[:, -1]
    return out


def fit(spec: FieldSpec, column: pd.Series, config: Config | None = None, sample: tuple[pa.Array, int] | None = None) -> Fit:
    """How the filled cells of `column` fit `spec`'s signature."""
    values, filled = sample if sample is not None else sample_of(column)
    if filled < MIN_VALUES:
        return Fit(None, filled)
    kind = kind_of(spec)
    if kind == STANDARD:
        share, specific = _standard(spec, values)
        return Fit(share, filled, specific=specific)
    if kind == LABEL:
        return Fit(_label_like(values), filled, vocabulary=_in_vocabulary(spec, values, config))
    if kind == CODE:
        return Fit(_share(_re(values, _CODE)), filled)
    return Fit(_share(_re(values, _HAS_LETTER)), filled)


def _standard(spec: FieldSpec, values: pa.Array) -> tuple[float, float]:
    """(share that fits, share with an unambiguous signature) for a standard field."""
    import pyarrow.compute as pc

    if spec.identifier == "uscc":
        upper = pc.utf8_upper(pc.replace_substring_regex(values, r"\s+", ""))
        share = _share(_re(upper, _USCC))
        return share, share
    if spec.identifier == "email":
        share = _share(_re(values, _EMAIL))
        return share, share
    if spec.identifier == "gtin":
        share = float(_gtin_valid(pc.replace_substring_regex(values, r"\s+", "")).mean()) if len(values) else 0.0
        return share, share
    if spec.identifier in ("cn_phone", "phone"):
        phone = pc.and_(_re(values, _PHONE, ignore_case=True), _re(values, r"(?:[0-9][^0-9]*){6}"))
        sure = pc.or_(_re(values, _CN_MOBILE), _re(values, _INTL_PHONE))
        return _share(phone), _share(sure)
    if spec.is_numeric:
        return _share(_re(pc.utf8_upper(values), _NUMBER)), 0.0
    if spec.type == "date":
        return _share(_re(values, _DATE)), 0.0
    if spec.pattern:
        plain = pc.replace_substring_regex(values, r"[\s-]+", "")
        try:
            return _share(_re(plain, spec.pattern)), 0.0
        except Exception:  # noqa: BLE001 - a pattern RE2 cannot run: judge by digits
            return _share(_re(plain, r"^[0-9]{6,}$")), 0.0
    return 1.0, 0.0


def _label_like(values: pa.Array) -> float:
    """Labels: short values that repeat (a column of statuses, units, grades, departments).

    The share of cells that are short, counted only when the column repeats its values."""
    import pyarrow.compute as pc

    short = pc.less_equal(pc.utf8_length(values), 24)
    distinct = len(pc.unique(values))
    repeats = distinct <= max(60, len(values) // 3)  # a state column of a small file has many values
    return _share(short) if repeats else 0.25 * _share(short)


def vocabulary_keys(spec: FieldSpec, config: Config | None) -> frozenset[str]:
    """The normalised words a label field knows (its enum values and synonyms, its reference list)."""
    words: set[str] = set()
    for canon, synonyms in spec.values.items():
        words.add(normalise_header(canon))
        words.update(normalise_header(s) for s in synonyms)
    if spec.reference and config is not None and spec.reference in config.references:
        words.update(config.references[spec.reference].canonical)
    return frozenset(words)


def _in_vocabulary(spec: FieldSpec, values: pa.Array, config: Config | None) -> float:
    import pyarrow as pa
    import pyarrow.compute as pc

    words = vocabulary_keys(spec, config)
    patterns = getattr(spec, "value_patterns", None) or {}
    if not words and not patterns:
        return 0.0
    keys = pc.utf8_lower(pc.replace_substring_regex(values, r"\s+", ""))
    hit = pc.is_in(keys, value_set=pa.array(sorted(words), pa.large_string())) if words else pa.array([False] * len(keys))
    for pats in patterns.values():
        for p in pats:
            hit = pc.or_(hit, _re(keys, f"^(?:{p})$", ignore_case=True))
    return _share(hit)


_CJK = re.compile(r"[\u3400-\u9fff]")


def looks_chinese(texts: list[str]) -> bool:
    """Whether most of `texts` (headers) are written in Chinese."""
    filled = [t for t in texts if t and t.strip()]
    return bool(filled) and sum(1 for t in filled if _CJK.search(t)) * 2 >= len(filled)


def fits_one(spec: FieldSpec, value: str) -> bool:
    """Whether one value has `spec`'s standard signature (is the first row data or a header?)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.utf8_normalize(pa.array([str(value).strip()], pa.large_string()), "NFKC")
    return _standard(spec, values)[0] > 0 if kind_of(spec) == STANDARD else False
