"""The one adapter over fastexcel's message text (issue 26.5): an Excel error cell read through
fastexcel's CellError must come out as the error a person sees. This fails when the library
changes the text (then every error cell would read #ERROR!): update load/grid.py `excel_error`
and the upper pin of fastexcel in pyproject.toml together."""

from __future__ import annotations

from pathlib import Path

import fastexcel
from openpyxl import Workbook

from dataquality.load.grid import excel_error

_CODES = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"]


def test_every_excel_error_read_by_fastexcel_is_told_by_its_text(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["header"] * len(_CODES))
    ws.append(_CODES)  # openpyxl writes these as error cells (t="e")
    path = tmp_path / "errors.xlsx"
    wb.save(path)
    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, dtypes="string")
    _, errors = sheet.to_arrow_with_errors()
    assert errors is not None
    told = {err.position: excel_error(err.detail) for err in errors.errors}
    assert told == {(1, col): code for col, code in enumerate(_CODES)}


def test_a_text_naming_no_error_is_shown_as_error() -> None:
    assert excel_error("something else") == "#ERROR!"
    assert excel_error("Expected string but got 'Error(Unknown)'") == "#ERROR!"
