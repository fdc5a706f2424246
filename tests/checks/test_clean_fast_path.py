"""clean_stages runs the cleaning steps only on the cells one pass marks as possibly untidy:
the result must equal running every step on every cell, for every combination of steps."""

from __future__ import annotations

import itertools
import random

import pandas as pd
import pytest

from dataquality.checks.values import _tidy, clean_stages
from dataquality.load.table import TEXT

_PIECES = ["A", "b", "1", "成本", "ＡＢ", "１２", "\u3000", " ", "  ", "\t", "\u200b", "\ufeff", "ß", "ﬁ", "é", "-", "\n", "\xa0"]
_STEPS = ["nfkc", "trim", "collapse_spaces", "remove_spaces", "upper"]


def _column(seed: int, n: int = 400, tidy_share: float = 0.9) -> pd.Series:
    rnd = random.Random(seed)
    values: list[str | None] = []
    for _ in range(n):
        if rnd.random() < 0.05:
            values.append(None)
        elif rnd.random() < tidy_share:
            values.append(rnd.choice(["P-001", "成本中心", "Steel bolt M8", "42", "abc"]))
        else:
            values.append("".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 6))))
    return pd.Series(values, dtype=TEXT, index=pd.RangeIndex(5, 5 + n))


@pytest.mark.parametrize("tidy_share", [1.0, 0.9, 0.2])
def test_fast_path_equals_every_step_on_every_cell(tidy_share: float) -> None:
    for r in range(0, len(_STEPS) + 1):
        for steps in itertools.combinations(_STEPS, r):
            raw = _column(r * 31 + len(steps), tidy_share=tidy_share)
            got_nfkc, got_ws, got_final = clean_stages(raw, steps)
            want_nfkc, want_ws = _tidy(raw, steps)
            want_final = want_ws.str.upper() if "upper" in steps else want_ws
            for got, want in ((got_nfkc, want_nfkc), (got_ws, want_ws), (got_final, want_final)):
                pd.testing.assert_series_equal(got, want, check_names=False)
                assert got.dtype == raw.dtype


@pytest.mark.parametrize("tidy_share", [1.0, 0.9, 0.2])
def test_compare_text_rewrites_only_what_it_would_change(tidy_share: float) -> None:
    from dataquality.checks.values import _compare_text_all, compare_text

    for seed in range(6):
        raw = _column(seed, n=800, tidy_share=tidy_share)
        raw = pd.concat([raw, pd.Series(["\x1ca", "a\x1f", "a  b", " a", "a ", "a\tb", "ａ"], dtype=TEXT)], ignore_index=True)
        pd.testing.assert_series_equal(compare_text(raw), _compare_text_all(raw.astype(TEXT)), check_names=False)
