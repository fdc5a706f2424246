"""Database fixtures: every store test runs on SQLite and, when a server can be had, on PostgreSQL
(the server fixture is in tests/pg.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pg import fresh_postgres_database
from sqlalchemy.engine import Connection

from dataquality.approve import audit
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.store import Store, open_store


@pytest.fixture(scope="session")
def policy(config: Config) -> ApprovalPolicy:
    return ApprovalPolicy.load(config=config)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'dq.db'}"
        return
    yield from fresh_postgres_database(request)


TEST_KEY = bytes(range(32))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An opened store with a test audit key bound (dq binds the key file's key the same way)."""
    s = open_store(db_url)
    audit.bind_key(s.engine, TEST_KEY)
    try:
        yield s
    finally:
        s.close()


@contextmanager
def guards_down(conn: Connection) -> Iterator[None]:
    """What someone with raw database access can do: drop the protecting triggers, and put them back
    as they were afterwards (their definitions read from the database, as such a person would)."""
    if conn.dialect.name == "sqlite":
        saved = [(f"DROP TRIGGER {name}", sql) for name, sql in
                 conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")]
    else:
        saved = [(f"DROP TRIGGER {name} ON {table}", sql) for name, table, sql in conn.exec_driver_sql(
            "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal")]
    for drop, _ in saved:
        conn.exec_driver_sql(drop)
    yield
    for _, create in saved:
        conn.exec_driver_sql(create)
