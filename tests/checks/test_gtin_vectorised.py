"""IDN002's vectorised check digit gives python-stdnum's answer for every cell (hypothesis)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import ean

from dataquality.checks.identifiers import gtin_is_valid, gtin_valid

# Digits, the separators stdnum removes, a Unicode dash it maps, other digit characters and letters.
ALPHABET = "0123456789" * 4 + " -\u2013\uff10\uff19\u0663xX\n"


def _valid_gtin(body: str) -> str:
    return body + ean.calc_check_digit(body)


cells = st.one_of(
    st.text(alphabet="0123456789", min_size=0, max_size=16),
    st.text(alphabet=ALPHABET, min_size=0, max_size=18),
    st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)).map(_valid_gtin),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, min_size=0, max_size=40))
def test_vectorised_gtin_equals_python_stdnum(values: list[str | None]) -> None:
    got = gtin_valid(pd.Series(values, dtype="string")).tolist()
    expected = [pd.NA if v is None else gtin_is_valid(v) for v in values]
    assert got == expected


def test_known_barcodes() -> None:
    values = ["6901234567892", "6901234567891", "12345670", "036000291452", "36000291452", "1234567",
              "10614141000415", "690 1234 567892", "\uff16901234567892", "", None]
    got = gtin_valid(pd.Series(values, dtype="string")).tolist()
    assert got == [True, False, True, True, True, False, True, True, True, False, pd.NA]
    assert got[:-1] == [gtin_is_valid(v) for v in values[:-1]]
