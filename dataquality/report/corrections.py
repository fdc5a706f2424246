"""Correction lists: one workbook per department with its issues and columns to fill in."""

from __future__ import annotations

from collections import defaultdict
from copy import copy
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.worksheet import Worksheet

from dataquality.fileio import atomic_path, inside, unique_filenames
from dataquality.i18n import text
from dataquality.issue import Issue, Severity
from dataquality.issue import column_letter as _letter
from dataquality.pipeline import Result
from dataquality.report import ReportOptions
from dataquality.report.common import (
    department_label,
    entity_label,
    field_label,
    issue_number,
    out_dir,
    tracking_columns,
    where,
)
from dataquality.xlsx import put

SUBFOLDER = "corrections"  # inside --out when written as a --format next to other reports
FILL_IN = ("corrected_value", "done_by", "done_on")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_TODO_FILL = PatternFill("solid", fgColor="FFF2CC")
_SEVERITY_FONT = {Severity.ERROR: Font(color="C00000", bold=True), Severity.WARNING: Font(color="B26A00"), Severity.INFO: Font(color="1F4E79")}
_WIDTHS = {"issue_number": 18, "severity": 8, "entity": 8, "key": 14, "field": 14, "file": 18, "cell": 16, "value": 20,
           "message": 48, "suggestion": 40, "age_days": 10, "due": 12, "overdue": 8, "corrected_value": 20, "done_by": 12, "done_on": 12}


INDEX_STEM = "_index"  # _index.xlsx maps each list's file to its department


def write(result: Result, options: ReportOptions) -> list[Path]:
    """Write the lists into <out>/corrections/ (next to the other reports), and their index."""
    folder = out_dir(options.out) / SUBFOLDER
    lists = write_lists(result, folder, options.lang)
    return [*lists, index_path(folder)] if lists else lists


def index_path(folder: Path) -> Path:
    """The index workbook of a corrections folder."""
    return folder.resolve() / f"{INDEX_STEM}.xlsx"


def by_department(issues: list[Issue], lang: str) -> dict[str, list[Issue]]:
    """Issues grouped by the department that must fix them, in the order a person works through them."""
    groups: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        groups[department_label(issue.department, lang)].append(issue)
    order = lambda i: (i.entity or "", i.file, i.sheet or "", i.row or 0, -i.severity.rank, i.field or "")  # noqa: E731
    return {dept: sorted(found, key=order) for dept, found in sorted(groups.items())}


def write_lists(result: Result, folder: Path, lang: str) -> list[Path]:
    """One <department>.xlsx per department that has issues; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    when = result.started_at.strftime("%Y-%m-%d %H:%M")
    groups = by_department(result.issues, lang)
    # The names come from data (routing or the record's department): safe, short, distinct, inside the folder.
    names = unique_filenames(list(groups), ".xlsx", reserved=(f"{INDEX_STEM}.xlsx",))
    for dept, issues in groups.items():
        path = inside(folder, names[dept])
        with atomic_path(path) as tmp:
            _workbook(dept, issues, lang, when).save(tmp)
        written.append(path)
    if written:
        _write_index(folder, groups, names, lang)
    return written


def _write_index(folder: Path, groups: dict[str, list[Issue]], names: dict[str, str], lang: str) -> None:
    """_index.xlsx: which file holds which department's list, and how many issues it has."""
    wb = Workbook()
    ws = wb.active
    ws.title = text("names.index_sheet", lang)[:31]
    ws.append([text("names.index_file", lang), text("names.index_department", lang), text("names.index_issues", lang)])
    for c in ws[1]:
        c.font = Font(bold=True)
    for r, (dept, issues) in enumerate(groups.items(), start=2):
        put(ws.cell(row=r, column=1), names[dept])
        ws.cell(row=r, column=1).hyperlink = names[dept]
        put(ws.cell(row=r, column=2), dept)
        ws.cell(row=r, column=3, value=len(issues))
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 40
    with atomic_path(index_path(folder)) as tmp:
        wb.save(tmp)


def _columns(issues: list[Issue]) -> list[str]:
    track = [c for c in tracking_columns(issues) if c != "issue_number"]
    return ["issue_number", "severity", "entity", "key", "field", "file", "cell", "value", "message", "suggestion", *track, *FILL_IN]


def _label(column: str, lang: str) -> str:
    if column == "suggestion":
        return text("report.col.hint", lang)
    return text(f"report.col.{column}", lang)


def _values(issue: Issue, lang: str) -> dict[str, object]:
    # The suggestion is the corrected value itself when the rule can fix it automatically.
    suggestion = issue.fixed_value if issue.fixable and issue.fixed_value not in (None, "") else issue.hint(lang)
    overdue = issue.tracking.get("overdue")
    return {
        "issue_number": issue_number(issue),
        "severity": text(f"severity.{issue.severity.value}", lang),
        "entity": entity_label(issue.entity, lang),
        "key": issue.key,
        "field": field_label(issue, lang),
        "file": issue.file,
        "cell": where(issue),
        "value": issue.value,
        "message": issue.message(lang),
        "suggestion": suggestion,
        "age_days": issue.tracking.get("age_days"),
        "due": issue.tracking.get("due"),
        "overdue": None if overdue is None else text("report.yes" if overdue else "report.no", lang),
    }


class _Cells:
    """Write-only cells for one sheet; each distinct style is built once and stamped onto later cells."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self._styles: dict[str, StyleArray] = {}

    def __call__(self, value: object, key: str | None = None, **style: object) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws)
        put(cell, value)
        if key is None:
            return cell
        stamp = self._styles.get(key)
        if stamp is None:
            for name, v in style.items():
                setattr(cell, name, v)
            self._styles[key] = copy(cell._style)
        else:
            # Copying the style array skips openpyxl's per-cell style lookup: about a third of the time
            # for a list of tens of thousands of issues.
            cell._style = copy(stamp)
        return cell


def _workbook(dept: str, issues: list[Issue], lang: str, when: str) -> Workbook:
    # Write-only mode: a department with tens of thousands of issues is still written in seconds.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(text("corrections.sheet", lang))
    columns = _columns(issues)
    for i, col in enumerate(columns):
        ws.column_dimensions[_letter(i)].width = _WIDTHS.get(col, 14)
    ws.freeze_panes = "C4"
    ws.auto_filter.ref = f"A3:{_letter(len(columns) - 1)}{len(issues) + 3}"
    cell = _Cells(ws)
    ws.append([cell(text("corrections.title", lang, department=dept, n=len(issues), when=when), "title", font=Font(bold=True, size=14))])
    ws.append([cell(text("corrections.instructions", lang), "note", font=Font(italic=True, color="595959"))])
    header = []
    for col in columns:
        fill = _TODO_FILL if col in FILL_IN else _HEADER_FILL
        font = Font(bold=True, color="000000" if col in FILL_IN else "FFFFFF")
        header.append(cell(_label(col, lang), "todo-head" if col in FILL_IN else "head", font=font, fill=fill, alignment=Alignment(horizontal="center", wrap_text=True)))
    ws.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    for issue in issues:
        values = _values(issue, lang)
        row = []
        for col in columns:
            if col in FILL_IN:
                row.append(cell(None, col, fill=_TODO_FILL, number_format="yyyy-mm-dd" if col == "done_on" else "@"))
            elif col == "severity":
                row.append(cell(values[col], issue.severity.value, font=_SEVERITY_FONT[issue.severity]))
            elif col in ("message", "suggestion"):
                row.append(cell(values[col], "wrap", alignment=wrap))
            else:
                row.append(cell(values[col]))
        ws.append(row)
    return wb
