"""What only a real process shows: the installed entry point starts, bad usage is exit 2 and a
reader that goes away (dq ... | head) is no error. Everything else runs in-process (tests/dq_cli.py);
Ctrl-C as a real signal is in test_exit_codes.py, startup imports in test_startup.py."""

from __future__ import annotations

import os
import subprocess
import sys

from dq_cli import ROOT, spawn_dq


def test_bad_usage_is_exit_2_in_a_real_process(tmp_path) -> None:
    done = spawn_dq("validate", "--format", "pdf", tmp_path / "x.xlsx", env={"DQ_LANG": "en"})
    assert done.returncode == 2 and "unknown report format pdf" in done.stderr and "Traceback" not in done.stderr
    done = spawn_dq("no-such-command")
    assert done.returncode == 2 and "No such command" in done.stderr


def test_unreadable_input_is_exit_2_in_a_real_process(tmp_path) -> None:
    missing = tmp_path / "missing.xlsx"
    done = spawn_dq("validate", missing, env={"DQ_LANG": "en"})
    assert done.returncode == 2 and missing.name in done.stderr and "Traceback" not in done.stderr


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    """`dq rules | head -0`: the pipe is closed before dq writes; exit 0 (nothing is wrong with the
    data), nothing on stderr. rich alone would end with exit 1 (dataquality/terminal.py)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_LANG": "en", "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "dataquality", "rules"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before (or while) dq writes its table
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert err == "", err


def test_the_console_script_is_dq(tmp_path) -> None:
    """The `dq` script of pyproject.toml runs the package's main group and exits with its code."""
    import os
    import subprocess
    import sys
    from importlib.metadata import entry_points

    [script] = [e for e in entry_points(group="console_scripts") if e.name == "dq"]
    assert script.value == "dataquality.cli:run"
    from dataquality.cli import run

    assert script.load() is run
    # run() is main plus a quick exit: same output and exit codes (0 ok, 2 bad usage).
    env = {**os.environ, "DQ_LANG": "en"}
    done = subprocess.run([sys.executable, "-c", "from dataquality.cli import run; run()", "--version"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "dq" in done.stdout
    bad = subprocess.run([sys.executable, "-c", "from dataquality.cli import run; run()", "validate", "--no-such"],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "--no-such" in bad.stderr
