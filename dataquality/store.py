"""The state database: one SQLAlchemy engine for approvals, audit log and issue history.

SQLite file by default (WAL, busy timeout, so two people can work at once), any SQLAlchemy
URL (postgresql+psycopg://...) otherwise. Each component (approve, track, ...) registers its
versioned migrations here; `open_store` applies the missing ones inside a locked transaction,
so two processes starting together migrate once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from dataquality.errors import DQError

DEFAULT_STATE_DIR = Path(".dq")
DEFAULT_DB_NAME = "dq.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000

_meta = MetaData()
schema_migrations = Table(
    "schema_migrations",
    _meta,
    Column("component", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

Migration = Callable[[Connection], None]
_MIGRATIONS: dict[str, list[Migration]] = {}


class StoreError(DQError):
    """The state database cannot be opened or used."""


def register_migrations(component: str, migrations: list[Migration]) -> None:
    """Declare a component's migrations, oldest first; version N is migrations[N-1]. Never reorder."""
    _MIGRATIONS[component] = migrations


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


def create_store_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL, a busy timeout and immediate transactions."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
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


def _lock_for_migration(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(724201)"))


def migrate(engine: Engine) -> None:
    """Apply every registered component's missing migrations, each version once."""
    with engine.begin() as conn:
        _lock_for_migration(conn)
        _meta.create_all(conn, checkfirst=True)
        done = {(r.component, r.version) for r in conn.execute(select(schema_migrations))}
        for component, migrations in sorted(_MIGRATIONS.items()):
            for version, step in enumerate(migrations, start=1):
                if (component, version) in done:
                    continue
                step(conn)
                conn.execute(
                    schema_migrations.insert().values(component=component, version=version, applied_at=dt.datetime.now(dt.UTC))
                )


def open_store(url: str | None = None, state_dir: Path | str = DEFAULT_STATE_DIR) -> Store:
    """Open (creating and migrating as needed) the state database at `url` or in `state_dir`."""
    _load_components()
    url = url or default_url(state_dir)
    engine = create_store_engine(url)
    try:
        migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        raise StoreError("store.unavailable", url=_redact(url), error=str(exc.orig).splitlines()[0]) from None
    return Store(engine, url)


def _load_components() -> None:
    """Import the modules that register migrations (they call register_migrations on import)."""
    import importlib

    for module in ("dataquality.approve.db", "dataquality.track.db"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise
