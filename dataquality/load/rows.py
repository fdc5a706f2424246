"""Where a table's records are: rows under the header that are not totals, sign-off or note rows.

A person reads past a totals line (合计, Total), a sign-off line (制表人：… 审核：… 批准：…) and a
note under the table (注：…, 说明：…), and knows that the lines under a note are not records
either. A blank row inside the data does not end the table; rows hidden by a filter are records.

Vectorised: only the first filled cell of each row is tested against the labels, one column at
a time, and only the few rows that match are looked at one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_TOTAL_WORDS = r"合\s*计|总\s*计|小\s*计|汇\s*总|合計|總計|total|totals|subtotal|sub-total|grand\s*total|sum"
_SIGNOFF_WORDS = (
    r"制表人|制表|制单人|制单|审核人|审核|审批人|审批|批准人|批准|编制人|编制|复核人|复核|核准|经办人|经手人|"
    r"填表人|填报人|填表日期|填报日期|制表日期|日期|签字|签名|签章|盖章|prepared\s*by|checked\s*by|"
    r"approved\s*by|reviewed\s*by|signature"
)
_NOTE_WORDS = r"注|注意|注释|说明|备注|附注|填表说明|温馨提示|提示|note|notes|remark|remarks"

TOTAL = re.compile(rf"^\s*(?:{_TOTAL_WORDS})\s*[:：]?\s*$", re.I)
SIGNOFF_CELL = re.compile(rf"^\s*(?:{_SIGNOFF_WORDS})\s*(?:[:：].*)?$", re.I | re.S)
SIGNOFF_COLON = re.compile(rf"^\s*(?:{_SIGNOFF_WORDS})\s*[:：]", re.I)
NOTE = re.compile(rf"^\s*(?:(?:{_NOTE_WORDS})\s*[:：]|注\s*\d*\s*[、.．])", re.I)
_ANY = re.compile(rf"^\s*(?:(?:{_TOTAL_WORDS})|(?:{_SIGNOFF_WORDS})|(?:{_NOTE_WORDS})|注)", re.I)
# The same test in a form pyarrow's RE2 runs (case-insensitive via ignore_case, \s spelled out as
# the characters Python's \s matches): pandas would otherwise call Python's re once per row.
_SPACE_CLASS = "[" + "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "]"
_ANY_RE2 = _ANY.pattern.replace(r"\s", _SPACE_CLASS)


@dataclass(frozen=True)
class NotARecord:
    """A row under the header that is not a record: kind is total, signoff or note."""

    row: int
    kind: str
    label: str
    below: int = 0  # for a note: how many filled rows under it were left out with it


def non_records(body: pd.DataFrame) -> list[NotARecord]:
    """The totals, sign-off and note rows of `body` (every column of the sheet, rows under the header).

    Everything under a note row is left out with it (a legend or a second note follows a note).
    """
    if body.empty:
        return []
    filled = body.notna().to_numpy()
    any_filled = filled.any(axis=1)
    first = filled.argmax(axis=1)
    candidates = np.zeros(len(body), dtype=bool)
    for col in np.unique(first[any_filled]):  # a loop over columns, not rows
        idx = np.flatnonzero(any_filled & (first == col))
        cells = body.iloc[idx, int(col)]
        hit = cells.str.contains(_ANY_RE2, case=False, regex=True).fillna(False).to_numpy(dtype=bool)
        candidates[idx[hit]] = True
    found: list[NotARecord] = []
    rows = body.index.to_numpy()
    for pos in np.flatnonzero(candidates):  # only the rows whose first cell is such a label
        values = [str(v) for v in body.iloc[pos].tolist() if isinstance(v, str) and v.strip()]
        kind = _kind(values)
        if kind is None:
            continue
        row = int(rows[pos])
        label = (values[0].splitlines() or [values[0]])[0][:40]
        if kind == "note":
            below = int(any_filled[pos + 1:].sum())
            found.append(NotARecord(row, kind, label, below))
            found.extend(NotARecord(int(r), "below_note", label) for r in rows[pos + 1:][any_filled[pos + 1:]])
            break
        found.append(NotARecord(row, kind, label))
    return found


def _kind(values: list[str]) -> str | None:
    first = values[0]
    if TOTAL.match(first):
        return "total"
    if all(SIGNOFF_CELL.match(v) for v in values) and (len(values) >= 2 or SIGNOFF_COLON.match(first)):
        return "signoff"
    if NOTE.match(first) and len(values) <= 2:
        return "note"
    return None
