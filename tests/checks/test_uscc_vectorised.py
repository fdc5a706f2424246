"""IDN001's vectorised check character gives uscc_is_valid's answer (python-stdnum plus authorities A/N/Y) for every cell."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc

from dataquality.checks.identifiers import uscc_is_valid, uscc_valid

CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _with_check(body: str) -> str:
    return body + uscc.calc_check_digit(body)


bodies = st.tuples(st.sampled_from("123456789ANY0"), st.text(alphabet="0123456789", min_size=7, max_size=7),
                   st.text(alphabet=CODE, min_size=9, max_size=9)).map("".join)
cells = st.one_of(
    bodies.map(_with_check),                                               # valid
    st.tuples(bodies, st.sampled_from(CODE)).map("".join),                 # any check character
    st.text(alphabet=CODE + "IOSVZ iosv-\uff10\u2013", min_size=0, max_size=20),  # other spellings and lengths
    bodies.map(_with_check).map(str.lower),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, min_size=0, max_size=40))
def test_vectorised_uscc_equals_uscc_is_valid(values: list[str | None]) -> None:
    got = uscc_valid(pd.Series(values, dtype="string")).tolist()
    assert got == [pd.NA if v is None else uscc_is_valid(v) for v in values]


def test_known_codes() -> None:
    values = ["91310000MA1FL4CT3U", "91310000MA1FL4CT3X", "91110000600037341L", "91110000600037341l",
              "9131 0000 MA1F L4CT 3U", "12345", "", None]
    got = uscc_valid(pd.Series(values, dtype="string")).tolist()
    assert got[:2] == [True, False] and got[-1] is pd.NA
    assert got[:-1] == [uscc_is_valid(v) for v in values[:-1]]
