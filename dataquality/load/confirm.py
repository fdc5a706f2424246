"""Values confirm a mapping: a column found by a generic name must hold values that fit its field.

类别 holding 饮料, 状态 holding 0/1 or 条码 holding 7-digit shop codes are real columns, but not
the category, status or GTIN that the schema means. Rather than one error per cell, such a column
is reported once (FIL007) with three example values and left out of the cell checks, until a
person confirms the mapping (dq map) or fixes the data.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from dataquality.config import Config, FieldSpec, normalise_header

MIN_VALUES = 3  # fewer filled cells than this prove nothing
FIT_AT_LEAST = 0.2  # below this share of fitting values, "almost none fit"
SAMPLE = 5000  # distinct values looked at


def _norm(values: pd.Series) -> pd.Series:
    return values.map(lambda v: unicodedata.normalize("NFKC", v).strip())


def fits(spec: FieldSpec, values: pd.Series, config: Config) -> pd.Series | None:
    """True where a (distinct, non-empty) value could belong to `spec`; None when anything fits."""
    v = _norm(values.astype(object))
    if spec.type == "enum" and spec.values:
        accepted = {normalise_header(k) for k in spec.values} | {
            normalise_header(s) for syn in spec.values.values() for s in syn
        }
        return v.map(normalise_header).isin(accepted)
    if spec.identifier == "gtin":
        return v.str.fullmatch(r"\d{8}|\d{12,14}")
    if spec.identifier == "uscc":
        return v.str.replace(r"\s", "", regex=True).str.fullmatch(r"[0-9A-Za-z]{18}")
    if spec.identifier == "cn_phone":
        # Chinese numbers, and other countries' (+1 206 555 0100, (206) 555-0100, 555-0100: checks/phones.py reads them).
        digits = v.str.replace(r"[\s\-.()（）]", "", regex=True).str.replace(r"^(?:\+|00)?86", "", regex=True)
        return digits.str.fullmatch(r"(?:1[3-9]\d{9}|0\d{9,11}|[2-9]\d{6,9}|(?:\+|00)[1-9]\d{6,14})(?:(?:转|ext\.?|#|x)\d{1,6})?", flags=re.I)
    if spec.identifier == "email":
        return v.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", regex=True)
    if spec.reference and spec.reference in config.references:
        canonical = config.references[spec.reference].canonical
        return v.map(normalise_header).isin(set(canonical))
    if spec.is_numeric:
        # Amounts as people write them (checks/numbers.py reads them): a currency, a unit, brackets, %.
        marks = r"[A-Za-z]{1,3}\$?|[¥￥$€£%()（）'’+\-−]|元|圆|块|人民币|美元|美金|欧元|英镑|日元|港元|港币|千|万|亿"
        bare = v.str.replace(r"[,，.\s]", "", regex=True).str.replace(marks, "", regex=True)
        return bare.str.fullmatch(r"\d+") & v.str.contains(r"\d", regex=True)
    if spec.type == "date":
        return pd.to_datetime(v, errors="coerce", format="mixed").notna()
    if spec.pattern:
        cleaned = v.str.replace(r"\s", "", regex=True)
        if "upper" in spec.clean:
            cleaned = cleaned.str.upper()
        return cleaned.str.fullmatch(spec.pattern, flags=0)
    return None


def unconfirmed(spec: FieldSpec, column: pd.Series, config: Config) -> list[str] | None:
    """Three example values when almost none of `column`'s values fit `spec`; None when they fit."""
    filled = column.dropna()
    filled = filled[filled.astype(str).str.strip() != ""]
    if len(filled) < MIN_VALUES:
        return None
    distinct = pd.Series(pd.unique(filled.astype(str)))[:SAMPLE]
    try:
        ok = fits(spec, distinct, config)
    except (re.error, ValueError, TypeError):
        return None
    if ok is None:
        return None
    counts = filled.astype(str).value_counts()
    good = counts.reindex(distinct[ok.fillna(False).to_numpy(dtype=bool)].tolist()).fillna(0).sum()
    if good / max(1, len(filled)) >= FIT_AT_LEAST:
        return None
    return [str(x)[:40] for x in distinct[~ok.fillna(False).to_numpy(dtype=bool)].head(3)]
