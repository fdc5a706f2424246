"""Writing user data into workbooks without it ever being interpreted."""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell

FORMULA_STARTS = ("=", "+", "-", "@")


def put(cell: Cell, value: Any) -> None:
    """Set a cell's value; text that starts with = + - @ stays text, never a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
