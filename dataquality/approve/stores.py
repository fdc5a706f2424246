"""Opening the approval store with its audit key bound, so every event written is sealed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from dataquality.approve import audit, coverage
from dataquality.approve.db import audit_log
from dataquality.approve.keys import KEY_ENV, AuditKeyError, create_key, key_path, load_key
from dataquality.store import Store, open_store


def open_approval_store(url: str, state_dir: Path | str, write: bool = True) -> Store:
    """The store at `url` with the audit key bound. `write`: a database never sealed (fresh, or of
    dq 0.1) gets a new key file; a sealed one without its key is refused, since nothing could be sealed."""
    store = open_store(url)
    try:
        key = load_key(state_dir)
        if key is None:
            with store.transaction() as conn:
                # Never sealed yet (a fresh database, or one of dq 0.1): a new key may start the seals.
                unsealed = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.alg.is_not(None))).scalar() == 0
            if write and unsealed:
                key = create_key(key_path(state_dir))
            elif write:
                raise AuditKeyError("keys.missing", file=str(key_path(state_dir)), env=KEY_ENV)
        if key is not None:
            audit.bind_key(store.engine, key)
            if write:
                seal_legacy(store)
    except BaseException:
        store.close()
        raise
    return store


def seal_legacy(store: Store) -> bool:
    """On a database of dq 0.1 (unkeyed rows at the end of the log), append a `seal` event that
    records the state tables as they stand; returns whether one was written."""
    with store.transaction() as conn:
        last = conn.execute(select(audit_log.c.alg).order_by(audit_log.c.seq.desc()).limit(1)).first()
        if last is None or last.alg is not None:
            return False
        audit.append(conn, "seal", comment="dq 0.1 log sealed with the audit key", data=coverage.snapshot(conn))
    return True
