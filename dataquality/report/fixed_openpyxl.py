"""The fixed copy through openpyxl: for workbooks the direct XML editor (fixed_xlsx) leaves alone,
e.g. a sheet that already has notes (a second `dq fix` run on a fixed copy), whose notes openpyxl
merges. Slower: it loads and re-saves every cell."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dataquality.safe_text import excel_text
from dataquality.xlsx import put

if TYPE_CHECKING:
    from dataquality.report.fixed_cells import CellWrite, ChangesSheet


def write_with_openpyxl(source: Path, target: Path, cells: list[CellWrite], changes: ChangesSheet, keep_vba: bool,
                        fill_rgb: str, author: str, note_size: tuple[int, int]) -> None:
    from openpyxl import load_workbook
    from openpyxl.cell.cell import MergedCell
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    wb = load_workbook(source, keep_vba=keep_vba)
    fill = PatternFill("solid", start_color=fill_rgb, end_color=fill_rgb)
    for w in cells:
        ws = wb[w.sheet] if w.sheet else wb.active
        cell = ws[f"{w.column}{w.row}"]
        if isinstance(cell, MergedCell):
            continue  # a value merged down is held by the range's top-left cell, corrected on its own row
        put(cell, w.value)
        if w.number_format:
            cell.number_format = w.number_format
        elif isinstance(w.value, int | float) and cell.number_format == "@":
            cell.number_format = "General"  # a text format would make Excel treat the next edit as text again
        cell.fill = fill
        previous = cell.comment.text + "\n" if cell.comment is not None else ""
        cell.comment = Comment(excel_text(previous + w.note), author, width=note_size[0], height=note_size[1])
    _changes_sheet(wb, changes)
    wb.save(target)


def _changes_sheet(wb: object, changes: ChangesSheet) -> None:
    """List the changes on the Changes sheet; a second run adds its rows below the first's."""
    from openpyxl.styles import Font

    title = changes.title
    headers = changes.headers
    n = 2
    while title in wb.sheetnames and [c.value for c in wb[title][1]][: len(headers)] != headers:  # type: ignore[attr-defined]
        title = f"{changes.title} {n}"  # the workbook's own sheet of that name is left alone
        n += 1
    if title in wb.sheetnames:  # type: ignore[attr-defined]
        ws = wb[title]  # type: ignore[index]
    else:
        ws = wb.create_sheet(title)  # type: ignore[attr-defined]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGHIJ", _widths(changes.widths), strict=False):
            ws.column_dimensions[letter].width = width
    start = ws.max_row + 1  # computed once: openpyxl's max_row walks every cell
    for r, values in enumerate(changes.rows, start=start):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            put(cell, value)
            cell.number_format = "@"


def _widths(widths: Sequence[float]) -> list[float]:
    return list(widths)
