"""The state database: one SQLAlchemy engine for approvals, audit log and issue history.

SQLite file by default (WAL, busy timeout, so two people can work at once), any SQLAlchemy
URL (postgresql+psycopg://...) otherwise. Its schema is versioned by Alembic: the revisions in
dataquality/migrations/versions, 0001 being the schema of dq 0.1.0. `open_store` upgrades the
database to the newest revision inside one locked transaction (BEGIN IMMEDIATE on SQLite, an
advisory lock on PostgreSQL), so two processes starting together migrate once; a database of
0.1.0 (its `schema_migrations` table) is stamped at the revision it corresponds to first.
docs/state-database.md says how to add a revision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from dataquality.errors import DQError

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

DEFAULT_STATE_DIR = Path(".dq")
DEFAULT_DB_NAME = "dq.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000

# The version table of the pre-Alembic scheme (dq 0.1.0): (component, version) rows. The sets
# it can hold, and the Alembic revision each one is the same schema as.
LEGACY_TABLE = "schema_migrations"
LEGACY_REVISIONS: dict[frozenset[tuple[str, int]], str] = {
    # dq 0.1.0: the approval tables and their triggers, the tracking tables.
    frozenset({("approve", 1), ("approve", 2), ("track", 1)}): "0001",
    # Built from main before Alembic (issue 14's keyed chain as `approve` migration 3).
    frozenset({("approve", 1), ("approve", 2), ("approve", 3), ("track", 1)}): "0002",
}
VERSION_TABLE = "alembic_version"  # as dataquality/migrations/env.py names it
# The newest revision in dataquality/migrations/versions, named here so that opening a database
# already there costs one query and no Alembic import (a quarter of a second); a test holds it
# equal to Alembic's own answer. Adding a revision: set it here too (docs/state-database.md).
HEAD_REVISION = "0006"
# The revisions ship inside the package (an installed wheel too): no alembic.ini at run time.
SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 724201  # PostgreSQL advisory lock id while migrating


class StoreError(DQError):
    """The state database cannot be opened or used."""


def default_url(state_dir: Path | str = DEFAULT_STATE_DIR) -> str:
    """The SQLite file in the state folder."""
    path = Path(state_dir).resolve() / DEFAULT_DB_NAME
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    # BEGIN IMMEDIATE takes the write lock up front: two writers queue instead of deadlocking.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _create_private(path: Path) -> None:
    """Create an empty SQLite file readable by its owner only (0600): it holds password hashes and
    the approvals; SQLite gives its -wal and -shm files the same mode."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def create_store_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL, a busy timeout and immediate transactions."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        _create_private(Path(url.removeprefix("sqlite:///")))
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "isolation_level": None})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError("store.bad_url", url=_redact(url), error=str(exc).splitlines()[0]) from None
    return engine


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


@dataclass
class Store:
    """An opened, migrated state database."""

    engine: Engine
    url: str

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit of work: committed at the end, rolled back on any error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError("store.unavailable", url=_redact(self.url), error=str(exc.orig).splitlines()[0]) from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def lock_for_migration(conn: Connection) -> None:
    """Hold the migration lock until `conn`'s transaction ends. On SQLite the transaction itself
    is the lock (BEGIN IMMEDIATE takes the write lock up front); PostgreSQL takes an advisory lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK})


@cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(SCRIPT_LOCATION))


def head_revision() -> str:
    """The newest revision this version of dq knows."""
    head = _script().get_current_head()
    assert head is not None, "dataquality/migrations/versions has no revision"
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at (None: not under Alembic yet)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    found = [r[0] for r in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]
    return found[0] if len(found) == 1 else ",".join(sorted(found)) or None


def _alembic(conn: Connection, command_name: str, revision: str) -> None:
    """alembic.command.<command_name>(revision) on `conn`, inside its transaction (env.py takes it
    from config.attributes); no alembic.ini: the script location is the package's own folder."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))  # ConfigParser syntax
    cfg.attributes["connection"] = conn
    getattr(command, command_name)(cfg, revision)


