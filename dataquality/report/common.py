"""What several report writers share: labels for fields, entities and departments, tracking columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dataquality.i18n import has, text
from dataquality.issue import Issue

# The output folder used when a file format is asked for without --out.
DEFAULT_OUT = Path("dq-report")

# Columns that the tracking stage (issue numbers, ages, due dates) adds to Issue.tracking.
TRACKING_COLUMNS = ("issue_number", "age_days", "due", "overdue")


def out_dir(out: Path | None) -> Path:
    """The folder file reports go to: --out, or ./dq-report when it was not given."""
    return out if out is not None else DEFAULT_OUT


def field_label(issue: Issue, lang: str) -> str:
    """The field as a person reads it (客户编码 / Customer code), falling back to its name."""
    labels = issue.params.get("labels") if isinstance(issue.params, Mapping) else None
    if isinstance(labels, Mapping) and labels.get(lang):
        return str(labels[lang])
    return issue.field or ""


def entity_label(entity: str | None, lang: str) -> str:
    """Customer / 客户 for a known entity, else the entity name itself."""
    if not entity:
        return ""
    key = f"report.entity.{entity}"
    return text(key, lang) if has(key) else entity


def department_label(department: str | None, lang: str) -> str:
    """The department, or a readable '(unassigned)'."""
    return department or text("report.unassigned", lang)


def tracking_columns(issues: Iterable[Issue]) -> list[str]:
    """The tracking columns at least one issue carries, in a fixed order."""
    present: set[str] = set()
    for issue in issues:
        present.update(k for k in TRACKING_COLUMNS if issue.tracking.get(k) not in (None, ""))
        if len(present) == len(TRACKING_COLUMNS):
            break
    return [c for c in TRACKING_COLUMNS if c in present]


def issue_number(issue: Issue) -> str:
    """The tracking number (DQ-000123) when the tracking stage gave one, else the fingerprint."""
    number = issue.tracking.get("issue_number")
    return str(number) if number not in (None, "") else issue.fingerprint


def where(issue: Issue) -> str:
    """The cell (客户主数据!E17), or the sheet and row, or the sheet, for issues without a cell."""
    if issue.cell:
        return issue.cell
    if issue.row is not None:
        return f"{issue.sheet}!{issue.row}:{issue.row}" if issue.sheet else f"{issue.row}:{issue.row}"
    return issue.sheet or ""


def display(value: Any) -> str:
    """A tracking value as text (booleans as yes/no are left to the caller)."""
    return "" if value is None else str(value)
