"""Excel's cell vocabulary, low in the package: column letters and user data written without being interpreted."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from dataquality.safe_text import excel_value

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

FORMULA_STARTS = ("=", "+", "-", "@")


@cache
def column_letter(index: int) -> str:
    """Excel's letters for a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@cache
def column_index(letters: str) -> int:
    """The 0-based column index of Excel's letters (A -> 0, AB -> 27; either case)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def put(cell: Cell, value: Any) -> None:
    """Set an openpyxl cell's value; text that starts with = + - @ stays text, never a formula.

    A cell covered by a merged range holds no value of its own (Excel shows the range's top-left
    cell), so writing to it is skipped: the top-left cell carries the value. Control characters are
    replaced and text is cut to Excel's 32,767 characters (safe_text).
    """
    from openpyxl.cell.cell import MergedCell

    if isinstance(cell, MergedCell):
        return
    value = excel_value(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
