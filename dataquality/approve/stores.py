"""Opening the approval store with its audit key bound, so every event written is sealed.

Opening never seals anything (issue 23, "dq 0.1 laundering"): a log of rows without the key is
sealed in exactly two places, and nowhere else -
  * the upgrade of a database of dq 0.1 (its schema_migrations or revision 0001) that no key has
    ever been made for, by a command of the key holder that writes (dq serve, dq apply, dq init,
    dq users bootstrap): the key is made and the `seal` event written inside the upgrade's locked
    transaction, before anyone could have rewritten the log under today's schema;
  * `dq audit seal-legacy --expect-head SEQ:HASH`: the key holder names the exact log he has
    looked at; a database with accounts (which dq 0.1 never had) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from dataquality.approve import audit, coverage
from dataquality.approve.db import audit_log, users
from dataquality.approve.keys import (
    KEY_ENV,
    KEY_FILE_ENV,
    AuditKeyError,
    FoundKey,
    create_key,
    find_key,
    key_path,
)
from dataquality.store import Store, open_store


@dataclass
class _Opening:
    """What opening one store found and did about its key."""

    url: str
    found: FoundKey | None
    write: bool
    created: bytes | None = None
    sealed_in_upgrade: bool = field(default=False)

    @property
    def key(self) -> bytes | None:
        return self.found.key if self.found else self.created

    def after_upgrade(self, conn: Connection, before: str | None) -> None:
        """Seal a dq 0.1 log inside its upgrade by a command of the key holder (one that writes), when
        no key had been made for this database yet."""
        if before != "0001" or self.found is not None or not self.write:
            return
        legacy, keyed = _log_counts(conn)
        if not legacy or keyed or conn.execute(select(users.c.id).limit(1)).first() is not None:
            return
        self.created = create_key(key_path(self.url))
        audit.bind_key(conn.engine, self.created)
        audit.append(conn, "seal", actor="dq upgrade", comment="dq 0.1 log sealed with the audit key during the upgrade",
                     data=coverage.snapshot(conn))
        self.sealed_in_upgrade = True


def _log_counts(conn: Connection) -> tuple[int, int]:
    """(rows without the key, rows with it)."""
    legacy = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.alg.is_(None))).scalar() or 0
    keyed = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.alg.is_not(None))).scalar() or 0
    return int(legacy), int(keyed)


def open_approval_store(url: str, state_dir: Path | str, write: bool = True) -> Store:
    """The store at `url` with the audit key bound (keys.find_key). `write`: a new database (nothing
    in its log, no account) gets a new key file; a database whose log is sealed needs its key."""
    opening = _Opening(url, find_key(url, state_dir), write)
    store = open_store(url, after_upgrade=opening.after_upgrade)
    try:
        key = opening.key
        if key is None and write:
            with store.transaction() as conn:
                legacy, keyed = _log_counts(conn)
                fresh = not legacy and not keyed and conn.execute(select(users.c.id).limit(1)).first() is None
            if not fresh:
                raise AuditKeyError("keys.missing", file=str(key_path(url)), env=KEY_ENV, file_env=KEY_FILE_ENV)
            key = create_key(key_path(url))
        if key is not None:
            audit.bind_key(store.engine, key)
    except BaseException:
        store.close()
        raise
    return store


def seal_legacy(store: Store, expect_head: str, operator: str) -> str:
    """Seal the rows of a dq 0.1 log that no key vouches for, by the key holder who names the exact
    log he checked (`expect_head`, SEQ:HASH of its last row); returns the new head. Refused when the
    log ends in a keyed row already, when the head differs, or when the database has accounts."""
    seq, seal = audit.parse_head(expect_head)
    with store.transaction() as conn:
        last = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()
        if last is None or last.alg is not None:
            raise audit.AuditError("audit.nothing_to_seal")
        if last.seq != seq or not last.hash.startswith(seal):
            raise audit.AuditError("audit.seal_anchor_mismatch", anchor=expect_head.strip(), head=f"{last.seq}:{last.hash[:audit.HEAD_LEN]}")
        if conn.execute(select(users.c.id).limit(1)).first() is not None:
            raise audit.AuditError("audit.seal_has_accounts")
        audit.append(conn, "seal", actor=operator, comment=f"dq 0.1 log sealed by the key holder at {expect_head.strip()}",
                     data={**coverage.snapshot(conn), "anchor": expect_head.strip()})
        return audit.head(conn)


def open_for_sealing(url: str, state_dir: Path | str) -> Store:
    """The store `dq audit seal-legacy` seals: with its key, made now when the database never had one
    (a dq 0.1 database upgraded by a command without the key); never a second key for a keyed log."""
    if find_key(url, state_dir) is None:
        probe = open_store(url)
        try:
            with probe.transaction() as conn:
                _, keyed = _log_counts(conn)
        finally:
            probe.close()
        if keyed:
            raise AuditKeyError("keys.missing", file=str(key_path(url)), env=KEY_ENV, file_env=KEY_FILE_ENV)
        create_key(key_path(url))
    return open_approval_store(url, state_dir, write=False)
