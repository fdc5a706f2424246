"""Read the tracking tables: the trend per run, the issue list, one issue's history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dataquality.issue import Issue, Status
from dataquality.store import Store
from dataquality.track import db
from dataquality.track.tracker import Sla, format_number, issue_from_row

ACTIVE = (Status.NEW.value, Status.OPEN.value, Status.REOPENED.value)


def history(store: Store, limit: int | None = None) -> list[dict[str, Any]]:
    """Counts per run, oldest first: {run, run_at, error, warning, info, new, reopened, resolved,
    overdue, by_department: {dept: n}, by_department_severity: {dept: {severity: n}}}. Re-runs are left out."""
    with store.engine.connect() as conn:
        q = select(db.runs).where(db.runs.c.rerun_of.is_(None)).order_by(db.runs.c.id.desc())
        if limit:
            q = q.limit(limit)
        runs = list(reversed(conn.execute(q).all()))
        ids = [r.id for r in runs]
        per: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        if ids:
            for c in conn.execute(select(db.run_counts).where(db.run_counts.c.run_id.in_(ids))):
                per[c.run_id][c.department][c.severity] = c.issues
    out = []
    for r in runs:
        depts = per.get(r.id, {})
        out.append({
            "run": r.id, "run_at": r.started_at,
            "error": r.errors, "warning": r.warnings, "info": r.infos,
            "new": r.new, "reopened": r.reopened, "resolved": r.resolved, "overdue": r.overdue,
            "by_department": {d: sum(v.values()) for d, v in sorted(depts.items())},
            "by_department_severity": {d: dict(v) for d, v in sorted(depts.items())},
        })
    return out


@dataclass(frozen=True)
class IssueEvent:
    """One run's view of an issue."""

    run: int
    at: str
    status: str
    severity: str
    department: str | None
    file: str | None
    sheet: str | None
    row: int | None
    value: str | None


def list_issues(store: Store, sla: Sla, today: dt.date, *, status: str | None = None, department: str | None = None,
                overdue: bool = False, prefix: str = "DQ") -> list[Issue]:
    """Tracked issues as Issues with their tracking fields; `open` (the default) = not resolved."""
    q = select(db.issues).order_by(db.issues.c.number)
    if status in (None, "open"):
        q = q.where(db.issues.c.status.in_(ACTIVE))
    elif status != "all":
        q = q.where(db.issues.c.status == status)
    if department:
        q = q.where(db.issues.c.department == department)
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
        fixed = _fixed(conn, rows)
    out = []
    for r in rows:
        issue = _with_resolution(issue_from_row(r._asdict(), sla, prefix), fixed.get(r.number))
        if r.status != Status.RESOLVED.value:
            issue = issue.with_tracking(tracking={**issue.tracking, **sla.timing(r.severity, r.opened_at, today)})
        if overdue and not issue.tracking.get("overdue"):
            continue
        out.append(issue)
    return out


def issue_detail(store: Store, number: int, sla: Sla, today: dt.date, prefix: str = "DQ") -> tuple[Issue, list[IssueEvent]] | None:
    """One tracked issue and its history, oldest first; None when the number is unknown."""
    with store.engine.connect() as conn:
        row = conn.execute(select(db.issues).where(db.issues.c.number == number)).first()
        if row is None:
            return None
        evs = conn.execute(select(db.events).where(db.events.c.number == number).order_by(db.events.c.id)).all()
        fixed = _fixed(conn, [row])
    issue = _with_resolution(issue_from_row(row._asdict(), sla, prefix), fixed.get(number))
    if row.status != Status.RESOLVED.value:
        issue = issue.with_tracking(tracking={**issue.tracking, **sla.timing(row.severity, row.opened_at, today)})
    events = [IssueEvent(e.run_id, e.at, e.status, e.severity, e.department, e.file, e.sheet, e.row, e.value) for e in evs]
    return issue, events


def _with_resolution(issue: Issue, fixed: Any) -> Issue:
    from dataquality.track.corrections import with_resolution

    return with_resolution(issue, fixed)


def _fixed(conn: Any, rows: list[Any]) -> dict[int, Any]:
    """The resolved ones among `rows` that their department corrected (dq corrections import)."""
    from dataquality.track.corrections import fixed_by_department

    return fixed_by_department(conn, {r.number: r.opened_at for r in rows if r.status == Status.RESOLVED.value})


def number_issues(store: Store, issues: list[Issue], prefix: str = "DQ") -> tuple[list[Issue], list[Issue]]:
    """This run's issues with the DQ numbers the project's tracking gave them (read only: no run is
    recorded), and the issues it has not numbered yet (new since the last dq check)."""
    from dataquality.track.corrections import numbers_by_fingerprint

    numbers = numbers_by_fingerprint(store, (i.fingerprint for i in issues))
    numbered, unknown = [], []
    for issue in issues:
        n = numbers.get(issue.fingerprint)
        if n is None:
            unknown.append(issue)
        else:
            numbered.append(issue.with_tracking(tracking={**issue.tracking, "issue_number": format_number(n, prefix)}))
    return numbered, unknown


__all__ = ["history", "list_issues", "issue_detail", "number_issues", "IssueEvent", "format_number"]
