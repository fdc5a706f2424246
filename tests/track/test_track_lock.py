"""The run lock on the state database itself (SQLite and PostgreSQL): busy, released, taken over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dataquality.store import open_store
from dataquality.track.lock import LockBusy, run_lock

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys
from dataquality.store import open_store
from dataquality.track.lock import run_lock
store = open_store(sys.argv[1], sys.argv[2])
with run_lock(store, wait_seconds=0, stale_after_minutes=60):
    print("locked", flush=True)
    sys.stdin.readline()   # hold until told to go
print("released", flush=True)
"""


def test_lock_busy_released_and_taken_over(tmp_path: Path, state_url: str) -> None:
    url = state_url if not state_url.startswith("sqlite") else f"sqlite:///{tmp_path}/dq.db"
    store = open_store(url, tmp_path)

    def holder() -> subprocess.Popen:
        p = subprocess.Popen([sys.executable, "-c", HOLD, url, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert p.stdout is not None and p.stdout.readline().strip() == "locked"
        return p

    try:
        first = holder()
        with pytest.raises(LockBusy) as err:
            with run_lock(store, wait_seconds=0.6, stale_after_minutes=60):
                pass
        assert f"process {first.pid}" in err.value.message("en") and str(first.pid) in err.value.message("zh")
        first.communicate("go\n", timeout=30)  # released on the way out
        with run_lock(store, wait_seconds=0, stale_after_minutes=60):
            pass
        second = holder()
        second.kill()  # dies holding the lock; its pid is gone from this machine
        second.wait()
        with run_lock(store, wait_seconds=0, stale_after_minutes=60):
            pass
    finally:
        store.close()
