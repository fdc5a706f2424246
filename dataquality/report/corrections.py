"""Correction lists: one workbook per department with its issues and columns to fill in."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from dataquality.fileio import atomic_path, inside, unique_filenames
from dataquality.i18n import text
from dataquality.issue import Issue, Severity, texts_of
from dataquality.ooxml.cells import Column, rows_xml
from dataquality.ooxml.styles import Styles
from dataquality.ooxml.workbook import WorkbookEdit
from dataquality.report import ReportOptions
from dataquality.report.columns import field_labels, places
from dataquality.report.common import (
    department_label,
    entity_label,
    out_dir,
    tracking_columns,
)
from dataquality.result import Result

SUBFOLDER = "corrections"  # inside --out when written as a --format next to other reports
FILL_IN = ("corrected_value", "done_by", "done_on")
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
    """Issues grouped by the department that must fix them, in the order a person works through them:
    errors, then warnings, then notes; within each, by entity, file, sheet, row and field."""
    groups: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        groups[department_label(issue.department, lang)].append(issue)
    order = lambda i: (-i.severity.rank, i.entity or "", i.file, i.sheet or "", i.row or 0, i.field or "")  # noqa: E731
    return {dept: sorted(found, key=order) for dept, found in sorted(groups.items())}


def list_number(issue: Issue) -> str:
    """The number a correction list shows: the DQ number tracking gave, else nothing (a fingerprint
    would be a number no one can look up, and one `dq corrections import` cannot read back)."""
    return str(issue.tracking.get("issue_number") or "") if issue.tracking else ""


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
            _write_workbook(tmp, dept, issues, lang, when)
        written.append(path)
    if written:
        _write_index(folder, groups, names, lang)
    return written


def _write_index(folder: Path, groups: dict[str, list[Issue]], names: dict[str, str], lang: str) -> None:
    """_index.xlsx: which file holds which department's list, and how many issues it has."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from dataquality.xlsx import put

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


_FIRST_ROW = 4  # the issue rows start below the title, the instructions and the headers


def _columns(issues: list[Issue]) -> list[str]:
    track = [c for c in tracking_columns([i for i in issues if i.tracking]) if c != "issue_number"]
    return ["issue_number", "severity", "entity", "key", "field", "file", "cell", "value", "message", "suggestion", *track, *FILL_IN]


def _label(column: str, lang: str) -> str:
    if column == "suggestion":
        return text("report.col.hint", lang)
    return text(f"report.col.{column}", lang)


def _skeleton(dept: str, issues: list[Issue], columns: list[str], lang: str, when: str) -> io.BytesIO:
    """The list without its issue rows, as XlsxWriter writes it: title, instructions, headers and
    their formats, column widths, frozen panes and the filter over the rows to come."""
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
                                   "in_memory": True})
    ws = wb.add_worksheet(text("corrections.sheet", lang))
    for i, col in enumerate(columns):
        ws.set_column(i, i, _WIDTHS.get(col, 14))
    ws.freeze_panes(3, 2)  # C4
    ws.autofilter(2, 0, len(issues) + 2, len(columns) - 1)
    # write_string: = + - @ in a department's name stay text; XlsxWriter escapes control characters
    ws.write_string(0, 0, text("corrections.title", lang, department=dept, n=len(issues), when=when), wb.add_format({"bold": True, "font_size": 14}))
    said = text("corrections.instructions", lang)
    if not any(map(list_number, issues)):
        said += " " + text("corrections.untracked", lang)
    ws.write_string(1, 0, said, wb.add_format({"italic": True, "font_color": "#595959"}))
    for c, col in enumerate(columns):
        todo = col in FILL_IN
        head = wb.add_format({"bold": True, "font_color": "#000000" if todo else "#FFFFFF", "bg_color": "#FFF2CC" if todo else "#305496",
                              "pattern": 1, "align": "center", "text_wrap": True})
        ws.write_string(2, c, _label(col, lang), head)
    wb.close()
    out.seek(0)
    return out


class _Formats:
    """The formats of the issue rows, added to the list's styles (ooxml.styles)."""

    def __init__(self, styles: Styles) -> None:
        self.wrap = styles.xf(wrap=True, vertical="top")
        todo_fill = styles.fill("FFFFF2CC")
        self.todo = styles.xf(number_format="@", fill=todo_fill)
        self.todo_date = styles.xf(number_format="yyyy-mm-dd", fill=todo_fill)
        self.severity = {s: styles.xf(font=styles.font(bold=s is Severity.ERROR, color=color))
                         for s, color in _SEVERITY_COLOR.items()}


_SEVERITY_COLOR = {Severity.ERROR: "FFC00000", Severity.WARNING: "FFB26A00", Severity.INFO: "FF1F4E79"}


def _write_workbook(path: Path, dept: str, issues: list[Issue], lang: str, when: str) -> None:
    """The list as an .xlsx: XlsxWriter writes the sheet around the rows (_skeleton), the issue
    rows go in as rows of cells built column by column (ooxml.cells: text always as text)."""
    columns = _columns(issues)
    skeleton = _skeleton(dept, issues, columns, lang, when)
    with WorkbookEdit(skeleton, path) as book:
        formats = _Formats(book.styles)
        name = book.sheet_names[0]
        sheet = book.worksheet(name)
        texts = texts_of(issues, lang)
        cells = []
        for col in columns:
            if col in FILL_IN:
                cells.append(Column([None] * len(issues), formats.todo_date if col == "done_on" else formats.todo))
            elif col == "severity":
                cells.append(Column(_column_values(issues, col, lang, texts), [formats.severity[i.severity] for i in issues]))
            else:
                cells.append(Column(_column_values(issues, col, lang, texts), formats.wrap if col in ("message", "suggestion") else None))
        first = _FIRST_ROW
        numbers = range(first, first + len(issues))
        if issues:
            sheet.append_rows(rows_xml(numbers, cells, sheet.p.decode()), numbers[-1], len(columns) - 1)
        book.put_worksheet(name, sheet)


def _column_values(issues: list[Issue], col: str, lang: str, texts: list[tuple[str, str]]) -> list[object]:
    if col == "issue_number":
        return [list_number(i) for i in issues]
    if col == "severity":
        names = {s: text(f"severity.{s.value}", lang) for s in Severity}
        return [names[i.severity] for i in issues]
    if col == "entity":
        labels = {e: entity_label(e, lang) for e in {i.entity for i in issues}}
        return [labels[i.entity] for i in issues]
    if col in ("key", "file", "value"):
        return [getattr(i, col) for i in issues]
    if col == "field":
        return field_labels(issues, lang)
    if col == "cell":
        return places(issues)
    if col == "message":
        return [t[0] for t in texts]
    if col == "suggestion":
        # The suggestion is the corrected value itself when the rule can fix it automatically.
        return [i.fixed_value if i.fixable and i.fixed_value not in (None, "") else t[1] for i, t in zip(issues, texts, strict=True)]
    if col == "overdue":
        yes, no = text("report.yes", lang), text("report.no", lang)
        return [None if (o := i.tracking.get("overdue")) is None else (yes if o else no) for i in issues]
    return [i.tracking.get(col) for i in issues]
