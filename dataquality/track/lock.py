"""The run lock: one `dq check` at a time per state database; a second one waits, then gives up clearly.

A row in track_locks, taken in a write transaction (BEGIN IMMEDIATE on SQLite, a row lock on
PostgreSQL), works for every database URL and every machine sharing it, unlike a file lock. A
lock left by a run that died is taken over: at once when its process is gone from this machine,
otherwise after `stale_after` (a run on another machine cannot be asked whether it is alive).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from dataquality.errors import DQError
from dataquality.store import Store, StoreError
from dataquality.track import db
from dataquality.track.clock import iso

POLL_SECONDS = 0.5


class LockBusy(DQError):
    """Another `dq check` holds the state database."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _stale(row: Row, host: str, stale_after: dt.timedelta, now: dt.datetime) -> bool:
    if row.host == host and not _alive(row.pid):
        return True
    return now - dt.datetime.fromisoformat(row.acquired_at) > stale_after


def _busy(exc: StoreError) -> bool:
    """A SQLite database locked by another writer (not an unreachable or broken database)."""
    said = str(exc.params.get("error", "")).lower()
    return "database is locked" in said or "database is busy" in said


@contextmanager
def run_lock(store: Store, *, wait_seconds: float, stale_after_minutes: float, name: str = "check") -> Iterator[str]:
    """Hold the lock `name` for the body; wait up to `wait_seconds` for another holder, then raise LockBusy."""
    holder = uuid.uuid4().hex
    host = socket.gethostname()
    pid = os.getpid()
    stale_after = dt.timedelta(minutes=stale_after_minutes)
    deadline = time.monotonic() + wait_seconds
    while True:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        mine = {"holder": holder, "host": host, "pid": pid, "acquired_at": iso(now)}
        other: Row | None = None
        try:
            with store.transaction() as conn:
                row = conn.execute(select(db.locks).where(db.locks.c.name == name).with_for_update()).first()
                if row is None:
                    conn.execute(insert(db.locks).values(name=name, **mine))
                elif _stale(row, host, stale_after, now):
                    conn.execute(update(db.locks).where(db.locks.c.name == name).values(**mine))
                    # The run that held it died: its run row will never be finished.
                    conn.execute(update(db.runs).where(db.runs.c.status == "running").values(status="aborted"))
                else:
                    other = row
        except IntegrityError:
            other = None  # another process inserted the row first (PostgreSQL): look again
            time.sleep(POLL_SECONDS)
            continue
        except StoreError as exc:
            # SQLite: the holder's run is writing (one long transaction) for longer than the busy
            # timeout. That is the other dq check we are waiting for: keep waiting until the deadline.
            if not _busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(POLL_SECONDS)
            continue
        if other is None:
            break
        if time.monotonic() >= deadline:
            raise LockBusy("track.lock_busy", host=other.host, pid=other.pid, since=other.acquired_at,
                           waited=int(wait_seconds))
        time.sleep(POLL_SECONDS)
    try:
        yield holder
    finally:
        with store.transaction() as conn:
            conn.execute(delete(db.locks).where(db.locks.c.name == name, db.locks.c.holder == holder))
