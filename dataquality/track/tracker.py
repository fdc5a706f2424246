"""Follow issues across runs: one transaction gives this run's issues their numbers and statuses.

An issue is the same problem from run to run when its fingerprint (rule, entity, record key,
field; never the row) is the same. Statuses: `new` (first time seen), `open` (seen in the last
run too), `reopened` (it had been resolved and is back), `resolved` (seen before, gone now; only
for entities this run checked, so a run over customers alone does not resolve product issues).

A run whose issue set equals the last run's on the same day is a re-run (a CI retry, a second
look): it changes no issue's state and reports the statuses the first run gave, so the retry of a
job that failed on new errors fails again, and the retry of a run that accepted the backlog passes.

Accepting the backlog (`accept_open`, `dq check --accept-open`: a project's first run, or after a
new rule came in) records every issue found as `open`, known and followed with its age and due
date, instead of `new` or `reopened`: a backlog is then visible but no longer fails `new-error`.
Such a run is never a re-run: it changes state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from dataquality.issue import Issue, Severity, Status, sort_key
from dataquality.store import Store
from dataquality.track import db
from dataquality.track.clock import day_of, iso
from dataquality.track.workdays import WorkCalendar

_CHUNK = 500
NO_DEPARTMENT = "-"


def format_number(number: int, prefix: str = "DQ") -> str:
    """123 -> DQ-000123."""
    return f"{prefix}-{number:06d}"


def parse_number(text: str) -> int | None:
    """DQ-000123, dq-123 or 123 -> 123; None when it is not an issue number."""
    tail = text.strip().rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


@dataclass(frozen=True)
class Sla:
    """Working days allowed per severity (None: no deadline), on a working-day calendar."""

    days: Mapping[str, int | None]
    calendar: WorkCalendar

    def age(self, opened: dt.date, today: dt.date) -> int:
        """Working days the issue has been open on `today`."""
        return self.calendar.workdays_between(opened, today)

    def due(self, severity: str, opened: dt.date) -> dt.date | None:
        """The last working day by which the issue should be fixed."""
        days = self.days.get(severity)
        return None if days is None else self.calendar.add_workdays(opened, days)

    def timing(self, severity: str, opened_at: str, today: dt.date) -> dict[str, Any]:
        """age_days, due (ISO date or None) and overdue for an issue opened at `opened_at`."""
        opened = day_of(opened_at)
        due = self.due(severity, opened)
        return {"age_days": self.age(opened, today), "due": due.isoformat() if due else None,
                "overdue": bool(due is not None and today > due)}


@dataclass(frozen=True)
class Tracked:
    """What tracking made of a run: the issues with numbers and statuses, and those resolved."""

    run_id: int
    issues: list[Issue]
    resolved: list[Issue]
    rerun_of: int | None
    counts: Mapping[str, int]


def digest(issues: Iterable[Issue], entities: Iterable[str]) -> str:
    """A fingerprint of the whole run: the same issues (with severities) over the same entities."""
    h = hashlib.sha256()
    for line in sorted({f"{i.fingerprint}:{i.severity.value}" for i in issues}):
        h.update(line.encode())
    h.update(("|" + ",".join(sorted(entities))).encode())
    return h.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def track(store: Store, issues: Sequence[Issue], *, now: dt.datetime, sla: Sla, entities: Iterable[str],
          files: Sequence[str] = (), project: str = "", prefix: str = "DQ", accept_open: bool = False) -> Tracked:
    """Give this run's issues numbers and statuses, resolve the ones gone, record the run: one transaction.
    `accept_open`: every issue found is accepted as the known backlog (status open, not new)."""
    entities = sorted(set(entities))
    run_digest = digest(issues, entities)
    stamp = iso(now)
    today = now.date()
    with store.transaction() as conn:
        last = conn.execute(select(db.runs).order_by(db.runs.c.id.desc()).limit(1)).first()
        if not accept_open and last is not None and last.day == today.isoformat() and last.digest == run_digest:
            return _replay(conn, last, issues, now=now, sla=sla, files=files, project=project, prefix=prefix)
        run_id = conn.execute(
            insert(db.runs).values(started_at=stamp, day=today.isoformat(), status="running", project=project,
                                   files=json.dumps(list(files), ensure_ascii=False), digest=run_digest)
        ).inserted_primary_key[0]  # type: ignore[index]
        return _track(conn, run_id, issues, now=now, sla=sla, entities=entities, prefix=prefix, accept_open=accept_open)


def _known(conn: Connection, fingerprints: Sequence[str]) -> dict[str, Row]:
    """Every tracked issue still open, plus resolved ones that are back in this run."""
    rows = {r.fingerprint: r for r in conn.execute(select(db.issues).where(db.issues.c.status != Status.RESOLVED.value))}
    wanted = [f for f in fingerprints if f not in rows]
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows.update((r.fingerprint, r) for r in conn.execute(select(db.issues).where(db.issues.c.fingerprint.in_(chunk))))
    return rows


def _track(conn: Connection, run_id: int, issues: Sequence[Issue], *, now: dt.datetime, sla: Sla,
           entities: list[str], prefix: str, accept_open: bool = False) -> Tracked:
    stamp = iso(now)
    today = now.date()
    groups: dict[str, list[Issue]] = defaultdict(list)
    for issue in sorted(issues, key=sort_key):
        groups[issue.fingerprint].append(issue)
    known = _known(conn, list(groups))
    next_number = (conn.execute(select(func.max(db.issues.c.number))).scalar() or 0) + 1

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    state: dict[str, dict[str, Any]] = {}  # fingerprint -> the tracked fields after this run
    accepted = 0
    for fp, group in groups.items():
        head = group[0]
        severity = max((i.severity for i in group), key=lambda s: s.rank).value
        seen = {"severity": severity, "department": head.department, "last_seen": stamp, "last_run": run_id,
                "file": head.file, "sheet": head.sheet, "row": head.row, "value": head.value,
                "message_params": json.dumps(_jsonable(_stored_params(head)), ensure_ascii=False)}
        row = known.get(fp)
        if row is None:
            number, next_number = next_number, next_number + 1
            rec = {"number": number, "fingerprint": fp, "rule": head.rule, "entity": head.entity, "key": head.key,
                   "field": head.field, "status": Status.NEW.value, "first_seen": stamp, "opened_at": stamp,
                   "times_seen": 1, "times_reopened": 0, "first_run": run_id, **seen}
            inserts.append(rec)
        elif row.status == Status.RESOLVED.value:
            rec = {**row._asdict(), **seen, "status": Status.REOPENED.value, "opened_at": stamp, "resolved_at": None,
                   "times_seen": row.times_seen + 1, "times_reopened": row.times_reopened + 1}
            updates.append(rec)
        else:
            rec = {**row._asdict(), **seen, "status": Status.OPEN.value, "times_seen": row.times_seen + 1}
            updates.append(rec)
        if accept_open and (row is None or row.status != Status.OPEN.value):
            rec["status"] = Status.OPEN.value  # the backlog accepted: known, followed, not new
            accepted += 1
        state[fp] = rec

    if inserts:
        conn.execute(insert(db.issues), inserts)
    if updates:
        _bulk_update(conn, updates, ("severity", "department", "status", "last_seen", "last_run", "opened_at",
                                     "resolved_at", "times_seen", "times_reopened", "file", "sheet", "row", "value",
                                     "message_params"))
    gone = [r for fp, r in known.items()
            if fp not in groups and r.status != Status.RESOLVED.value and (r.entity is None or r.entity in entities)]
    if gone:
        _bulk_update(conn, [{"number": r.number, "status": Status.RESOLVED.value, "resolved_at": stamp, "last_run": run_id}
                            for r in gone], ("status", "resolved_at", "last_run"))

    event_rows = [{"number": rec["number"], "run_id": run_id, "at": stamp, "status": rec["status"],
                   "severity": rec["severity"], "department": rec["department"], "file": rec["file"],
                   "sheet": rec["sheet"], "row": rec["row"], "value": rec["value"]} for rec in state.values()]
    event_rows += [{"number": r.number, "run_id": run_id, "at": stamp, "status": Status.RESOLVED.value,
                    "severity": r.severity, "department": r.department, "file": r.file, "sheet": r.sheet,
                    "row": r.row, "value": r.value} for r in gone]
    if event_rows:
        conn.execute(insert(db.events), event_rows)

    out = [_decorate(i, state[i.fingerprint], sla, today, prefix) for i in issues]
    resolved = [issue_from_row({**r._asdict(), "status": Status.RESOLVED.value, "resolved_at": stamp}, sla, prefix) for r in gone]
    resolved = _fixed_by_departments(conn, gone, resolved)
    counts = _record_counts(conn, run_id, out, resolved)
    return Tracked(run_id, out, resolved, None, {**counts, "accepted": accepted} if accept_open else counts)


def _fixed_by_departments(conn: Connection, gone: Sequence[Row], resolved: list[Issue]) -> list[Issue]:
    """The resolved issues, those a department had corrected (dq corrections import) marked so."""
    from dataquality.track.corrections import fixed_by_department, with_resolution

    fixed = fixed_by_department(conn, {r.number: r.opened_at for r in gone})
    if not fixed:
        return resolved
    return [with_resolution(issue, fixed.get(row.number)) for row, issue in zip(gone, resolved, strict=True)]


def _bulk_update(conn: Connection, rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    stmt = (update(db.issues).where(db.issues.c.number == bindparam("b_number"))
            .values({c: bindparam(f"b_{c}") for c in columns}))
    conn.execute(stmt, [{"b_number": r["number"], **{f"b_{c}": r[c] for c in columns}} for r in rows])


def _decorate(issue: Issue, rec: Mapping[str, Any], sla: Sla, today: dt.date, prefix: str) -> Issue:
    """The Issue with its number, status, first/last seen, age, due date and overdue flag."""
    tracking = {"issue_number": format_number(rec["number"], prefix), "last_seen": rec["last_seen"],
                "times_seen": rec["times_seen"], "opened_at": rec["opened_at"],
                **sla.timing(issue.severity.value, rec["opened_at"], today)}
    return issue.with_tracking(status=Status(rec["status"]), first_seen=rec["first_seen"], tracking=tracking)


# Kept with the message parameters so `dq issues list/show` can say "same as rows 5, 9" and name the
# cell (客户主数据!H8) without a schema change; never shown as parameters themselves.
_COLUMN, _RELATED = "_column", "_related_rows"


def _stored_params(issue: Issue) -> dict[str, Any]:
    return {**issue.params, _COLUMN: issue.column, _RELATED: list(issue.related_rows)}


def issue_from_row(rec: Mapping[str, Any], sla: Sla, prefix: str) -> Issue:
    """A resolved issue rebuilt from its database row (it is no longer in the data)."""
    try:
        params = json.loads(rec.get("message_params") or "{}")
    except ValueError:
        params = {}
    if not isinstance(params, dict):
        params = {}
    column = params.pop(_COLUMN, None)
    related = tuple(int(r) for r in params.pop(_RELATED, None) or () if isinstance(r, int))
    opened = day_of(rec["opened_at"])
    end = day_of(rec["resolved_at"]) if rec.get("resolved_at") else opened
    return Issue(
        rule=rec["rule"], severity=Severity(rec["severity"]), entity=rec["entity"], file=rec["file"] or "",
        sheet=rec["sheet"], row=rec["row"], key=rec["key"], field=rec["field"], value=rec["value"],
        department=rec["department"], params=params, status=Status(rec["status"]), first_seen=rec["first_seen"],
        column=column if isinstance(column, str) else None, related_rows=related,
        tracking={"issue_number": format_number(rec["number"], prefix), "last_seen": rec["last_seen"],
                  "times_seen": rec["times_seen"], "opened_at": rec["opened_at"], "resolved_at": rec.get("resolved_at"),
                  "age_days": sla.age(opened, end), "due": None, "overdue": False},
    )


def _record_counts(conn: Connection, run_id: int, issues: Sequence[Issue], resolved: Sequence[Issue]) -> dict[str, int]:
    by = Counter((i.severity.value, i.department or NO_DEPARTMENT) for i in issues)
    if by:
        conn.execute(insert(db.run_counts), [{"run_id": run_id, "severity": s, "department": d, "issues": n}
                                             for (s, d), n in sorted(by.items())])
    counts = _counts(issues, resolved)
    conn.execute(update(db.runs).where(db.runs.c.id == run_id).values(
        errors=counts["error"], warnings=counts["warning"], infos=counts["info"], new=counts["new"],
        reopened=counts["reopened"], resolved=counts["resolved"], overdue=counts["overdue"]))
    return counts


def _counts(issues: Sequence[Issue], resolved: Sequence[Issue]) -> dict[str, int]:
    # Findings that share a fingerprint (both rows of a duplicate pair) are one tracked issue: new, open,
    # reopened and overdue count tracked issues, as `dq issues list` shows them.
    tracked = {i.tracking.get("issue_number") or i.fingerprint: i for i in issues}.values()
    status = Counter(i.status.value for i in tracked)
    sev = Counter(i.severity.value for i in issues)
    return {
        "error": sev["error"], "warning": sev["warning"], "info": sev["info"],
        "new": status["new"], "open": status["open"], "reopened": status["reopened"], "resolved": len(resolved),
        "overdue": sum(1 for i in tracked if i.tracking.get("overdue")),
        "fixed_by_department": sum(1 for i in resolved if i.tracking.get("resolution")),
    }


def _replay(conn: Connection, last: Row, issues: Sequence[Issue], *, now: dt.datetime, sla: Sla,
            files: Sequence[str], project: str, prefix: str) -> Tracked:
    """A re-run on the same data: no issue changes; statuses are those the original run gave."""
    origin = last.rerun_of or last.id
    stamp = iso(now)
    today = now.date()
    run_id = conn.execute(
        insert(db.runs).values(started_at=stamp, day=today.isoformat(), status="running", project=project,
                               files=json.dumps(list(files), ensure_ascii=False), digest=last.digest, rerun_of=origin)
    ).inserted_primary_key[0]  # type: ignore[index]
    fps = sorted({i.fingerprint for i in issues})
    rows: dict[str, Row] = {}
    for start in range(0, len(fps), _CHUNK):
        chunk = fps[start : start + _CHUNK]
        rows.update((r.fingerprint, r) for r in conn.execute(select(db.issues).where(db.issues.c.fingerprint.in_(chunk))))
    status_then = {r.number: r.status for r in conn.execute(
        select(db.events.c.number, db.events.c.status).where(db.events.c.run_id == origin))}
    out = []
    for issue in issues:
        row = rows[issue.fingerprint]
        rec = {**row._asdict(), "status": status_then.get(row.number, row.status)}
        out.append(_decorate(issue, rec, sla, today, prefix))
    resolved_numbers = [n for n, s in status_then.items() if s == Status.RESOLVED.value]
    resolved = []
    for start in range(0, len(resolved_numbers), _CHUNK):
        chunk = resolved_numbers[start : start + _CHUNK]
        resolved += [issue_from_row(r._asdict(), sla, prefix)
                     for r in conn.execute(select(db.issues).where(db.issues.c.number.in_(chunk)))]
    counts = _counts(out, resolved)
    conn.execute(update(db.runs).where(db.runs.c.id == run_id).values(
        errors=counts["error"], warnings=counts["warning"], infos=counts["info"], new=counts["new"],
        reopened=counts["reopened"], resolved=counts["resolved"], overdue=counts["overdue"]))
    return Tracked(run_id, out, resolved, origin, counts)


def finish_run(store: Store, run_id: int, *, now: dt.datetime, report_dir: str | None, fail_on: str, exit_code: int,
               status: str = "done") -> None:
    """Mark the run done (or failed) with its report folder and exit code."""
    with store.transaction() as conn:
        conn.execute(update(db.runs).where(db.runs.c.id == run_id).values(
            status=status, finished_at=iso(now), report_dir=report_dir, fail_on=fail_on, exit_code=exit_code))
