"""dq init / check / issues / history as a user runs them, and two runs on one state database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dataquality.cli import main

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_NOW": "2026-11-23T02:00:00", "COLUMNS": "200"}


def dq(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dataquality", *args], capture_output=True, text=True,
                          env=env or ENV, timeout=180)


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The same as dq(), in-process (faster), for the commands that need no second process."""
    result = CliRunner().invoke(main, list(args), env={"DQ_NOW": ENV["DQ_NOW"], "COLUMNS": "200", **(env or {})},
                                catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    done = cli("init", str(folder), "--demo", "--lang", "en")
    assert done.returncode == 0, done.stderr
    return folder


def test_init_check_issues_history(proj: Path) -> None:
    first = cli("check", "--config", str(proj / "dq.yaml"), "--quiet")
    assert first.returncode == 1, first.stderr  # the demo data has errors, all new
    assert "Run 1:" in first.stdout and "Exit 1 (--fail-on new-error)" in first.stdout
    latest = proj / "reports" / "latest"
    report = json.loads((latest / "report.json").read_text(encoding="utf-8"))
    assert latest.resolve().name == "2026-11-23T020000"
    errors = [i for i in report["issues"] if i["severity"] == "error"]
    assert errors and all(i["issue_number"].startswith("DQ-") and i["due"] == "2026-11-25" for i in errors)

    # The next night, same data: nothing new, so new-error passes while --fail-on error still fails.
    env = {"DQ_NOW": "2026-11-24T02:00:00"}
    second = cli("check", "-c", str(proj), "-q", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert cli("check", "-c", str(proj), "-q", "--fail-on", "error", env=env).returncode == 1

    listed = json.loads(cli("issues", "list", "-c", str(proj), "--json", env=env).stdout)
    assert {i["status"] for i in listed} == {"open"} and all(i["age_days"] == 1 for i in listed)
    finance = json.loads(cli("issues", "list", "-c", str(proj), "--json", "--department", "财务部", env=env).stdout)
    assert finance and {i["department"] for i in finance} == {"财务部"}
    late = cli("issues", "list", "-c", str(proj), "--overdue", env={"DQ_NOW": "2026-11-30"})
    assert "OVERDUE" in late.stdout and "DQ-000001" in late.stdout

    shown = cli("issues", "show", "DQ-000001", "-c", str(proj), "--lang", "zh", env=env)
    assert shown.returncode == 0 and "DQ-000001" in shown.stdout and "新增" in shown.stdout and "未解决" in shown.stdout
    missing = cli("issues", "show", "DQ-999999", "-c", str(proj))
    assert missing.returncode == 2 and "DQ-999999" in missing.stderr and "Traceback" not in missing.stderr

    runs = json.loads(cli("history", "-c", str(proj), "--json").stdout)
    # Two nights; the --fail-on error run was a re-run of the second (same day, same data) and is left out.
    # "new" counts tracked issues (both rows of a duplicate pair are one), as `dq issues list` shows them.
    assert [r["new"] for r in runs] == [len({i["issue_number"] for i in report["issues"]}), 0]
    assert runs[0]["error"] == len(errors) and "销售部" in runs[0]["by_department"]
    assert "Runs" in cli("history", "-c", str(proj)).stdout


def test_bad_config_is_one_line_and_exit_2(proj: Path) -> None:
    path = proj / "dq.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("fail_on: new-error", "fail_on: sometimes"), encoding="utf-8")
    done = cli("check", "-c", str(path))
    assert done.returncode == 2 and "key fail_on" in done.stderr and "Traceback" not in done.stderr
    assert cli("check", "-c", str(proj / "nowhere.yaml")).returncode == 2


HOLD = """
import sys, time
from dataquality.track.project import Project
from dataquality.track.project import open_project_store
from dataquality.track.lock import run_lock
store = open_project_store(Project.load(sys.argv[1]))
with run_lock(store, wait_seconds=0, stale_after_minutes=60):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_second_check_waits_then_fails_clearly_and_a_dead_holder_is_taken_over(proj: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(proj)], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        busy = cli("check", "-c", str(proj), "-q", "--wait", "1")
        assert busy.returncode == 2
        assert "another dq check is running" in busy.stderr and f"process {holder.pid}" in busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        holder.kill()
        holder.wait()
    # The holder died without releasing the lock: the next run sees its process is gone and goes on.
    after = cli("check", "-c", str(proj), "-q", "--wait", "1")
    assert after.returncode == 1 and "Run 1:" in after.stdout


def test_two_checks_at_once_do_not_corrupt_the_database(proj: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-m", "dataquality", "check", "-c", str(proj), "-q"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [1, 1], outs
    db = sqlite3.connect(proj / ".dq" / "dq.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        runs = db.execute("SELECT id, rerun_of, status FROM track_runs ORDER BY id").fetchall()
        assert runs == [(1, None, "done"), (2, 1, "done")]  # the second waited, then saw the same data
        numbers = [r[0] for r in db.execute("SELECT number FROM track_issues ORDER BY number")]
        assert numbers == list(range(1, len(numbers) + 1))
        assert db.execute("SELECT COUNT(*) FROM track_events").fetchone()[0] == len(numbers)
        assert db.execute("SELECT COUNT(*) FROM track_locks").fetchone()[0] == 0
    finally:
        db.close()
    assert len({line for o, _ in outs for line in o.splitlines() if line.startswith("Reports:")}) == 2
