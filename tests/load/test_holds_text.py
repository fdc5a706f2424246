"""A record row is one where some cell holds more than whitespace: judged in Arrow, equal to str.strip()."""

from __future__ import annotations

import random

import pandas as pd

from dataquality.load.files import _holds_text
from dataquality.load.table import TEXT


def test_holds_text_equals_strip_for_every_code_point_and_mixed_cells() -> None:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    rnd = random.Random(3)
    spaces = [c for c in chars if c.isspace()] + ["\u200b", "\ufeff"]
    mixed = ["".join(rnd.choice(spaces) for _ in range(rnd.randint(0, 4))) for _ in range(2000)]
    mixed += [m + rnd.choice(chars) + m for m in mixed[:500]]
    values = chars + mixed + [None, ""]
    column = pd.Series(values, dtype=TEXT)
    want = (column.str.strip().fillna("") != "").to_numpy(dtype=bool)
    assert (_holds_text(column) == want).all()
