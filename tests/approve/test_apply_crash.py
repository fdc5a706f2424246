"""A crash in the middle of `dq apply` leaves the database and the output consistent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dataquality.approve import audit, workflow
from dataquality.approve.apply import CRASH_ENV, sha256_of
from dataquality.approve.changes import load_change_set
from dataquality.approve.sheet import import_sheet

from .conftest import TEST_KEY
from .scenario import SUBMITTER, confirm_entries, write_scenario
from .test_scenario import IMPORTER, sheet_policy

ROOT = Path(__file__).resolve().parents[2]


def _apply(tmp_path: Path, db_url: str, incoming: Path, baseline: Path, out: Path, crash: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_AUDIT_KEY": TEST_KEY.hex()}
    env.pop(CRASH_ENV, None)
    if crash:
        env[CRASH_ENV] = crash
    return subprocess.run([sys.executable, "-m", "dataquality", "apply", str(incoming), "--baseline", str(baseline),
                           "--out", str(out), "--db", db_url], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def _statuses(store, policy) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {v.id: v.status for v in workflow.list_requests(store, policy)}


def _sheet(path: Path) -> list[tuple]:
    return [r for ws in load_workbook(path) for r in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("crash", ["after_write", "after_rename"])
def test_crash_during_apply_is_consistent(crash: str, store, config, policy, db_url, write_xlsx, tmp_path) -> None:
    baseline, incoming, sheet = write_scenario(write_xlsx)
    changes, _, _ = load_change_set(incoming, baseline, config, policy)
    workflow.submit(store, changes, {"incoming_path": str(incoming), "incoming_sha256": sha256_of(incoming),
                                     "baseline_path": str(baseline), "baseline_sha256": sha256_of(baseline)},
                    by=SUBMITTER, directory=policy.people)
    import_sheet(store, sheet_policy(policy), config, sheet, importer=IMPORTER)
    confirm_entries(store, policy)
    out = tmp_path / "master-out.xlsx"
    out.write_bytes(b"previous master")
    before = _statuses(store, policy)
    with store.transaction() as conn:
        rows_before = audit.verify(conn)[0]

    crashed = _apply(tmp_path, db_url, incoming, baseline, out, crash)
    assert crashed.returncode == 70, crashed.stderr
    # The transaction never committed: no request is marked applied, no audit row was added.
    assert _statuses(store, policy) == before
    with store.transaction() as conn:
        assert audit.verify(conn) == (rows_before, [])
    if crash == "after_write":
        assert out.read_bytes() == b"previous master"  # the old output is untouched
    else:
        assert out.read_bytes().startswith(b"PK")  # the new master is complete, not half written
        crashed_master = _sheet(out)

    done = _apply(tmp_path, db_url, incoming, baseline, out, None)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob(".master-out.xlsx.*.tmp"))  # the crashed run's temporary file is gone
    after = _statuses(store, policy)
    assert {i for i, s in after.items() if s == "applied"} == {i for i, s in before.items() if s == "approved"}
    with store.transaction() as conn:
        count, problems = audit.verify(conn)
    assert problems == [] and count > rows_before
    if crash == "after_rename":
        assert _sheet(out) == crashed_master  # re-running wrote the identical master
