"""Database fixtures: every store test runs on SQLite and, when a server can be had, on PostgreSQL
(the server fixture is in tests/pg.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg import fresh_postgres_database

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
