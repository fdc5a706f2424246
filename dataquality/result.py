"""What a run found (`Result`), shared by every stage and every report writer.

It sits below load, checks, approve, track and report so that each of them can fill or read it
without importing the pipeline that runs them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataquality.issue import Issue, Severity, Status
from dataquality.load.table import Table

__all__ = ["Progress", "Result"]

Progress = Callable[[str], None]


@dataclass
class Result:
    """What a run found: the issues, the tables they came from, and when."""

    issues: list[Issue]
    tables: list[Table] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    # Filled by later stages when they run: the approval change set and the run history (trend).
    changes: list[Any] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    # Issues the last run had and this one no longer has (filled by tracking; not in `issues`).
    resolved: list[Issue] = field(default_factory=list)
    # Inputs (or sheets) that could not be read: reported as FIL005 issues; the exit code says 2.
    unreadable: list[Path] = field(default_factory=list)

    def count(self, severity: Severity | str) -> int:
        """How many issues have `severity`."""
        return sum(1 for i in self.issues if i.severity == severity)

    def summary(self) -> dict[str, Any]:
        """Counts by severity, entity, rule and department (the JSON report's summary)."""
        return {
            "total": len(self.issues),
            "by_severity": {s.value: self.count(s) for s in Severity},
            "by_entity": dict(Counter(i.entity or "-" for i in self.issues).most_common()),
            "by_rule": dict(Counter(i.rule for i in self.issues).most_common()),
            "by_department": dict(Counter(i.department or "-" for i in self.issues).most_common()),
            "records": {t.entity: sum(len(x) for x in self.tables if x.entity == t.entity) for t in self.tables},
        }

    def flatten(self, *attrs: str) -> list[tuple]:
        """Issues as tuples of the named attributes, e.g. flatten('row', 'field', 'rule') for tests."""
        return [tuple(getattr(i, a) for a in attrs) for i in self.issues]

    def exit_code(self, fail_on: str = "error") -> int:
        """0 when nothing at or above `fail_on` was found, else 1 (`new-error`: new or reopened errors only);
        2 when an input could not be read, whatever else was found."""
        if self.unreadable:
            return 2
        if fail_on == "never":
            return 0
        if fail_on == "new-error":
            fresh = (Status.NEW, Status.REOPENED)
            return 1 if any(i.severity == Severity.ERROR and i.status in fresh for i in self.issues) else 0
        threshold = Severity(fail_on).rank
        return 1 if any(i.severity.rank >= threshold for i in self.issues) else 0