def _adopt_legacy(conn: Connection, url: str) -> None:
    """A database of the pre-Alembic scheme: stamp it at the revision its schema_migrations rows
    correspond to and drop that table (the same transaction as the upgrade that follows)."""
    if not inspect(conn).has_table(LEGACY_TABLE):
        return
    done = frozenset((str(c), int(v)) for c, v in conn.execute(text(f"SELECT component, version FROM {LEGACY_TABLE}")))
    revision = LEGACY_REVISIONS.get(done)
    if revision is None:
        found = ", ".join(f"{c} {v}" for c, v in sorted(done)) or "-"
        raise StoreError("store.unknown_legacy", url=_redact(url), found=found)
    _alembic(conn, "stamp", revision)
    conn.execute(text(f"DROP TABLE {LEGACY_TABLE}"))


def _refuse_unknown(url: str, revision: str | None) -> None:
    from alembic.util import CommandError

    if revision is None:
        return
    try:
        _script().get_revision(revision)
    except CommandError:
        raise StoreError("store.newer_schema", url=_redact(url), revision=revision) from None


def backup_path(database: Path, target: str) -> Path:
    """Where the copy of an SQLite database taken before upgrading it to `target` goes."""
    return database.with_name(f"{database.name}.before-{target}.bak")


def backup_before_upgrade(conn: Connection, url: str, target: str) -> Path | None:
    """Copy an SQLite database file before its schema changes (dq offers no downgrade: this copy is
    the way back). The first copy for a revision is kept; PostgreSQL is backed up by its owner."""
    if conn.dialect.name != "sqlite" or not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    import os
    import sqlite3

    database = Path(url.removeprefix("sqlite:///"))
    dest = backup_path(database, target)
    if dest.exists():
        return dest
    partial = dest.with_name(dest.name + ".partial")
    try:
        # A second connection reads the committed state (WAL lets it while `conn` holds the write lock).
        src = sqlite3.connect(database)
        try:
            _create_private(partial)  # the copy holds what the database holds: owner only
            out = sqlite3.connect(partial)
            try:
                src.backup(out)
            finally:
                out.close()
        finally:
            src.close()
        os.replace(partial, dest)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError("store.backup_failed", url=_redact(url), file=str(dest), error=str(exc).splitlines()[0]) from None
    return dest


# Called inside the upgrade's transaction, after the revisions ran, with the revision the database
# was at before (None: new, or dq 0.1.0's own scheme, adopted as 0001). The approval store seals a
# log of dq 0.1 here and nowhere else on an ordinary open (approve/stores.py).
AfterUpgrade = Callable[[Connection, "str | None"], None]


def migrate(engine: Engine, url: str | None = None, revision: str = "head",
            after_upgrade: AfterUpgrade | None = None) -> None:
    """Upgrade the database to `revision` (the newest by default), once, under the migration lock:
    the first of two processes starting together migrates, the second then finds it done.
    Upgrades only: a database newer than this code is refused, never taken back."""
    url = url or engine.url.render_as_string(hide_password=True)
    target = HEAD_REVISION if revision == "head" else revision
    with engine.begin() as conn:
        lock_for_migration(conn)
        current = current_revision(conn)
        if current == target:
            return
        _refuse_unknown(url, current)
        legacy = inspect(conn).has_table(LEGACY_TABLE)
        if current is not None or legacy:
            backup_before_upgrade(conn, url, target)
        try:
            if current is None:
                _adopt_legacy(conn, url)
            _alembic(conn, "upgrade", target)
            if after_upgrade is not None:
                after_upgrade(conn, "0001" if legacy and current is None else current)
        except SQLAlchemyError as exc:  # the transaction rolls back: the database stays as it was
            raise StoreError("store.migration_failed", url=_redact(url), revision=target,
                             error=str(getattr(exc, "orig", None) or exc).splitlines()[0]) from None


def open_store(url: str | None = None, state_dir: Path | str = DEFAULT_STATE_DIR,
               after_upgrade: AfterUpgrade | None = None) -> Store:
    """Open (creating and migrating as needed) the state database at `url` or in `state_dir`."""
    url = url or default_url(state_dir)
    engine = create_store_engine(url)
    try:
        migrate(engine, url, after_upgrade=after_upgrade)
    except OperationalError as exc:
        engine.dispose()
        raise StoreError("store.unavailable", url=_redact(url), error=str(exc.orig).splitlines()[0]) from None
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, url)
