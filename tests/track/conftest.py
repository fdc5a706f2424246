"""Fixtures of the tracking tests: a fresh state database on SQLite and, when a server is given, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh state database: a SQLite file, or a new database on DQ_TEST_POSTGRES_URL's server."""
    if request.param == "sqlite":
        yield "sqlite:///.dq/state.db"  # relative to dq.yaml
        return
    admin_url = os.environ.get("DQ_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("no PostgreSQL server: set DQ_TEST_POSTGRES_URL=postgresql+psycopg://user@host:port/db")
    name = f"dq_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
