"""name_key runs in pyarrow's RE2; it must give exactly what Python's re gives (the reference below
is the former implementation, one Python regex call per row)."""

from __future__ import annotations

import random
import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dataquality.checks.duplicates import _PUNCTUATION, _PUNCTUATION_RE2, name_key
from dataquality.checks.values import casefold, nfkc
from dataquality.load.table import TEXT

LEGAL = {
    "有限公司": ("有限责任公司",),
    "股份有限公司": ("股份公司",),
    "co ltd": ("company limited", "co., ltd.", "limited"),
}


def _reference(names: pd.Series, legal_forms: dict[str, tuple[str, ...]]) -> pd.Series:
    key = casefold(nfkc(names)).astype(object)
    key = key.map(lambda s: s if pd.isna(s) else re.sub(_PUNCTUATION, "", s))
    variants: dict[str, str] = {}
    for i, (form, spellings) in enumerate(legal_forms.items()):
        for spelling in (form, *spellings):
            normal = re.sub(_PUNCTUATION, "", nfkc(pd.Series([spelling], dtype="str")).str.casefold().iloc[0])
            if normal:
                variants[normal] = f"\x00{i}"
    alternation = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    key = key.map(lambda s: s if pd.isna(s) else re.sub(f"(?:{alternation})$", lambda m: variants[m.group(0)], s))
    out = key.astype(TEXT)
    return out.mask(out == "")


def test_the_re2_punctuation_class_is_pythons_for_every_character() -> None:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    python = [bool(re.fullmatch(_PUNCTUATION, ch)) for ch in chars]
    re2 = pc.match_substring_regex(pa.array(chars), f"^{_PUNCTUATION_RE2}$").to_pylist()
    differ = [hex(ord(ch)) for ch, a, b in zip(chars, python, re2, strict=True) if a != b]
    assert differ == [], f"extend NOT_WORD_EXTRA in checks/duplicates.py: {differ[:20]}"


def test_name_key_equals_the_python_reference() -> None:
    rnd = random.Random(7)
    stems = ["上海华东机电", "Huadong", "ＡＢＣ贸易", "Müller & Söhne", "北京_星光", "东方.股份", "ŞİRKET", "ß-straße", ""]
    tails = ["有限公司", "有限责任公司", "股份有限公司", "股份公司", " Co., Ltd.", " Company Limited", " limited",
             "（有限公司）", "", " GmbH", "有限公司有限公司", "股份"]
    values: list[str | None] = [None]
    for _ in range(600):
        name = rnd.choice(stems) + rnd.choice(["", " ", "\u3000", "-", "·"]) + rnd.choice(tails)
        values.append(name.upper() if rnd.random() < 0.2 else name)
    names = pd.Series(values, dtype=TEXT, index=pd.RangeIndex(2, 2 + len(values)))
    pd.testing.assert_series_equal(name_key(names, LEGAL), _reference(names, LEGAL), check_names=False)
    plain = name_key(names, {})
    expected = casefold(nfkc(names)).astype(object).map(lambda s: s if pd.isna(s) else re.sub(_PUNCTUATION, "", s))
    expected = expected.astype(TEXT)
    pd.testing.assert_series_equal(plain, expected.mask(expected == ""), check_names=False)
