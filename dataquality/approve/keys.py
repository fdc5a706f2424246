"""The audit key: the secret that seals the audit chain (HMAC-SHA256), kept OUTSIDE the database and
outside the project's state folder.

Where it comes from, first found wins:
  1. DQ_AUDIT_KEY: the key itself, 64 hex digits (a CI secret, a service's environment);
  2. DQ_AUDIT_KEY_FILE: a file holding it;
  3. the per-database key file in the user's configuration folder of the account that runs the
     service (`~/.config/dq/keys/<database id>.key` on Linux, platformdirs elsewhere), created with
     mode 0600 by `dq init` or by `dq serve` on a new database;
  4. `audit.key` in the state folder, where dq before issue 23 kept it: read (so those projects keep
     working) but never created there any more.

The key is held by the service that writes the log (`dq serve`, `dq apply` and `dq init` run as its
account); people approve through the service and never read it. Write access to the database or
to the project folder alone then cannot forge, rebuild or re-seal the chain (docs/security.md).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dataquality.errors import DQError

KEY_ENV = "DQ_AUDIT_KEY"
KEY_FILE_ENV = "DQ_AUDIT_KEY_FILE"
LEGACY_KEY_FILE = "audit.key"  # in the state folder, before issue 23
KEY_BYTES = 32


class AuditKeyError(DQError):
    """The audit key is missing or unreadable (exit 2: the user can fix it)."""


@dataclass(frozen=True)
class FoundKey:
    """The audit key and where it was found (a file path, or the variable's name)."""

    key: bytes
    where: str
    in_state_folder: bool = False


def database_id(url: str) -> str:
    """A short, stable name of a database for its key file: the SQLite file's absolute path, or the
    URL without its password (never the password itself)."""
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        canonical = "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).resolve())
    else:
        try:
            canonical = make_url(url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse is refused when it is opened
            canonical = url
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def key_dir() -> Path:
    """The folder of per-database key files in the configuration folder of the user running dq."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("dq", appauthor=False)) / "keys"


def default_key_path(url: str) -> Path:
    """Where the key of the database at `url` is kept by default: outside the state folder."""
    return key_dir() / f"{database_id(url)}.key"


def key_path(url: str) -> Path:
    """The key file in use for `url`: DQ_AUDIT_KEY_FILE, else the per-database default."""
    named = os.environ.get(KEY_FILE_ENV)
    return Path(named) if named else default_key_path(url)


def _parse(text: str, where: str) -> bytes:
    raw = text.strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        raise AuditKeyError("keys.bad", where=where) from None
    if len(key) < 16:
        raise AuditKeyError("keys.bad", where=where)
    return key


def _read(path: Path) -> bytes:
    try:
        return _parse(path.read_text(encoding="ascii"), str(path))
    except (OSError, UnicodeDecodeError):
        raise AuditKeyError("keys.unreadable", file=str(path)) from None


def find_key(url: str, state_dir: Path | str | None = None) -> FoundKey | None:
    """The audit key of the database at `url`; None when there is none yet."""
    env = os.environ.get(KEY_ENV)
    if env:
        return FoundKey(_parse(env, KEY_ENV), KEY_ENV)
    path = key_path(url)
    if path.exists():
        return FoundKey(_read(path), str(path))
    if state_dir is not None and not os.environ.get(KEY_FILE_ENV):
        legacy = Path(state_dir) / LEGACY_KEY_FILE
        if legacy.exists():
            return FoundKey(_read(legacy), str(legacy), in_state_folder=True)
    return None


def load_key(url: str, state_dir: Path | str | None = None) -> bytes | None:
    """The audit key's bytes (see find_key)."""
    found = find_key(url, state_dir)
    return found.key if found else None


def create_key(path: Path) -> bytes:
    """Write a new random key to `path` (mode 0600 in a 0700 folder, never over an existing file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
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
        return _read(path)
    os.unlink(tmp)
    return key


def key_id(key: bytes) -> str:
    """A short public name of the key: which key sealed a row (never the key itself)."""
    return hashlib.sha256(b"dq-audit-key-id:" + key).hexdigest()[:16]
