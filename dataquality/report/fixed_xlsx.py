"""Writing the fixed copy of a workbook (`dq fix`): only the corrected cells change.

The workbook is copied part by part (dataquality.ooxml): the sheets with corrections go through the
one cell editor, which rewrites only the corrected cells; every other part is copied unchanged,
so formulas, formatting, data validations, charts and macros survive. Each corrected cell gets an
amber fill on its own format and a note (old value, new value, rules), added below a note the
cell already had; a Changes sheet lists every correction, and a second run appends to it.

Values are written as what they are: numbers as numbers, dates as dates, everything else as an
inline string, which a spreadsheet never runs as a formula (= + - @ stay text). A cell covered by
a merged range (not its top-left cell) is never written. A formula replaced by its value leaves
the calculation chain (Excel rebuilds it); a shared formula's other cells keep their formula.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from dataquality.ooxml.cells import Column, new_sheet, rows_xml
from dataquality.ooxml.styles import Styles
from dataquality.ooxml.workbook import NoteStyle, WorkbookEdit
from dataquality.ooxml.worksheet import CellEdit, Worksheet
from dataquality.report.fixed_cells import CellWrite, ChangesSheet
from dataquality.xlsx import column_index

CHANGED_FILL = "FFF2CC"  # light amber: visible, prints fine in black and white
AUTHOR = "dq fix"
NOTE = NoteStyle(AUTHOR, 260, 90)


def write_fixed(source: Path, target: Path, cells: list[CellWrite], changes: ChangesSheet, macros: bool | None = None) -> None:
    """Write the fixed copy of `source` to `target` (a temporary name the caller renames); with
    `macros` given, the copy is an .xlsm (True) or an .xlsx without macros (False). Raises
    ooxml.OoxmlError for a workbook whose XML cannot be edited safely."""
    with WorkbookEdit(source, target) as book:
        if macros is not None:
            book.set_macros(macros)
        by_sheet: dict[str, list[CellWrite]] = defaultdict(list)
        for w in cells:
            by_sheet[book.sheet(w.sheet).name].append(w)
        edited: dict[str, Worksheet] = {}
        formula_removed = False
        for name in [n for n in book.sheets if n in by_sheet]:
            sheet = edited[name] = book.worksheet(name)
            writes = {(w.row, column_index(w.column)): w for w in by_sheet[name]}
            edits: dict[int, dict[int, CellEdit]] = defaultdict(dict)
            for (row, col), w in writes.items():
                edits[row][col] = CellEdit(_format(book.styles, w), w.value)
            outcome = sheet.edit(edits, skip_merged=True)
            formula_removed = formula_removed or outcome.formula_removed
            book.add_notes(name, sheet, outcome.written, [writes[cell].note for cell in outcome.written], NOTE)
        if formula_removed:
            book.drop_calc_chain()
        if changes.rows:
            _changes_sheet(book, source, changes, edited)
        for name, sheet in edited.items():
            book.put_worksheet(name, sheet)


def _format(styles: Styles, w: CellWrite) -> Callable[[int], int]:
    """The corrected cell's format from its own: the amber fill, and the number format the value needs."""

    def style(base: int) -> int:
        fmt = w.number_format
        if fmt is None and isinstance(w.value, int | float) and not isinstance(w.value, bool) and styles.number_format(base) == "@":
            fmt = "General"  # a text format would make Excel treat the next edit as text again
        return styles.with_fill(base, "FF" + CHANGED_FILL, fmt)

    return style


def _first_row(source: Path, sheet: str) -> list[object]:
    """Row 1 of a sheet as calamine reads it (to tell dq's own Changes sheet from the workbook's)."""
    import fastexcel

    try:
        frame = fastexcel.read_excel(str(source)).load_sheet(sheet, header_row=None, n_rows=1).to_pandas()
    except Exception:  # noqa: BLE001 - an unreadable sheet is simply not ours
        return []
    if frame.empty:
        return []
    return [None if v != v else v for v in frame.iloc[0].tolist()]  # NaN -> None


def _changes_sheet(book: WorkbookEdit, source: Path, changes: ChangesSheet, edited: dict[str, Worksheet]) -> None:
    """The Changes sheet: dq's own from an earlier run gets the new rows below; else a new sheet."""
    styles = book.styles
    text_xf = styles.xf(number_format="@")
    title, k = changes.title, 2
    while title in book.sheet_names and _first_row(source, title)[: len(changes.headers)] != changes.headers:
        title = f"{changes.title} {k}"  # the workbook's own sheet of that name is left alone
        k += 1
    columns = [Column([row[c] for row in changes.rows], text_xf) for c in range(len(changes.headers))]
    if title in book.sheet_names:
        sheet = edited.get(title) or edited.setdefault(title, book.worksheet(title))
        last = sheet.last_row()
        numbers = range(last + 1, last + 1 + len(changes.rows))
        sheet.append_rows(rows_xml(numbers, columns, sheet.p.decode()), numbers[-1] if numbers else last, len(columns) - 1)
        return
    head_xf = styles.xf(font=styles.font(bold=True))
    rows = rows_xml([1], [Column([h], head_xf) for h in changes.headers]) + rows_xml(range(2, 2 + len(changes.rows)), columns)
    book.add_sheet(title, new_sheet(rows, changes.widths))
