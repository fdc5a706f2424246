"""Correction lists: one workbook per department with its issues and columns to fill in."""

from __future__ import annotations

import math
from collections import defaultdict
from itertools import repeat
from pathlib import Path
from typing import Any

from dataquality.fileio import atomic_path, inside, unique_filenames
from dataquality.i18n import text
from dataquality.issue import Issue, Severity, texts_of
from dataquality.issue import column_letter as letters
from dataquality.report import ReportOptions
from dataquality.report.columns import field_labels, places
from dataquality.report.common import (
    department_label,
    entity_label,
    field_label,
    out_dir,
    tracking_columns,
    where,
)
from dataquality.result import Result
from dataquality.safe_text import xml_escaped_cells

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


def _columns(issues: list[Issue]) -> list[str]:
    track = [c for c in tracking_columns([i for i in issues if i.tracking]) if c != "issue_number"]
    return ["issue_number", "severity", "entity", "key", "field", "file", "cell", "value", "message", "suggestion", *track, *FILL_IN]


def _label(column: str, lang: str) -> str:
    if column == "suggestion":
        return text("report.col.hint", lang)
    return text(f"report.col.{column}", lang)


def _values(issue: Issue, lang: str) -> dict[str, object]:
    # The suggestion is the corrected value itself when the rule can fix it automatically.
    message, hint = issue.texts(lang)
    suggestion = issue.fixed_value if issue.fixable and issue.fixed_value not in (None, "") else hint
    overdue = issue.tracking.get("overdue")
    return {
        "issue_number": list_number(issue),
        "severity": text(f"severity.{issue.severity.value}", lang),
        "entity": entity_label(issue.entity, lang),
        "key": issue.key,
        "field": field_label(issue, lang),
        "file": issue.file,
        "cell": where(issue),
        "value": issue.value,
        "message": message,
        "suggestion": suggestion,
        "age_days": issue.tracking.get("age_days"),
        "due": issue.tracking.get("due"),
        "overdue": None if overdue is None else text("report.yes" if overdue else "report.no", lang),
    }


def _font(color: str, **extra: object) -> dict[str, object]:
    return {"font_color": f"#{color}", **extra}


_SEVERITY_FORMAT = {Severity.ERROR: _font("C00000", bold=True), Severity.WARNING: _font("B26A00"), Severity.INFO: _font("1F4E79")}


class _Sheet:
    """One XlsxWriter sheet written row by row; text always goes out as text, never as a formula."""

    def __init__(self, wb: Any, ws: Any) -> None:
        self.wb = wb
        self.ws = ws
        self._formats: dict[str, Any] = {}

    def fmt(self, key: str, **props: object) -> Any:
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = self.wb.add_format(props)
        return found

    def put(self, row: int, col: int, value: object, fmt: Any = None) -> None:
        if value is None:
            if fmt is not None:
                self.ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            self.ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, int | float):
            self.ws.write_number(row, col, value, fmt)
        else:  # write_string: = + - @ stay text; XlsxWriter escapes control characters
            self.ws.write_string(row, col, str(value), fmt)


def _write_workbook(path: Path, dept: str, issues: list[Issue], lang: str, when: str) -> None:
    """The list as an .xlsx: XlsxWriter writes the workbook (title, instructions, headers, formats,
    filter, frozen panes), and the issue rows, built column by column, are spliced into its sheet.

    Writing a million cells one call at a time through XlsxWriter costs seconds per 100,000 issues;
    the rows here are inline strings (never formulas) and numbers, in the formats XlsxWriter made.
    """
    import xlsxwriter

    # in_memory: the parts are assembled in memory, not in temporary files (made and removed per part)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                         "strings_to_urls": False, "in_memory": True})
    spliced: dict[str, int] | None = None
    columns = _columns(issues)
    try:
        ws = wb.add_worksheet(text("corrections.sheet", lang))
        sheet = _Sheet(wb, ws)
        for i, col in enumerate(columns):
            ws.set_column(i, i, _WIDTHS.get(col, 14))
        ws.freeze_panes(3, 2)  # C4
        ws.autofilter(2, 0, len(issues) + 2, len(columns) - 1)
        sheet.put(0, 0, text("corrections.title", lang, department=dept, n=len(issues), when=when), sheet.fmt("title", bold=True, font_size=14))
        said = text("corrections.instructions", lang)
        if not any(map(list_number, issues)):
            said += " " + text("corrections.untracked", lang)
        sheet.put(1, 0, said, sheet.fmt("note", italic=True, font_color="#595959"))
        for c, col in enumerate(columns):
            todo = col in FILL_IN
            head = sheet.fmt("todo-head" if todo else "head", bold=True, font_color="#000000" if todo else "#FFFFFF",
                             bg_color="#FFF2CC" if todo else "#305496", pattern=1, align="center", text_wrap=True)
            sheet.put(2, c, _label(col, lang), head)
        formats = {
            "wrap": sheet.fmt("wrap", text_wrap=True, valign="top"),
            "todo": sheet.fmt("todo", bg_color="#FFF2CC", pattern=1, num_format="@"),
            "todo-date": sheet.fmt("todo-date", bg_color="#FFF2CC", pattern=1, num_format="yyyy-mm-dd"),
            **{s.value: sheet.fmt(s.value, **props) for s, props in _SEVERITY_FORMAT.items()},
        }
        try:
            # The number XlsxWriter gives each format (it gives one when a cell first uses it).
            spliced = {name: int(fmt._get_xf_index()) for name, fmt in formats.items()}
        except (AttributeError, TypeError, ValueError):
            spliced = None
        if spliced is None:
            _cells_one_by_one(sheet, issues, columns, lang, formats)
    finally:
        wb.close()
    if spliced is not None and issues:
        _splice_rows(path, _rows_xml(issues, columns, lang, spliced), len(issues) + 3, len(columns))


