"""A workbook holding the text of a file dq read (CSV, .xls, .ods, or an .xlsx whose XML the cell
editor refuses): the file annotated when the file itself cannot be.

XlsxWriter makes the empty workbook (one sheet per sheet of the file); the cells go in as rows of
inline strings (ooxml.cells), so text is never taken for a formula or a number.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from dataquality.load.grid import iter_grids, read_csv_grid, sniff_kind
from dataquality.ooxml.cells import Column, rows_xml
from dataquality.ooxml.workbook import WorkbookEdit

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _title(name: str, taken: set[str]) -> str:
    """An Excel sheet name for `name`: no []:*?/\\, at most 31 characters, not taken (case ignored)."""
    base = (_BAD_SHEET_CHARS.sub("_", name).strip("'") or "Sheet")[:31]
    title, n = base, 2
    while title.casefold() in taken:
        title = f"{base[:31 - len(str(n)) - 1]}-{n}"
        n += 1
    taken.add(title.casefold())
    return title


def text_copy(source: Path) -> tuple[io.BytesIO, dict[str | None, str]]:
    """The workbook of `source`'s text, and the name each of its sheets got (a CSV's sheet is None)."""
    import xlsxwriter

    kind = sniff_kind(source)
    grids = []
    titles: dict[str | None, str] = {}
    taken: set[str] = set()
    for sheet, book in iter_grids(source, kind):
        grid = read_csv_grid(source) if book is None else book.grid(sheet)
        titles[sheet.name] = _title(sheet.name or source.stem, taken)
        grids.append((titles[sheet.name], grid))
    empty = io.BytesIO()
    wb = xlsxwriter.Workbook(empty, {"in_memory": True})
    for title, _ in grids:
        wb.add_worksheet(title)
    wb.close()
    empty.seek(0)
    filled = io.BytesIO()
    with WorkbookEdit(empty, filled) as out:
        for title, grid in grids:
            sheet = out.worksheet(title)
            width = int(max(grid.columns, default=-1)) + 1
            values = {int(c): [v if isinstance(v, str) else None for v in grid[c].tolist()] for c in grid.columns}
            columns = [Column(values.get(c, [None] * len(grid))) for c in range(width)]
            numbers = [int(n) for n in grid.index]
            if numbers and width:
                sheet.append_rows(rows_xml(numbers, columns, sheet.p.decode()), numbers[-1], width - 1)
            out.put_worksheet(title, sheet)
    filled.seek(0)
    return filled, titles
