"""format_number writes numbers column-wise exactly as the per-value Python rule does."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd

from dataquality.checks.values import format_number


def _python(x: float) -> str | None:
    if math.isnan(x):
        return None
    return f"{int(x)}" if x.is_integer() and abs(x) < 1e18 else repr(x)


def test_format_number_equals_python_per_value() -> None:
    rnd = random.Random(3)
    values = [33.32, 0.1, 1e-05, 1e-4, 0.00012, 1.5e20, 123456789.123, 2.5, -0.0, 1e16 + 2, 1 / 3, 5e-324,
              1.7976931348623157e308, 1e15 + 0.5, 999999999999999.9, 100.0, 1e18, 1e18 - 128, -12.75,
              float("inf"), float("-inf"), float("nan")]
    values += [rnd.uniform(-1e6, 1e6) for _ in range(20000)]
    values += [round(rnd.uniform(0, 1000), 2) for _ in range(20000)]
    values += [rnd.uniform(-1, 1) * 10 ** rnd.randint(-30, 30) for _ in range(20000)]
    values += [float(rnd.randint(-10**17, 10**17)) for _ in range(5000)]
    got = format_number(pd.Series(values, index=pd.RangeIndex(3, 3 + len(values)))).tolist()
    want = [_python(v) for v in values]
    assert [None if g is None or g is pd.NA or (isinstance(g, float) and np.isnan(g)) else g for g in got] == want


def test_double_holds_equals_python_per_value() -> None:
    from dataquality.load.files import _double_holds
    from dataquality.load.table import TEXT

    rnd = random.Random(5)
    values = ["0000000000000000", "9007199254740992", "9007199254740993", "6222021234567890000", "6222021234567890123",
              "12345678901234567890123", "1000000000000000000000", "0012345678901234567", "999999999999999999"]
    values += ["".join(rnd.choice("0123456789") for _ in range(rnd.randint(16, 24))) for _ in range(20000)]
    values += [str(rnd.randint(1, 10**18) * 10 ** rnd.randint(0, 4)) for _ in range(5000)]
    # Around powers of two, where the nearest double may round up to the next power.
    for bits in range(60, 80):
        for near in (2**bits, 2**bits - 1, 2**bits + 1, 2**bits - 2 ** (bits - 53), 2**bits - 2 ** (bits - 54),
                     2**bits + 2 ** (bits - 52), 2**bits - 2 ** (bits - 53) - 1, rnd.randint(1, 2**53) << (bits - 53)):
            values += [str(near), "00" + str(near)]
    got = _double_holds(pd.Series(values, dtype=TEXT)).tolist()
    assert got == [float(int(s)) == int(s) for s in values]
    assert any(got) and not all(got)
