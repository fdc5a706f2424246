"""values.matches runs dq's RE2 patterns in pyarrow directly: pandas' str.contains gives the same
answers on ordinary text, but switches to Python's re (cell by cell, with its own `$`) when a
cell holds a line break."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dataquality.checks.values import _PLAIN_NUMBER, _UNTIDY_TEXT, _untidy_pattern, matches
from dataquality.load.table import TEXT

PATTERNS = [_UNTIDY_TEXT, _untidy_pattern(("nfkc", "trim", "collapse_spaces")), _untidy_pattern(("remove_spaces",)),
            "1[0-9]{10}", "[0-9]+"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab1 0\u3000.+-eＡ中", max_size=8)), max_size=30))
def test_matches_is_pandas_contains_and_fullmatch_without_line_breaks(cells: list[str | None]) -> None:
    s = pd.Series(cells, dtype=TEXT)
    for pattern in PATTERNS:
        assert matches(s, pattern).tolist() == s.str.contains(pattern, regex=True).fillna(False).astype(bool).tolist()
        assert matches(s, pattern, full=True).tolist() == s.str.fullmatch(pattern).fillna(False).astype(bool).tolist()
    assert matches(s, _PLAIN_NUMBER, full=True).tolist() == s.str.fullmatch(_PLAIN_NUMBER).fillna(False).astype(bool).tolist()


def test_a_line_break_does_not_change_how_the_pattern_reads() -> None:
    s = pd.Series(["a \n", "a ", "a\nb", None], dtype=TEXT)
    assert matches(s, " $").tolist() == [False, True, False, False]  # RE2: $ is the end of the cell
    assert matches(pd.Series([1, None], dtype=object), "1").tolist() == [True, False]  # not text yet: made text
