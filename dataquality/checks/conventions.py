"""A company's own conventions: a house-style rule that fails a whole column is one finding, not a thousand.

The shipped schemas carry one company's house style (code formats such as C000123, category codes,
closed value lists, reference lists). Applied to another company's export, such a rule fails on
almost every cell, and a thousand errors say one thing: this file follows its own convention. So
when a rule declared `convention=True` fails on at least SHARE of at least MIN_FILLED filled
values of a column, dq reports one file-level warning (CNV001) naming the rule, the column, the
file's own dominant format(s) with counts and examples, and how to adopt it (`dq learn`, or the
schema key). The column's codes are then checked for consistency with its own bulk instead: a
code of another shape than the column's dominant shapes is a warning naming both (CNV002).

Rules with a standard behind them (USCC, GTIN, e-mail, phone, dates, numbers, duplicates) are not
conventions: they stay errors on every cell.

Shapes are computed in Arrow: digits become 9, Latin letters A, CJK characters 汉, anything else
stays as written (FG-000123 -> AA-999999). A column's dominant shapes are the few most frequent
ones that together hold EXACT_DOMINANT of its values; where lengths vary (1, 12, 345), the runs
are compared without their lengths (9) and must hold DOMINANT.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from dataquality.checks.forms import IN_RUN
from dataquality.checks.registry import Rule, describe, field_rule
from dataquality.checks.values import FieldValues, TableValues
from dataquality.i18n import LANGUAGES, text
from dataquality.issue import Severity
from dataquality.load.table import TEXT

MIN_FILLED = 20  # from this many filled values, failing on SHARE of them is a convention
SHARE = 0.8  # failing on at least this share of the filled values: a convention of the file
DOMINANT = 0.9  # the dominant run shapes hold at least this share of the values
EXACT_DOMINANT = 0.95  # exact shapes (with lengths) must hold this much: 1..77 is one run of digits
MIN_SHAPE = 0.05  # a dominant shape holds at least this share, and at least two values
MAX_SHAPES = 3
EXAMPLES = 3


def qualifies(filled: int, failing: int, example: bool) -> bool:
    """Whether a rule failing on `failing` of `filled` values is a convention of the file: most of
    a column of MIN_FILLED or more; against an example house style (the shipped schemas, see
    EntitySchema.conventions), also every value of a smaller column (a template's sample rows
    written in another company's format)."""
    if filled >= MIN_FILLED:
        return failing >= SHARE * filled
    return example and filled > 0 and failing >= filled


# --- shapes ---------------------------------------------------------------------------------------


def shapes(values: pd.Series, runs: bool = False) -> pd.Series:
    """The shape of each value (FG-000123 -> AA-999999); with `runs`, without lengths (AA-9 -> A-9)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text_ = pa.array(values.astype(TEXT).array, type=pa.large_string())
    out = pc.replace_substring_regex(pc.utf8_upper(text_), "[0-9]", "9")
    out = pc.replace_substring_regex(out, "[A-Z]", "A")
    out = pc.replace_substring_regex(out, "[\u3400-\u9fff]", "汉")
    if runs:
        for ch in ("9", "A", "汉"):
            out = pc.replace_substring_regex(out, f"{ch}+", ch)
    return pd.Series(out.to_pandas(types_mapper={pa.large_string(): TEXT}.get).array, index=values.index, dtype=TEXT)


@dataclass(frozen=True)
class Format:
    """One dominant shape of a column: how many values have it, three of them, and it in words
    with what every value of it shares kept literally ('SKU' + '-' + 5 digits)."""

    shape: str
    count: int
    examples: tuple[str, ...]
    runs: bool = False  # compared without run lengths
    words: dict[str, str] | None = None


def dominant(values: pd.Series) -> tuple[list[Format], bool] | None:
    """The column's dominant formats and whether they are run shapes; None when no few shapes
    hold the bulk of the values (free text, or codes of every kind)."""
    values = values.dropna()
    if values.empty:
        return None
    for runs in (False, True):
        shaped = shapes(values, runs)
        counts = shaped.value_counts()
        total = int(counts.sum())
        taken: list[str] = []
        held = 0
        for shape, n in counts.items():
            if len(taken) == MAX_SHAPES or n < MIN_SHAPE * total or n < 2:
                break
            taken.append(str(shape))
            held += int(n)
            if held >= (DOMINANT if runs else EXACT_DOMINANT) * total:
                return [_format(values, shaped, s, int(counts[s]), runs) for s in taken], runs
    return None


def top_formats(values: pd.Series, limit: int = MAX_SHAPES) -> list[Format]:
    """The most frequent shapes of a column (for the message when no few shapes dominate)."""
    values = values.dropna()
    shaped = shapes(values)
    counts = shaped.value_counts().head(limit)
    return [_format(values, shaped, str(s), int(n), False) for s, n in counts.items()]


def _format(values: pd.Series, shaped: pd.Series, shape: str, count: int, runs: bool) -> Format:
    members = values[(shaped == shape).fillna(False).to_numpy(dtype=bool)]
    examples = pd.unique(members)[:EXAMPLES]
    return Format(shape, count, tuple(str(e)[:30] for e in examples), runs, pattern_for(members)[1])


def shape_words(shape: str, runs: bool = False) -> dict[str, str]:
    """A shape in words: AA-999999 -> '2 letters, "-", 6 digits' / '2 个字母、“-”、6 位数字'."""
    parts: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    i = 0
    while i < len(shape):
        ch = shape[i]
        j = i
        while j < len(shape) and shape[j] == ch:
            j += 1
        n = j - i
        if ch in "9A汉":
            kind = {"9": "digits", "A": "letters", "汉": "chinese"}[ch]
            for lang in LANGUAGES:
                key = f"conventions.run_{kind}" if runs else f"conventions.n_{kind}"
                parts[lang].append(text(key, lang, n=n))
        else:
            for lang in LANGUAGES:
                parts[lang].append(text("conventions.literal", lang, text=shape[i:j]))
        i = j
    return {lang: text("conventions.joiner", lang).join(parts[lang]) for lang in LANGUAGES}


_QUOTES = {"en": "', '", "zh": "”、“"}  # between two examples inside the message's own quotes


def formats_text(formats: list[Format]) -> dict[str, str]:
    """The file's own formats with counts and examples, in both languages."""
    out = {}
    for lang in LANGUAGES:
        shown = [text("conventions.format", lang, shape=(f.words or shape_words(f.shape, f.runs))[lang], count=f"{f.count:,}",
                      examples=_QUOTES[lang].join(f.examples)) for f in formats]
        out[lang] = text("conventions.list_joiner", lang).join(shown)
    return out


def vocabulary_text(values: pd.Series, limit: int = 5) -> dict[str, str]:
    """The file's own words with counts (a closed list the file does not follow)."""
    counts = values.dropna().value_counts().head(limit)
    out = {}
    for lang in LANGUAGES:
        shown = [text("conventions.word", lang, word=str(w)[:30], count=f"{int(n):,}") for w, n in counts.items()]
        out[lang] = text("conventions.list_joiner", lang).join(shown)
    return out


_TOKEN = re.compile(r"[0-9]+|[A-Za-z]+|[\u3400-\u9fff]+|.", re.S)


def pattern_for(values: pd.Series) -> tuple[str, dict[str, str]]:
    """A regular expression (RE2 and Python alike) for codes of one shape, and it in words:
    tokens the same in every value stay literal (SKU-), the others are classes with their lengths."""
    tokens = [_TOKEN.findall(str(v)) for v in values.tolist()[:20_000]]  # one shape: same token count
    width = min(len(t) for t in tokens)
    parts: list[str] = []
    words: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for i in range(width):
        column = [t[i] for t in tokens]
        first = column[0]
        if all(c == first for c in column):
            parts.append(_literal(first))
            for lang in LANGUAGES:
                words[lang].append(text("conventions.literal", lang, text=first))
            continue
        lo, hi = min(len(c) for c in column), max(len(c) for c in column)
        size = "" if lo == hi == 1 else f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
        if first[0].isdigit():
            cls, kind = "[0-9]", "digits"
        elif "\u3400" <= first[0] <= "\u9fff":
            cls, kind = "[一-鿿]", "chinese"
        elif all(c.isupper() for c in column):
            cls, kind = "[A-Z]", "letters"
        else:
            cls, kind = "[A-Za-z]", "letters"
        parts.append(cls + size)
        n: int | str = lo if lo == hi else f"{lo}-{hi}"
        for lang in LANGUAGES:
            words[lang].append(text(f"conventions.n_{kind}", lang, n=n))
    return "".join(parts), {lang: text("conventions.joiner", lang).join(words[lang]) for lang in LANGUAGES}


_META = re.compile(r"([.^$*+?()\[\]{}|\\])")


def _literal(token: str) -> str:
    """A token as itself in a pattern: only regex metacharacters escaped (SKU- stays SKU-)."""
    return _META.sub(r"\\\1", token)



# --- the rules ------------------------------------------------------------------------------------

CONVENTION = describe(
    "CNV001",
    "file-follows-its-own-convention",
    Severity.WARNING,
    "file",
    """A house-style rule (a code format, a closed value list, a reference list, a code prefix, a required field) fails on almost all of a column: the file follows its own convention. Said once, with the file's own dominant format(s), instead of once per cell.

    Why: a thousand 'wrong format' errors on another company's valid codes bury the few real defects; what matters is that this file uses another convention, and whether the company adopts it (dq learn).
    Bad: 5,646 FMT001 errors, one per product, because the file's codes are SKU-00012 and the schema says FG000123.
    Good: one warning: 'internal_code: 5,646 of 5,650 values are not FG/SF/RM + 6 digits; this file writes 3 letters, "-", 5 digits (5,640, e.g. SKU-00012)'; then dq learn FILE to adopt it.
    """,
    engine=IN_RUN,
)


def _off_params(v: FieldValues, rows: pd.Index) -> pd.DataFrame:
    """The shape of each off-convention value, in words."""
    shown = shapes(v.clean.reindex(rows))
    words = {s: shape_words(s) for s in pd.unique(shown.dropna())}
    return pd.DataFrame({"shape": [words.get(s, {"en": "", "zh": ""}) if isinstance(s, str) else {"en": "", "zh": ""}
                                   for s in shown.tolist()]}, index=rows)


@field_rule("CNV002", "code-off-the-column-convention", Severity.WARNING, applies=lambda f: False,
            params=lambda f, s=None: {"labels": dict(f.labels)}, details=_off_params, engine=IN_RUN)
def code_off_convention(v: FieldValues, t: TableValues) -> pd.Series:
    """A code has another shape than the bulk of its column, in a file that follows its own code convention (CNV001).

    Why: one agreed format per master-data type: where a file's codes are SKU-00012, a code written SKU12 is the odd one out (a typo, or an item from another system).
    Bad: internal_code = SKU12 in a column of SKU-00012, SKU-00013 ...
    Good: internal_code = SKU-00014.
    """
    found = dominant(v.clean[v.present])
    if found is None:
        return pd.Series(False, index=v.raw.index)
    formats, runs = found
    return v.present & ~shapes(v.clean, runs).isin([f.shape for f in formats]).fillna(False).astype(bool)


# --- applying a convention ------------------------------------------------------------------------


class Facts(Protocol):
    """What the convention check needs to know of a column (the pandas table, or a database)."""

    def filled(self, key: str) -> int: ...

    def rows(self) -> int: ...  # the records of the table

    def values(self, key: str) -> pd.Series: ...  # the clean values of the filled cells (or a sample)

    def off_rows(self, key: str, shapes_: list[str], runs: bool) -> pd.Index: ...

    def table_for(self, rows: pd.Index) -> TableValues: ...  # a table holding at least `rows`


class TableFacts:
    """Facts of a loaded table (the pandas engine)."""

    def __init__(self, tv: TableValues) -> None:
        self.tv = tv

    def filled(self, key: str) -> int:
        return int(self.tv[key].present.sum())

    def rows(self) -> int:
        return len(self.tv.index)

    def values(self, key: str) -> pd.Series:
        v = self.tv[key]
        return v.clean[v.present.to_numpy(dtype=bool)]

    def off_rows(self, key: str, shapes_: list[str], runs: bool) -> pd.Index:
        v = self.tv[key]
        off = v.present & ~shapes(v.clean, runs).isin(shapes_).fillna(False).astype(bool)
        return v.raw.index[off.to_numpy(dtype=bool)]

    def table_for(self, rows: pd.Index) -> TableValues:
        return self.tv


@dataclass(frozen=True)
class Outcome:
    """A convention found: the one file-level finding's parameters, and the off-convention rows."""

    params: dict[str, Any]
    off: pd.Index


def settle(rule: Rule, key: str, failing: int, facts: Facts, adopt: dict[str, str],
           code_like: Callable[[], bool], example: bool = False) -> Outcome | None:
    """The convention a column follows when `rule` fails on most of it; None when it does not qualify.

    `adopt` names where to adopt the convention ({schema, key}); `code_like` says whether the
    column holds codes (checked for consistency with their own shapes) rather than words;
    `example`: the schema's house style is an example (the shipped schemas)."""
    if not rule.convention:
        return None
    empty = rule.convention_of == "rows"  # a required field left empty: counted over the records
    filled = facts.rows() if empty else facts.filled(key)
    # Spaces are no company's house style: only most of a large column is the file's way of writing.
    if not qualifies(filled, failing, example and rule.convention_of != "tidiness"):
        return None
    values = facts.values(key)
    off = pd.Index([], dtype="int64")
    if empty:
        own = {lang: text("conventions.left_empty", lang) for lang in LANGUAGES}
    elif rule.convention_of == "tidiness":
        own = {lang: text("conventions.untidy", lang) for lang in LANGUAGES}
    elif code_like():
        found = dominant(values)
        if found is not None:
            formats, runs = found
            off = facts.off_rows(key, [f.shape for f in formats], runs)
            own = formats_text(formats)
        else:
            own = formats_text(top_formats(values))
    else:
        own = vocabulary_text(values)
    title = {lang: text(f"rules.{rule.code}.title", lang) for lang in LANGUAGES}
    params = {"rule": rule.code, "rule_title": title, "failing": f"{failing:,}", "filled": f"{filled:,}",
              "formats": own, "schema": adopt.get("schema", ""), "key": adopt.get("key", "")}
    return Outcome(params, off)


def share_of(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else 0.0
