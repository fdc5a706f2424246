"""Honest exit codes (issue 11): 2 for an output that cannot be written (naming the path), 3 for a bug
(the traceback saved to a named file), 130 for Ctrl-C; an interrupted dq check leaves no run behind."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows
from click.testing import CliRunner
from dq_cli import ROOT, dq

from dataquality.cli import main


def _customers(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for row in sheet_rows([customer(1), customer(2, phone="12")], CUSTOMER_HEADERS_ZH):
        ws.append(row)
    wb.save(path)
    return path


def test_output_folder_under_a_file_is_exit_2_naming_the_path(tmp_path):
    data = _customers(tmp_path / "c.xlsx")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    proc = dq("validate", str(data), "-f", "json,html", "-o", str(blocker / "reports"))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not-a-folder" in lines[0] and "output path" in lines[0], proc.stderr


def test_output_error_in_chinese(tmp_path):
    data = _customers(tmp_path / "c.xlsx")
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    proc = dq("validate", "--lang", "zh", str(data), "-f", "json", "-o", str(blocker / "out"))
    assert proc.returncode == 2 and "无法写入" in proc.stderr and "blocker" in proc.stderr


def test_fix_output_is_a_folder(tmp_path):
    data = _customers(tmp_path / "c.xlsx")
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    proc = dq("fix", str(data), "-o", str(folder))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "out.xlsx" in proc.stderr


def test_internal_error_is_exit_3_with_the_traceback_saved(tmp_path, monkeypatch):
    import dataquality.pipeline as pipeline

    def broken(*args, **kwargs):
        raise ZeroDivisionError("planted bug")

    # A bug cannot be caused from outside, so one is planted in the pipeline.
    monkeypatch.setattr(pipeline, "validate", broken)
    data = _customers(tmp_path / "c.xlsx")
    crash = tmp_path / "crash"
    result = CliRunner().invoke(main, ["validate", str(data), "--lang", "en"], env={"DQ_CRASH_DIR": str(crash)})
    assert result.exit_code == 3, result.output
    assert "bug in dq" in result.stderr and "ZeroDivisionError" in result.stderr
    [saved] = crash.glob("dq-crash-*.txt")
    assert str(saved) in result.stderr
    assert "Traceback" in saved.read_text(encoding="utf-8") and "planted bug" in saved.read_text(encoding="utf-8")
    assert "Traceback" not in result.stderr


def test_ctrl_c_is_exit_130(tmp_path, monkeypatch):
    import dataquality.pipeline as pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "validate", interrupted)
    data = _customers(tmp_path / "c.xlsx")
    result = CliRunner().invoke(main, ["validate", str(data), "--lang", "en"])
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.stderr


_AS_FROM_A_TERMINAL = (
    "import runpy, signal, sys\n"
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "sys.argv = ['dq', *sys.argv[1:]]\n"
    "runpy.run_module('dataquality', run_name='__main__', alter_sys=True)\n"
)


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs /proc to see the child waiting")
def test_real_sigint_while_waiting_for_the_run_lock_is_exit_130(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_LANG": "en", "DQ_NOW": "2026-11-23T02:00:00", "PYTHONFAULTHANDLER": "1"}
    proj = tmp_path / "proj"
    assert subprocess.run([sys.executable, "-m", "dataquality", "init", str(proj), "--demo"], env=env,
                          capture_output=True, timeout=120).returncode == 0
    from dataquality.store import open_store
    from dataquality.track.lock import run_lock
    from dataquality.track.project import Project

    project = Project.load(proj / "dq.yaml")
    store = open_store(project.state_url, project.state_dir)
    try:
        with run_lock(store, wait_seconds=0, stale_after_minutes=600):
            # dq as a terminal starts it: SIGINT neither ignored nor blocked. A test worker may have
            # inherited either (a child keeps both across exec), and dq rightly keeps an ignored
            # SIGINT ignored: seen in whole-suite runs as a dq check still waiting 60 s later.
            child = subprocess.Popen([sys.executable, "-c", _AS_FROM_A_TERMINAL, "check", "-c", str(proj), "-q", "--wait", "600"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # The child polls our lock with time.sleep: wait until the kernel shows it sleeping there.
            for _ in range(2400):
                if child.poll() is not None or "nanosleep" in Path(f"/proc/{child.pid}/wchan").read_text():
                    break
                time.sleep(0.05)
            child.send_signal(signal.SIGINT)
            try:
                out, err = child.communicate(timeout=60)
            except subprocess.TimeoutExpired:  # say where it hangs: faulthandler dumps every thread on SIGABRT
                child.send_signal(signal.SIGABRT)
                out, err = child.communicate(timeout=30)
                raise AssertionError(f"dq check did not stop within 60 s of SIGINT:\n{err[-6000:]}") from None
    finally:
        store.close()
    assert child.returncode == 130, out + err
    assert "Traceback" not in err and "interrupted" in err


def test_interrupted_check_records_no_run_and_leaves_no_run_folder(tmp_path, monkeypatch):
    from dataquality import report
    from dataquality.check import run_check
    from dataquality.track.project import Project

    runner = CliRunner()
    proj = tmp_path / "proj"
    assert runner.invoke(main, ["init", str(proj), "--demo", "--lang", "en"]).exit_code == 0
    real = report.write_reports

    def write_then_interrupt(result, formats, options, progress=None):
        real(result, formats[:1], options)  # one report written, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_reports", write_then_interrupt)
    project = Project.load(proj / "dq.yaml")
    with pytest.raises(KeyboardInterrupt):
        run_check(project, lang="en")
    reports = proj / "reports"
    assert not [p for p in reports.iterdir()] if reports.exists() else True
    with sqlite3.connect(project.state_dir / "dq.db") as db:
        assert db.execute("select count(*) from track_runs").fetchone()[0] == 0
        assert db.execute("select count(*) from track_issues").fetchone()[0] == 0

    # The next check is the first run, complete.
    monkeypatch.setattr(report, "write_reports", real)
    done = run_check(project, lang="en")
    assert done.run_id and done.run_dir.is_dir() and (done.run_dir / "report.json").exists()
    assert not list(reports.glob(".*partial"))
    assert json.loads((done.run_dir / "report.json").read_text(encoding="utf-8"))["issues"]


def test_huge_request_id_is_bad_usage_not_a_traceback(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    for args in (["approve", "9" * 30, "--by", "x", "--role", "L1"], ["reject", "9" * 30, "--by", "x", "--reason", "r"],
                 ["apply", "--submission", "9" * 30, "-o", str(tmp_path / "m.xlsx")]):
        result = CliRunner().invoke(main, [*args, "--state-dir", str(state)])
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and "OverflowError" not in result.output


def _limited_file_size() -> None:
    """In the child: files may grow to 64 KB, and a write past that fails (EFBIG) instead of killing it."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_write_the_system_refuses_names_the_output_file_not_a_dash(tmp_path):
    # A full disk and a file-size limit fail the same way: write() raises an OSError that names no file.
    data = tmp_path / "c.xlsx"
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for row in sheet_rows([customer(i, phone="12" if i % 2 else None) for i in range(1, 600)], CUSTOMER_HEADERS_ZH):
        ws.append(row)
    wb.save(data)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "DQ_LANG": "en"}
    for args, output in ((["validate", data, "-f", "xlsx", "-o", tmp_path / "reports", "-q"], tmp_path / "reports" / "c.annotated.xlsx"),
                         (["fix", data, "-o", tmp_path / "fixed.xlsx"], tmp_path / "fixed.xlsx")):
        proc = subprocess.run([sys.executable, "-m", "dataquality", *map(str, args)], env=env, capture_output=True, text=True,
                              preexec_fn=_limited_file_size, timeout=300)
        assert proc.returncode == 2, proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert lines[0].startswith(f"dq: {output}:"), lines[0]
        assert not output.exists() and not list(output.parent.glob(f".{output.name}.*"))  # nothing half-written left


def test_a_full_disk_names_the_output_and_says_so(tmp_path):
    import errno

    from dataquality.fileio import atomic_path
    from dataquality.safety import os_error_line

    target = tmp_path / "out.xlsx"
    with pytest.raises(OSError) as raised, atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")  # what write() raises on a full disk
    assert raised.value.filename == str(target) and raised.value.errno == errno.ENOSPC
    assert os_error_line(raised.value, "en") == f"{target}: cannot be written or read (No space left on device); " \
                                                "the disk is full; free some space or choose another output folder."
    assert list(tmp_path.iterdir()) == []
