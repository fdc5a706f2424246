"""A PostgreSQL server for the database tests, shared by the approval and tracking tests.

PostgreSQL comes from DQ_TEST_POSTGRES_URL (set by .ci/run), or is started here from the Debian
packages with .ci/postgres.sh; each test gets a database of its own. When neither works the
PostgreSQL variants are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PG_SCRIPT = ROOT / ".ci" / "postgres.sh"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    """The admin URL of a PostgreSQL server, or None with the reason kept for the skip."""
    url = os.environ.get("DQ_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="dq-pg-"))
    try:
        done = subprocess.run(["bash", str(PG_SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _REASON.append(str(exc))
        yield None
        return
    if done.returncode != 0:
        _REASON.append((done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return
    try:
        yield done.stdout.strip()
    finally:
        subprocess.run(["bash", str(PG_SCRIPT), "stop", str(folder)], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


_REASON: list[str] = []


def _fresh_pg_database(admin_url: str) -> tuple[str, str]:
    name = f"dq_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def fresh_postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """Yield the URL of a new, empty database on the test server (dropped afterwards), or skip with the reason."""
    admin = request.getfixturevalue("postgres_server")
    if admin is None:
        pytest.skip(f"no PostgreSQL server: {'; '.join(_REASON) or 'could not be started'}")
    try:
        url, name = _fresh_pg_database(admin)
    except Exception as exc:  # the server went away or refuses: say why, do not fail the SQLite run
        pytest.skip(f"no PostgreSQL server: {str(exc).splitlines()[0]}")
    try:
        yield url
    finally:
        _drop_pg_database(admin, name)
