"""A second dq check waiting for the run lock keeps waiting while the first one's long SQLite write
transaction outlasts the busy timeout (it used to fail with "database is locked", exit 2)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from dataquality import store as store_module
from dataquality.errors import DQError
from dataquality.store import open_store
from dataquality.track.lock import run_lock


def test_a_writer_longer_than_the_busy_timeout_is_waited_for(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 50)  # every attempt gives up quickly
    url = f"sqlite:///{tmp_path / 'dq.db'}"
    store = open_store(url, tmp_path)
    try:
        other = sqlite3.connect(tmp_path / "dq.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the first check's run, writing
        got: list[str] = []
        failed: list[BaseException] = []
        tried = threading.Event()

        def second_check() -> None:
            try:
                with run_lock(store, wait_seconds=600, stale_after_minutes=60) as holder:
                    got.append(holder)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                failed.append(exc)
            finally:
                tried.set()

        waiting = threading.Thread(target=second_check)
        waiting.start()
        # The waiting check has met the busy database at least once (its attempts are 50 ms each) and
        # is still waiting, not failed.
        assert not tried.wait(1.0), failed
        other.execute("COMMIT")  # the first run finishes
        waiting.join(timeout=120)
        other.close()
        assert failed == [] and len(got) == 1
    finally:
        store.close()


def test_an_unreachable_database_is_still_an_error_at_once(tmp_path: Path) -> None:
    with pytest.raises(DQError):
        store = open_store("postgresql+psycopg://nobody@/nope?host=/nonexistent-socket-dir&connect_timeout=1", tmp_path)
        with run_lock(store, wait_seconds=600, stale_after_minutes=60):
            pass
