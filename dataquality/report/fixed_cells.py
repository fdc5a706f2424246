"""What dq fix writes into its copy: the corrected cells and the Changes sheet, for both writers
(fixed_xlsx edits the sheet XML, fixed_openpyxl is its fallback)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CellWrite:
    """One corrected cell: where, the value to store, the number format it needs (None: keep the
    cell's, except that a number in a text-formatted cell gets General), and its note."""

    sheet: str | None
    row: int
    column: str  # letters, e.g. "E"
    value: str | int | float | dt.datetime
    number_format: str | None
    note: str


@dataclass(frozen=True)
class ChangesSheet:
    """The list of changes: a sheet named `title` (or `title 2` ... when the workbook has its own
    sheet of that name with other headers), `headers` on row 1, `rows` below; all text."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    widths: Sequence[float]
