"""Report columns of many issues at once (the Issues sheet of the annotated workbook, the correction
lists): each value worked out once per distinct input where the issues share it, never a lookup
through an abstract base class per issue."""

from __future__ import annotations

from dataquality.issue import Issue, fingerprints
from dataquality.report.common import field_label, where


def issue_numbers(issues: list[Issue]) -> list[str]:
    """`common.issue_number` of every issue: the tracking number, else the fingerprint (worked out in one pass)."""
    return [fp if not issue.tracking or (n := issue.tracking.get("issue_number")) in (None, "") else str(n)
            for issue, fp in zip(issues, fingerprints(issues), strict=True)]


def places(issues: list[Issue]) -> list[str]:
    """`common.where` of every issue: the cell, else the sheet and row, else the sheet."""
    return [(f"{i.sheet}!{i.column}{i.row}" if i.sheet else f"{i.column}{i.row}") if i.row is not None and i.column is not None
            else where(i) for i in issues]


def field_labels(issues: list[Issue], lang: str) -> list[str]:
    """`common.field_label` of every issue, worked out once per distinct parameters and field (the
    issues of one rule on one column share their parameters; the issues stay alive meanwhile)."""
    labels: dict[tuple[int, str | None], str] = {}
    out = []
    for issue in issues:
        key = (id(issue.params), issue.field)
        label = labels.get(key)
        if label is None:
            label = labels[key] = field_label(issue, lang)
        out.append(label)
    return out
