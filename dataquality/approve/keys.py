"""The audit key: the secret that seals the audit chain (HMAC-SHA256), kept OUTSIDE the database.

Where it comes from, first found wins: DQ_AUDIT_KEY (the key itself, 64 hex digits), the file
named by DQ_AUDIT_KEY_FILE, the file `audit.key` in the state folder (.dq/audit.key), created by
`dq init` (and by the first approval command on a database whose log is still empty) with mode
0600. Write access to the database alone then cannot forge, rebuild or re-seal the chain; whoever
holds both the key and the database can (docs/security.md).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from dataquality.errors import DQError

KEY_ENV = "DQ_AUDIT_KEY"
KEY_FILE_ENV = "DQ_AUDIT_KEY_FILE"
KEY_FILE_NAME = "audit.key"
KEY_BYTES = 32


class AuditKeyError(DQError):
    """The audit key is missing or unreadable (exit 2: the user can fix it)."""


def default_key_path(state_dir: Path | str) -> Path:
    """The key file in the state folder: .dq/audit.key."""
    return Path(state_dir) / KEY_FILE_NAME


def key_path(state_dir: Path | str) -> Path:
    """The key file in use: DQ_AUDIT_KEY_FILE, else the state folder's audit.key."""
    named = os.environ.get(KEY_FILE_ENV)
    return Path(named) if named else default_key_path(state_dir)


def _parse(text: str, where: str) -> bytes:
    raw = text.strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        raise AuditKeyError("keys.bad", where=where) from None
    if len(key) < 16:
        raise AuditKeyError("keys.bad", where=where)
    return key


def load_key(state_dir: Path | str) -> bytes | None:
    """The audit key from the environment or the key file; None when there is none yet."""
    env = os.environ.get(KEY_ENV)
    if env:
        return _parse(env, KEY_ENV)
    path = key_path(state_dir)
    if not path.exists():
        return None
    try:
        return _parse(path.read_text(encoding="ascii"), str(path))
    except (OSError, UnicodeDecodeError):
        raise AuditKeyError("keys.unreadable", file=str(path)) from None


def create_key(path: Path) -> bytes:
    """Write a new random key to `path` (mode 0600, never over an existing file); return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    try:
        # link() fails when the file exists: two processes creating it at once keep one key.
        os.link(tmp, path)
    except FileExistsError:
        os.unlink(tmp)
        return _parse(path.read_text(encoding="ascii"), str(path))
    os.unlink(tmp)
    return key


def key_id(key: bytes) -> str:
    """A short public name of the key: which key sealed a row (never the key itself)."""
    return hashlib.sha256(b"dq-audit-key-id:" + key).hexdigest()[:16]
