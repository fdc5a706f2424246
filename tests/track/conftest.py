"""Fixtures of the tracking tests: a fresh state database on SQLite and, when a server is given, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pg import fresh_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh state database: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield "sqlite:///.dq/state.db"  # relative to dq.yaml
        return
    yield from fresh_postgres_database(request)