def _cells_one_by_one(sheet: _Sheet, issues: list[Issue], columns: list[str], lang: str, formats: dict[str, Any]) -> None:
    """The rows through XlsxWriter's own calls (when its format numbers cannot be had)."""
    for r, issue in enumerate(issues, start=3):
        values = _values(issue, lang)
        for c, col in enumerate(columns):
            if col in FILL_IN:
                sheet.put(r, c, None, formats["todo-date" if col == "done_on" else "todo"])
            elif col == "severity":
                sheet.put(r, c, values[col], formats[issue.severity.value])
            elif col in ("message", "suggestion"):
                sheet.put(r, c, values[col], formats["wrap"])
            else:
                sheet.put(r, c, values[col])


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


def _cells_xml(name: str, first: int, values: list[object], style: int | None) -> list[str]:
    """One column's cells: text as inline strings (never a formula), numbers as numbers, empty cells
    only where they carry a format."""
    s = f' s="{style}"' if style is not None else ""
    blank = [f'<c r="{name}{n}"{s}/>' if s else "" for n in range(first, first + len(values))]
    if set(map(type, values)) <= {str, type(None)}:
        escaped = xml_escaped_cells(["" if v is None else v for v in values])  # type: ignore[misc]
        # Each cell joined from its pieces in C (map over zip), the empty ones put back afterwards.
        head, mid, tail = f'<c r="{name}', f'"{s} t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"
        cells = list(map("".join, zip(repeat(head), map(str, range(first, first + len(values))), repeat(mid), escaped,
                                      repeat(tail), strict=False)))
        if "" in escaped:
            for i in [i for i, v in enumerate(escaped) if not v]:
                cells[i] = blank[i]
        return cells
    out = []
    for n, v, b in zip(range(first, first + len(values)), values, blank, strict=True):
        if v is None or v == "":
            out.append(b)
        elif isinstance(v, bool):
            out.append(f'<c r="{name}{n}"{s} t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, int | float) and math.isfinite(v):
            out.append(f'<c r="{name}{n}"{s}><v>{v!r}</v></c>')
        else:
            out.append(f'<c r="{name}{n}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_escaped_cells([str(v)])[0]}</t></is></c>')
    return out


def _rows_xml(issues: list[Issue], columns: list[str], lang: str, xf: dict[str, int]) -> bytes:
    """Every issue's row (from sheet row 4), built column by column."""
    texts = texts_of(issues, lang)
    first = 4
    built = []
    for c, col in enumerate(columns):
        name = letters(c)
        if col in FILL_IN:
            style = xf["todo-date" if col == "done_on" else "todo"]
            built.append([f'<c r="{name}{n}" s="{style}"/>' for n in range(first, first + len(issues))])
        elif col == "severity":
            cells = _cells_xml(name, first, _column_values(issues, col, lang, texts), 0)
            built.append([cell.replace(' s="0"', f' s="{xf[i.severity.value]}"', 1) for cell, i in zip(cells, issues, strict=True)])
        else:
            style = xf["wrap"] if col in ("message", "suggestion") else None
            built.append(_cells_xml(name, first, _column_values(issues, col, lang, texts), style))
    return "".join(f'<row r="{n}">{"".join(cells)}</row>'
                   for n, cells in zip(range(first, first + len(issues)), zip(*built, strict=True), strict=True)).encode("utf-8")


def _splice_rows(path: Path, rows: bytes, last_row: int, ncols: int) -> None:
    """Put the rows at the end of the (only) sheet of the workbook XlsxWriter wrote at `path`."""
    import re
    import zipfile

    from dataquality.report.annotate_xml import copy_parts
    from dataquality.report.sheet_splice import Sheet

    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(part)
    sheet = Sheet(xml)
    xml = sheet.edit([], lambda row, number: None, append_xml=rows)
    xml = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{letters(ncols - 1)}{last_row}"/>'.encode(), xml, count=1)
    done = path.with_name(path.name + ".rows")
    try:
        copy_parts(path, done, {part: xml})
        done.replace(path)
    finally:
        done.unlink(missing_ok=True)
