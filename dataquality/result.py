"""What a run found (`Result`), shared by every stage and every report writer.

It sits below load, checks, approve, track and report so that each of them can fill or read it
without importing the pipeline that runs them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter, countOf
from pathlib import Path
from typing import Any

from dataquality.issue import Issue, Severity, Status
from dataquality.load.table import Table

__all__ = ["Progress", "Result", "failing_issues"]

# The attributes the counts read, fetched in C (a run can have 100,000s of issues).
_SEVERITY, _ENTITY, _RULE, _DEPARTMENT = (attrgetter(a) for a in ("severity", "entity", "rule", "department"))

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
        return countOf(map(_SEVERITY, self.issues), severity)

    def summary(self) -> dict[str, Any]:
        """Counts by severity, entity, rule and department (the JSON report's summary)."""
        by_severity = Counter(map(_SEVERITY, self.issues))
        return {
            "total": len(self.issues),
            "by_severity": {s.value: by_severity[s] for s in Severity},
            "by_entity": _most_common(map(_ENTITY, self.issues)),
            "by_rule": dict(Counter(map(_RULE, self.issues)).most_common()),
            "by_department": _most_common(map(_DEPARTMENT, self.issues)),
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
        return 1 if any(map(failing_issues(fail_on), self.issues)) else 0


_FRESH = (Status.NEW, Status.REOPENED)


def failing_issues(fail_on: str) -> Callable[[Issue], bool]:
    """Whether an issue fails a run under `fail_on` (error, warning, new-error, never): the exit code
    and the JUnit report's failed test cases are both this one test, so a CI dashboard agrees with
    the job's result."""
    if fail_on == "never":
        return lambda issue: False
    if fail_on == "new-error":
        return lambda issue: issue.severity == Severity.ERROR and issue.status in _FRESH
    threshold = Severity(fail_on).rank
    failing = {s for s in Severity if s.rank >= threshold}
    return lambda issue: issue.severity in failing


def _most_common(values: Iterable[str | None]) -> dict[str, int]:
    """Counts of `values`, most common first (ties in order of appearance), a missing value as '-'."""
    counts: Counter[str] = Counter()
    for value, n in Counter(values).items():  # distinct values, in order of appearance
        counts[value or "-"] += n
    return dict(counts.most_common())
