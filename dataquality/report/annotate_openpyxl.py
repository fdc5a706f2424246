"""The annotated workbook through openpyxl: for workbooks the direct XML editor leaves alone
(a sheet that already has comments, an unusual layout) and for CSV/xls inputs, which are copied
into a new workbook first. Slower than the XML editor, but it merges existing comments."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.workbook import Workbook as WorkbookType

from dataquality.i18n import text
from dataquality.issue import Issue
from dataquality.load.grid import iter_grids, read_csv_grid, sniff_kind
from dataquality.report.common import where
from dataquality.report.marks import (
    FILLS,
    HEADER_FILL,
    Mark,
    comment_text,
    issue_rows,
    letters,
    said,
)
from dataquality.safe_text import excel_text
from dataquality.xlsx import put

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _copy_as_workbook(source: Path) -> tuple[WorkbookType, str | None]:
    """A CSV, xls or ods file as a new workbook of its cell text; returns it and the CSV's sheet name."""
    kind = sniff_kind(source)
    wb = Workbook()
    wb.remove(wb.active)
    csv_sheet = None
    for sheet, book in iter_grids(source, kind):
        grid = read_csv_grid(source) if book is None else book.grid(sheet)
        title = sheet.name or _BAD_SHEET_CHARS.sub("_", source.stem)[:31] or "Sheet1"
        if sheet.name is None:
            csv_sheet = title
        ws = wb.create_sheet(title)
        for row_no, values in zip(grid.index, grid.itertuples(index=False), strict=True):
            for col_no, value in zip(grid.columns, values, strict=True):
                if isinstance(value, str):
                    put(ws.cell(row=int(row_no), column=int(col_no) + 1), value)
    return wb, csv_sheet


def annotate_with_openpyxl(source: Path, target: Path, marks: list[Mark], issues: list[Issue], lang: str) -> None:
    """Write the annotated copy of `source` to `target` using openpyxl."""
    wb = None
    csv_sheet = None
    if source.suffix.lower() in (".xlsx", ".xlsm") and sniff_kind(source) == "xlsx":
        try:
            wb = load_workbook(source, keep_vba=source.suffix.lower() == ".xlsm", rich_text=True)
        except Exception:  # noqa: BLE001 - openpyxl is stricter than calamine (no styles part, NaN): copy the text
            wb = None
    if wb is None:
        wb, csv_sheet = _copy_as_workbook(source)
    author = text("xlsx.comment_author", lang)
    cache = said(issues, lang)
    for mark in marks:
        ws = wb[mark.sheet] if mark.sheet in wb.sheetnames else wb[csv_sheet or wb.sheetnames[0]]
        cell = ws.cell(row=mark.row, column=mark.col + 1)
        cell.fill = PatternFill("solid", fgColor=FILLS[mark.severity])
        note = comment_text(mark, lang, cache)
        if cell.comment is not None and cell.comment.text:
            note = f"{note}\n\n{cell.comment.text}"  # keep the note that was already there
        cell.comment = Comment(excel_text(note), author, width=320, height=min(60 + 14 * note.count("\n"), 400))
    wanted = text("xlsx.issues_sheet", lang)
    title, n = wanted, 2
    while title.casefold() in {s.casefold() for s in wb.sheetnames}:
        title = f"{wanted} ({n})"
        n += 1
    ws = wb.create_sheet(title)
    header, rows = issue_rows(issues, lang, cache)
    ws.append(header)
    for c in range(1, len(header) + 1):
        ws.cell(row=1, column=c).font = Font(bold=True, color="FFFFFF")
        ws.cell(row=1, column=c).fill = PatternFill("solid", fgColor=HEADER_FILL)
    for r, (issue, values) in enumerate(zip(issues, rows, strict=True), start=2):
        for c, value in enumerate(values, start=1):
            put(ws.cell(row=r, column=c), value)
        ws.cell(row=r, column=2).fill = PatternFill("solid", fgColor=FILLS[issue.severity])
        if issue.row is not None:
            sheet = issue.sheet or csv_sheet or wb.sheetnames[0]
            link = ws.cell(row=r, column=6)
            link.hyperlink = "#'" + sheet.replace("'", "''") + f"'!{issue.column or 'A'}{issue.row}"
            link.value = where(issue) or link.value
            link.font = Font(underline="single", color="0563C1")
    if not issues:
        ws.cell(row=2, column=1, value=text("xlsx.no_issues", lang))
    ws.freeze_panes = "A2"
    for c, width in enumerate([16, 8, 9, 8, 10, 20, 14, 14, 22, 60, 50]):
        ws.column_dimensions[letters(c)].width = width
    wb.save(target)
