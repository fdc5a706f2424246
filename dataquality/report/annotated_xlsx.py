"""The annotated workbook: a copy of the user's own workbook with bad cells filled and commented.

An .xlsx/.xlsm input is annotated by editing its XML parts directly (annotate_xml): the sheets
that hold issues are streamed through once, the issue cells get new style ids (the original style
with a red, amber or blue fill), and a comments part with its VML drawing plus an Issues sheet with
a link to each cell are added. Every other part is copied unchanged, so formatting, formulas,
charts and macros survive, and a 100,000-row sheet is annotated in seconds (bench/annotate_bench.py),
where openpyxl would load and re-save every cell.
Workbooks this path cannot edit safely (a sheet that already has comments, an unusual layout) and
CSV/xls inputs go through openpyxl instead. The input file is never modified.
"""

from __future__ import annotations

import gc
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dataquality.fileio import atomic_path, inside
from dataquality.issue import Issue, Severity
from dataquality.report import ReportOptions
from dataquality.report.common import (
    out_dir,
)
from dataquality.report.marks import (  # noqa: F401 - re-exported: the annotated workbook's vocabulary
    FILLS,
    HEADER_FILL,
    MAX_COMMENT,
    Mark,
    Said,
    col_index,
    comment_text,
    issue_rows,
    letters,
    marks_for,
    said,
)
from dataquality.result import Result

SUFFIX = ".annotated"


# ---------------------------------------------------------------- the writer


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
        name = _output_name(source, used)
        target = inside(folder, name)
        file_issues = by_file.get(shown.get(source, source.name), [])
        annotate(source, target, file_issues, options.lang, _key_columns(result, source))
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
            letter = table.columns.get(table.key or "", next(iter(table.columns.values())))
            keys[table.sheet] = col_index(letter)
    return keys


def annotate(source: Path, target: Path, issues: list[Issue], lang: str, key_columns: dict[str | None, int] | None = None) -> Path:
    """Write an annotated copy of `source` to `target`; `source` is only read."""
    marks = marks_for(issues, key_columns or {})
    rank = {s: -s.rank for s in Severity}  # looked up, not computed, per issue
    issues = sorted(issues, key=lambda i: (rank[i.severity], i.sheet or "", i.row or 0, i.column or ""))
    if _is_zip_workbook(source):
        from dataquality.report.annotate_xml import Unsupported, XlsxEditor

        try:
            with atomic_path(target) as tmp:
                XlsxEditor(source).annotate(marks, issues, lang, tmp)
            return target
        except Unsupported:
            pass  # the half-written copy is gone (atomic_path): openpyxl writes it instead
    from dataquality.report.annotate_openpyxl import annotate_with_openpyxl

    with atomic_path(target) as tmp:
        annotate_with_openpyxl(source, tmp, marks, issues, lang)
    return target


def _is_zip_workbook(path: Path) -> bool:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


