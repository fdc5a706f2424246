"""Import jobs: an upload kept in the state folder under a random name, and its row in the project
database (owner, file name, created, expires). A clerk sees only his own jobs; an administrator
sees all. Expired jobs are removed with their files whenever jobs are listed or made."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, select, update

from dataquality.approve import audit
from dataquality.approve.accounts import ADMIN, CLERK, Account, NotAllowedError
from dataquality.approve.submission import _safe_name
from dataquality.desk.db import edits, jobs
from dataquality.errors import DQError, InputError
from dataquality.store import Store

FOLDER = "desk"
EXPIRE_HOURS = 72.0  # dq.yaml desk.expire_hours
MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # the web guard's upload limit says the same for every route


class DeskError(DQError):
    """Something the desk cannot do with this job (not found, not yours, too large)."""


@dataclass(frozen=True)
class Job:
    """One import: whose it is, where its upload is kept and what the clerk chose for it."""

    id: str
    owner_id: str
    owner_name: str
    file_name: str
    path: Path
    size: int
    created_at: str
    expires_at: str
    choice: dict[str, Any]
    confirmed: bool
    layout_key: str | None
    submission_id: int | None

    @property
    def folder(self) -> Path:
        return self.path.parent


def may_use_desk(account: Account) -> bool:
    """Clerks and administrators work on imports."""
    return account.holds(CLERK) or account.holds(ADMIN)


def _job(row: Any, state_dir: Path) -> Job:
    return Job(row.id, row.owner_id, row.owner_name, row.file_name, Path(state_dir) / row.stored, row.size,
               row.created_at, row.expires_at, json.loads(row.choice) if row.choice else {}, bool(row.confirmed),
               row.layout_key, row.submission_id)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def store_upload(state_dir: Path, stream: BinaryIO, name: str, max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[str, Path, int]:
    """Copy an upload into STATE/desk/<random>/<safe name> (owner-only); (job id, path, size).
    Too large: nothing is kept, DeskError."""
    job_id = secrets.token_hex(16)
    folder = Path(state_dir) / FOLDER / job_id
    folder.mkdir(parents=True, mode=0o700)
    target = folder / _safe_name(name or "upload.xlsx")
    size = 0
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: stream.read(1 << 20), b""):
                size += len(block)
                if size > max_bytes:
                    raise DeskError("desk.too_large", limit=max_bytes // (1024 * 1024))
                out.write(block)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise InputError("desk.empty_upload", file=_safe_name(name or "-"))
    return job_id, target, size


def discard(path: Path) -> None:
    """Remove a kept upload that never became a job (unreadable, a bad mapping)."""
    shutil.rmtree(path.parent, ignore_errors=True)


def record(store: Store, state_dir: Path, account: Account, job_id: str, path: Path, size: int, file_name: str,
           choice: dict[str, Any], confirmed: bool, layout_key: str | None, expire_hours: float = EXPIRE_HOURS) -> Job:
    """The job's row and its audit event, in one transaction."""
    now = _now()
    row = {"id": job_id, "owner_id": account.person_id, "owner_name": account.name, "file_name": file_name,
           "stored": str(path.relative_to(state_dir)), "size": size, "created_at": now.isoformat(timespec="seconds"),
           "expires_at": (now + dt.timedelta(hours=expire_hours)).isoformat(timespec="seconds"),
           "choice": json.dumps(choice, ensure_ascii=False), "confirmed": int(confirmed), "layout_key": layout_key}
    with store.transaction() as conn:
        conn.execute(jobs.insert().values(**row))
        audit.append(conn, "desk_upload", actor=account.name, entity="import", key=job_id, comment=file_name,
                     data={"size": size, "layout": layout_key, "remembered": confirmed})
    return get(store, state_dir, job_id, account)


def get(store: Store, state_dir: Path, job_id: str, account: Account) -> Job:
    """The job `job_id` if `account` may see it: its owner or an administrator (404 for anyone else,
    so another clerk cannot even learn that the id exists)."""
    with store.transaction() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == str(job_id)[:40])).first()
    if row is None or (row.owner_id != account.person_id and not account.holds(ADMIN)):
        raise DeskError("desk.not_found", id=str(job_id)[:40])
    if not may_use_desk(account):
        raise NotAllowedError("desk.clerks_only")
    return _job(row, state_dir)


def listing(store: Store, state_dir: Path, account: Account) -> list[Job]:
    """The jobs `account` sees, newest first (expired ones removed first)."""
    expire(store, state_dir)
    query = select(jobs).order_by(jobs.c.created_at.desc())
    if not account.holds(ADMIN):
        query = query.where(jobs.c.owner_id == account.person_id)
    with store.transaction() as conn:
        return [_job(r, state_dir) for r in conn.execute(query)]


def set_choice(store: Store, job: Job, choice: dict[str, Any], confirmed: bool, layout_key: str | None) -> None:
    """The clerk's sheet, header row, entity, mapping and value mapping for the job."""
    with store.transaction() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job.id).values(
            choice=json.dumps(choice, ensure_ascii=False), confirmed=int(confirmed), layout_key=layout_key))


def set_submission(store: Store, job: Job, submission_id: int) -> None:
    with store.transaction() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job.id).values(submission_id=submission_id))


def expire(store: Store, state_dir: Path, now: dt.datetime | None = None) -> list[str]:
    """Remove the jobs past their expiry: rows, edits and kept files. Returns their ids."""
    cutoff = (now or _now()).isoformat(timespec="seconds")
    with store.transaction() as conn:
        gone = [r.id for r in conn.execute(select(jobs.c.id, jobs.c.stored).where(jobs.c.expires_at < cutoff))]
        if gone:
            conn.execute(delete(edits).where(edits.c.job_id.in_(gone)))
            conn.execute(delete(jobs).where(jobs.c.id.in_(gone)))
    for job_id in gone:
        shutil.rmtree(Path(state_dir) / FOLDER / job_id, ignore_errors=True)
    return gone
