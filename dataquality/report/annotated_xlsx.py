"""The annotated workbook: a copy of the user's own workbook with bad cells filled and commented.

An .xlsx/.xlsm input is copied part by part (dataquality.ooxml): the sheets that hold issues go
through the one cell editor, which gives each issue cell a new format (its own with a red, amber
or blue fill) and a note (added below a note the cell already had); an Issues sheet lists every
issue with a link to its cell. Every other part is copied unchanged, so formatting, formulas,
data validations, charts and macros survive, and a 100,000-row sheet is annotated in seconds.
A CSV, .xls or .ods input (or an .xlsx whose XML cannot be edited safely) is annotated in a
workbook of its text (text_copy). The input file is never modified.
"""

from __future__ import annotations

import gc
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from dataquality.fileio import atomic_path, inside
from dataquality.i18n import text
from dataquality.issue import Issue, Severity
from dataquality.ooxml import OoxmlError
from dataquality.ooxml.workbook import NoteStyle, WorkbookEdit
from dataquality.ooxml.worksheet import CellEdit
from dataquality.report import ReportOptions
from dataquality.report.common import out_dir
from dataquality.report.issues_sheet import issues_sheet
from dataquality.report.marks import (  # noqa: F401 - re-exported: the annotated workbook's vocabulary
    FILLS,
    HEADER_FILL,
    MAX_COMMENT,
    Mark,
    Said,
    comment_text,
    comment_texts,
    marks_for,
    said,
)
from dataquality.result import Result
from dataquality.xlsx import column_index

SUFFIX = ".annotated"


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: building a workbook's parts makes millions of strings
    and tuples (no reference cycles), and each collection would walk every object the run holds
    (about a fifth of the writer's time at 100,000 issues). Reference counting still frees memory."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write(result: Result, options: ReportOptions) -> list[Path]:
    """Write <name>.annotated.xlsx for every input file into the output folder."""
    with _no_cycle_collection():
        return _write(result, options)


def _write(result: Result, options: ReportOptions) -> list[Path]:
    folder = out_dir(options.out)
    folder.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list[Issue]] = defaultdict(list)
    for issue in result.issues:
        by_file[issue.file].append(issue)
    written: list[Path] = []
    used: set[str] = set()
    shown = {t.path: t.file for t in result.tables}  # issue.file is the path when two inputs share a name
    for source in result.files:
        target = inside(folder, _output_name(source, used))
        annotate(source, target, by_file.get(shown.get(source, source.name), []), options.lang, _key_columns(result, source))
        written.append(target)
    return written


def _output_name(source: Path, used: set[str]) -> str:
    suffix = ".xlsm" if source.suffix.lower() == ".xlsm" else ".xlsx"
    name = f"{source.stem}{SUFFIX}{suffix}"
    n = 2
    while name.lower() in used:  # two inputs with one name from different folders
        name = f"{source.stem}{SUFFIX}-{n}{suffix}"
        n += 1
    used.add(name.lower())
    return name


def _key_columns(result: Result, source: Path) -> dict[str | None, int]:
    """Sheet -> column of the record key, where row-level issues (no field) are marked."""
    keys: dict[str | None, int] = {}
    for table in result.tables:
        if table.path == source and table.columns:
            keys[table.sheet] = column_index(table.columns.get(table.key or "", next(iter(table.columns.values()))))
    return keys


def annotate(source: Path, target: Path, issues: list[Issue], lang: str, key_columns: dict[str | None, int] | None = None) -> Path:
    """Write an annotated copy of `source` to `target`; `source` is only read."""
    marks = marks_for(issues, key_columns or {})
    rank = {s: -s.rank for s in Severity}  # looked up, not computed, per issue
    issues = sorted(issues, key=lambda i: (rank[i.severity], i.sheet or "", i.row or 0, i.column or ""))
    if _is_zip_workbook(source):
        try:
            with atomic_path(target) as tmp:
                annotate_workbook(source, tmp, marks, issues, lang)
            return target
        except OoxmlError:
            pass  # the half-written copy is gone (atomic_path): the file's text is annotated instead
    from dataquality.report.text_copy import text_copy

    copy, titles = text_copy(source)
    marks = [mark._replace(sheet=titles.get(mark.sheet or None, mark.sheet)) for mark in marks]
    with atomic_path(target) as tmp:
        annotate_workbook(copy, tmp, marks, issues, lang)
    return target


def annotate_workbook(source: Path | BinaryIO, target: Path, marks: list[Mark], issues: list[Issue], lang: str) -> None:
    """The annotated copy of workbook `source` written to `target` (a temporary name the caller
    renames); raises OoxmlError when its XML cannot be edited safely."""
    cache = said(issues, lang)
    with WorkbookEdit(source, target) as book:
        # The Issues sheet first: the largest new part is compressed while the sheets are edited.
        book.add_sheet(text("xlsx.issues_sheet", lang), issues_sheet(issues, lang, book.styles, cache))
        fill = {s: _fill(book, FILLS[s]) for s in Severity}
        by_sheet: dict[str, list[Mark]] = defaultdict(list)
        for mark in marks:
            by_sheet[mark.sheet].append(mark)
        note = NoteStyle(text("xlsx.comment_author", lang))
        for name in [n for n in book.sheets if n in by_sheet]:  # marks on a sheet the workbook lacks are in the Issues sheet only
            sheet_marks = by_sheet[name]
            sheet = book.worksheet(name)
            edits: dict[int, dict[int, CellEdit]] = defaultdict(dict)
            for mark in sheet_marks:
                edits[mark.row][mark.col] = fill[mark.severity]
            sheet.edit(edits)
            book.add_notes(name, sheet, [(m.row, m.col) for m in sheet_marks], comment_texts(sheet_marks, lang, cache), note)
            book.put_worksheet(name, sheet)


def _fill(book: WorkbookEdit, rgb: str) -> CellEdit:
    """The edit giving a cell `rgb` as fill on its own format."""
    styles = book.styles
    return CellEdit(lambda base: styles.with_fill(base, rgb))


def _is_zip_workbook(path: Path) -> bool:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
