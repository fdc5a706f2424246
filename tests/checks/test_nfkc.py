"""NFKC runs in pyarrow's kernel; it must equal Python's unicodedata for every value."""

from __future__ import annotations

import random
import unicodedata

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dataquality.checks.values import _NFKC_BY_PYTHON, nfkc, nfkc_arrow
from dataquality.load.table import TEXT


def test_every_code_point_pyarrow_normalises_differently_goes_to_python() -> None:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    arrow = pc.utf8_normalize(pa.array(chars), "NFKC").to_pylist()
    differ = [ch for ch, got in zip(chars, arrow, strict=True) if got != unicodedata.normalize("NFKC", ch)]
    routed = pc.match_substring_regex(pa.array(differ, type=pa.string()), _NFKC_BY_PYTHON).to_pylist() if differ else []
    missing = [hex(ord(ch)) for ch, r in zip(differ, routed, strict=True) if not r]
    assert missing == [], f"extend NFKC_DIFFERS in checks/values.py: {missing[:20]}"
    assert nfkc_arrow(pa.array(differ, type=pa.large_string())).to_pylist() == [unicodedata.normalize("NFKC", c) for c in differ]


def test_nfkc_equals_unicodedata_on_mixed_text() -> None:
    rnd = random.Random(4)
    pieces = ["１２３", "Ａｂ", "ｶﾞ", "ﬁ", "e\u0301", "①", "㍻", "\u3000", "成本", "abc", "Å", "\u0558", "ℌ", "⁵", " "]
    values = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 5))) for _ in range(5000)] + [None]
    s = pd.Series(values, dtype=TEXT, index=pd.RangeIndex(3, 3 + len(values)))
    want = [None if v is None else unicodedata.normalize("NFKC", v) for v in values]
    got = nfkc(s)
    assert got.dtype == TEXT
    assert [None if pd.isna(v) else v for v in got] == want
