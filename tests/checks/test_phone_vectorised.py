"""The vectorised mobile check gives phonenumbers' own answer (parse_phone) for every 11-digit value."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dataquality.checks.identifiers import parse_phone, plain_mobiles
from dataquality.load.table import TEXT

eleven = st.text(alphabet="0123456789", min_size=10, max_size=10).map(lambda s: "1" + s)
landline = st.builds(lambda a, n: f"0{a}-{n}", st.text(alphabet="0123456789", min_size=2, max_size=3),
                     st.text(alphabet="0123456789", min_size=7, max_size=8))
anything = st.one_of(eleven, landline, st.text(alphabet="0123456789-+ 转()", min_size=1, max_size=14))


@settings(max_examples=300, deadline=None)
@given(st.lists(anything, min_size=1, max_size=200, unique=True))
def test_plain_mobiles_agree_with_phonenumbers(values: list[str]) -> None:
    fast = plain_mobiles(pd.Series(values, dtype=TEXT))
    for value, quick in zip(values, fast, strict=True):
        if quick:  # the fast path only ever says "valid, written the house way"
            assert parse_phone(value) == (True, None), value


def test_house_way_landlines_by_area_code() -> None:
    values = [f"0{a}-{n}" for a in ("10", "21", "755", "571", "999", "20", "311") for n in ("61234567", "8888888", "12345678")]
    fast = plain_mobiles(pd.Series(values, dtype=TEXT))
    for value, quick in zip(values, fast, strict=True):
        if quick:
            assert parse_phone(value) == (True, None), value
    assert fast.any()


def test_every_known_prefix_block() -> None:
    values = [f"1{p:02d}{n:08d}" for p in range(100) for n in (0, 12345678, 99999999)]
    fast = plain_mobiles(pd.Series(values, dtype=TEXT))
    assert [bool(x) for x in fast] == [parse_phone(v) == (True, None) for v in values]
