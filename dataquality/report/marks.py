"""What the annotated workbook marks: the cells (`Mark`), their fills, comment texts and the rows of
the Issues sheet (annotated_xlsx, issues_sheet).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple

from dataquality.i18n import text
from dataquality.issue import Issue, Severity, texts_of
from dataquality.report.columns import field_labels, issue_numbers, places
from dataquality.report.common import (
    department_label,
    entity_label,
)
from dataquality.xlsx import column_index, column_letter

FILLS = {Severity.ERROR: "FFFF9999", Severity.WARNING: "FFFFC000", Severity.INFO: "FFBDD7EE"}
HEADER_FILL = "FF305496"
MAX_COMMENT = 30000  # Excel keeps at most 32,767 characters in a comment


class Mark(NamedTuple):
    """One cell to annotate: where, how bad, and the issues on it (a tuple: a sheet's 100,000 marks
    are made in a blink)."""

    sheet: str
    row: int
    col: int  # 0-based
    issues: tuple[Issue, ...]

    @property
    def severity(self) -> Severity:
        if len(self.issues) == 1:
            return self.issues[0].severity
        return max((i.severity for i in self.issues), key=lambda s: s.rank)

    @property
    def ref(self) -> str:
        return f"{column_letter(self.col)}{self.row}"


def marks_for(issues: Iterable[Issue], key_columns: dict[str | None, int]) -> list[Mark]:
    """The cells to annotate: issues with a row, on their column (or the key column of the row)."""
    cells: dict[tuple[str, int, int], list[Issue]] = defaultdict(list)
    for issue in issues:
        row = issue.row
        if row is None:
            continue
        column = issue.column
        if column:
            col = column_index(column)  # cached: one computation per distinct column
        else:
            col = key_columns.get(issue.sheet, 0)
        cells[(issue.sheet or "", row, col)].append(issue)
    make = Mark._make  # one tuple per cell, no per-field work
    return [make((s, r, c, tuple(found))) for (s, r, c), found in sorted(cells.items())]


Said = dict[int, tuple[str, str]]  # id(issue) -> (message, hint): each text is formatted once


def said(issues: Iterable[Issue], lang: str) -> Said:
    """Every issue's message and hint in `lang`, computed once for the comments and the Issues sheet."""
    issues = list(issues)
    return dict(zip(map(id, issues), texts_of(issues, lang), strict=True))


def _texts(issue: Issue, lang: str, cache: Said | None) -> tuple[str, str]:
    found = cache.get(id(issue)) if cache is not None else None
    return found if found is not None else issue.texts(lang)


@cache
def _label(key: str, lang: str) -> str:
    """A catalogue text without parameters (severity names, column titles), looked up once."""
    return text(key, lang)


def _paragraph(issue: Issue, lang: str, cache: Said | None, severity: str, fixed: str) -> str:
    """One issue's paragraph of a comment: severity and rule, message, hint, the fix."""
    message, hint = _texts(issue, lang, cache)
    line = f"[{severity} {issue.rule}] {message}"
    if hint:
        line += f"\n→ {hint}"
    if issue.fixable and issue.fixed_value not in (None, ""):
        line += f"\n→ {fixed}: {issue.fixed_value}"
    return line


def _clipped(text: str) -> str:
    return text if len(text) <= MAX_COMMENT else text[: MAX_COMMENT - 1] + "…"


def comment_text(mark: Mark, lang: str, cache: Said | None = None) -> str:
    """What a cell's comment says: one paragraph per issue (the worst first), with the fix."""
    return comment_texts([mark], lang, cache)[0]


def comment_texts(marks: list[Mark], lang: str, cache: Said | None = None) -> list[str]:
    """`comment_text` of every mark, the labels looked up once for all of them."""
    labels = {s: _label("severity." + s.value, lang) for s in Severity}
    fixed = _label("report.col.fixed_value", lang)
    out = []
    for mark in marks:
        issues = mark.issues if len(mark.issues) == 1 else sorted(mark.issues, key=lambda i: -i.severity.rank)
        out.append(_clipped("\n\n".join(_paragraph(i, lang, cache, labels[i.severity], fixed) for i in issues)))
    return out


def issue_columns(issues: list[Issue], lang: str, cache: Said | None = None) -> tuple[list[str], list[list[object]]]:
    """The Issues sheet column by column: header and one list per column, one entry per issue
    (the cell column links to the cell). Labels are looked up once per distinct value."""
    cols = ["issue_number", "severity", "rule", "entity", "department", "cell", "key", "field", "value", "message", "hint"]
    header = [text(f"report.col.{c}", lang) for c in cols]
    severities = {s: _label(f"severity.{s.value}", lang) for s in Severity}
    entities = {e: entity_label(e, lang) for e in {i.entity for i in issues}}
    departments = {d: department_label(d, lang) for d in {i.department for i in issues}}
    if cache is None:
        cache = said(issues, lang)
    found = list(map(cache.get, map(id, issues)))  # every text formatted once (said), looked up here
    texts = [t if t is not None else issue.texts(lang) for t, issue in zip(found, issues, strict=True)]
    hints: list[object] = [
        f"{hint} → {issue.fixed_value}".strip() if issue.fixable and issue.fixed_value not in (None, "") else hint
        for issue, (_, hint) in zip(issues, texts, strict=True)]
    columns: list[list[object]] = [
        issue_numbers(issues),
        [severities[issue.severity] for issue in issues],
        [issue.rule for issue in issues],
        [entities[issue.entity] for issue in issues],
        [departments[issue.department] for issue in issues],
        [place or issue.file for place, issue in zip(places(issues), issues, strict=True)],
        [issue.key for issue in issues],
        field_labels(issues, lang),
        [issue.value for issue in issues],
        [message for message, _ in texts],
        hints,
    ]
    return header, columns
