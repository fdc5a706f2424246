"""The corrections departments sent back, in the state database (track_corrections).

`dq corrections import` records each filled row of a correction list with what became of it;
tracking reads them back: an issue that goes away after its department corrected it is resolved
as fixed by that department, and `dq issues show` lists who corrected what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from dataquality.issue import Issue
from dataquality.store import Store
from dataquality.track import db

_CHUNK = 500
FIXED_BY_DEPARTMENT = "fixed-by-department"
# Outcomes of an imported row: the value went into a corrected master, became a change request
# (a sensitive field), or was refused (it still breaks a rule, the issue is unknown or closed ...).
APPLIED, REQUESTED, REFUSED = "applied", "requested", "refused"
COUNTS_AS_FIXED = (APPLIED, REQUESTED)


@dataclass(frozen=True)
class ImportedCorrection:
    """One filled row of a correction list, and what became of it."""

    number: int
    imported_at: str
    new_value: str
    outcome: str
    list_file: str | None = None
    department: str | None = None
    old_value: str | None = None
    done_by: str | None = None
    done_on: str | None = None
    request_id: int | None = None
    reason: str | None = None


def numbers_by_fingerprint(store: Store, fingerprints: Iterable[str]) -> dict[str, int]:
    """The issue number of each fingerprint the project has tracked; read only."""
    wanted = sorted(set(fingerprints))
    found: dict[str, int] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            q = select(db.issues.c.fingerprint, db.issues.c.number).where(db.issues.c.fingerprint.in_(chunk))
            found.update((fp, int(n)) for fp, n in conn.execute(q))
    return found


def tracked_issues(store: Store, numbers: Iterable[int]) -> dict[int, Mapping[str, Any]]:
    """The tracked issues with these numbers (rule, entity, key, field, status, where last seen)."""
    wanted = sorted(set(numbers))
    found: dict[int, Mapping[str, Any]] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found.update((r.number, r._asdict()) for r in conn.execute(select(db.issues).where(db.issues.c.number.in_(chunk))))
    return found


def already_imported(store: Store, numbers: Iterable[int]) -> dict[int, list[Mapping[str, Any]]]:
    """The rows imported before for these issues, oldest first."""
    wanted = sorted(set(numbers))
    found: dict[int, list[Mapping[str, Any]]] = {n: [] for n in wanted}
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            q = select(db.corrections).where(db.corrections.c.number.in_(chunk)).order_by(db.corrections.c.id)
            for r in conn.execute(q):
                found[r.number].append(r._asdict())
    return found


def record(store: Store, rows: Sequence[ImportedCorrection]) -> None:
    """Record imported rows (one transaction)."""
    if not rows:
        return
    with store.transaction() as conn:
        conn.execute(insert(db.corrections), [vars(r) for r in rows])


def fixed_by_department(conn: Connection, opened: Mapping[int, str]) -> dict[int, Mapping[str, Any]]:
    """Issue number -> the latest correction its department sent back (applied or requested) since it
    was opened (`opened`: number -> opened_at), for the issues that have one."""
    wanted = sorted(opened)
    found: dict[int, Mapping[str, Any]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        q = (select(db.corrections).where(db.corrections.c.number.in_(chunk),
                                          db.corrections.c.outcome.in_(COUNTS_AS_FIXED))
             .order_by(db.corrections.c.id))
        for r in conn.execute(q):
            if dt.datetime.fromisoformat(r.imported_at) >= dt.datetime.fromisoformat(opened[r.number]):
                found[r.number] = r._asdict()
    return found


def with_resolution(issue: Issue, fixed: Mapping[str, Any] | None) -> Issue:
    """A resolved issue marked fixed by its department (`fixed`: its correction), with who and when."""
    if fixed is None:
        return issue
    return issue.with_tracking(tracking={**issue.tracking, "resolution": FIXED_BY_DEPARTMENT, "fixed_by": fixed["done_by"],
                                         "fixed_department": fixed["department"], "fixed_on": fixed["done_on"]})
