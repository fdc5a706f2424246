"""Writing user data into workbooks without it ever being interpreted."""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell, MergedCell

from dataquality.safe_text import excel_value

FORMULA_STARTS = ("=", "+", "-", "@")


def put(cell: Cell, value: Any) -> None:
    """Set a cell's value; text that starts with = + - @ stays text, never a formula.

    A cell covered by a merged range holds no value of its own (Excel shows the range's top-left
    cell), so writing to it is skipped: the top-left cell carries the value. Control characters are
    replaced and text is cut to Excel's 32,767 characters (safe_text).
    """
    if isinstance(cell, MergedCell):
        return
    value = excel_value(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
