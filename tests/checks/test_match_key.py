"""match_key in pyarrow, per distinct value, equals the plain definition: NFKC, casefold, no whitespace."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from dataquality.checks.values import match_key
from dataquality.load.table import TEXT


def _plain(value: str | None) -> str | None:
    if value is None:
        return None
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value).casefold())


TRICKY = ["\U00010d50", "Ａ Ｂ", "Straße", "STRASSE", "ΣΑΣ", "İstanbul", "ẞ", "ﬁle", "六角螺栓 M8×20", "Ꭰ", "\u3000x\u00a0y\t", "ǅ", "①", "", "a]b^c-d\\"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(TRICKY), st.text(max_size=12)), max_size=40))
def test_match_key_is_nfkc_casefold_without_whitespace(values: list[str | None]) -> None:
    s = pd.Series(values, dtype=TEXT, index=pd.RangeIndex(7, 7 + len(values)))
    got = match_key(s)
    assert got.index.equals(s.index)
    assert [None if pd.isna(v) else v for v in got.tolist()] == [_plain(v) if v is not None else None for v in values]


def test_repeated_values_are_keyed_once_and_mapped_back() -> None:
    s = pd.Series(["Ａ Ｂ", None, "ab", "Ａ Ｂ"] * 50, dtype=TEXT)
    assert match_key(s).tolist()[:4] == ["ab", match_key(s).tolist()[1], "ab", "ab"]
    assert match_key(s).isna().sum() == 50


def test_the_casefold_ranges_cover_every_character_casefold_treats_differently() -> None:
    from dataquality.checks.values import CASEFOLD_RANGES

    covered = {c for a, b in CASEFOLD_RANGES for c in range(a, b + 1)}
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    differs = {c for c in points if chr(c).casefold() != chr(c).lower() or len(chr(c).lower()) != 1}
    # pyarrow's Unicode tables may be newer than this Python's (Garay, U+10D50, is cased there).
    lowered = pc.utf8_lower(pa.array([chr(c) for c in points])).to_pylist()
    differs |= {c for c, low in zip(points, lowered, strict=True) if chr(c).casefold() != low}
    assert differs - covered == set()
