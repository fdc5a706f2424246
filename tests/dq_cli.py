"""Run `dq` in-process, as a user would from a shell: arguments, environment, current folder, stdin.

run_dq(...) returns a subprocess.CompletedProcess (returncode, stdout, stderr), so a test reads the
same whether it runs in-process (fast: no new interpreter, no re-import of pandas) or, for the few
smoke tests that need a real process (signals, broken pipes, startup), through `python -m dataquality`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from click.testing import CliRunner

from dataquality.cli import main

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def _in_folder(cwd: Path | str | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    before = os.getcwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)


def run_dq(*args: object, cwd: Path | str | None = None, env: Mapping[str, str | None] | None = None,
           input: str | None = None) -> subprocess.CompletedProcess[str]:
    """`dq ARGS` in this process. `env`: variables to set for the run (None removes one); `cwd`:
    the folder it runs in (restored afterwards)."""
    words = [str(a) for a in args]
    with _in_folder(cwd):
        result = CliRunner().invoke(main, words, input=input, env=dict(env or {}), prog_name="dq",
                                    catch_exceptions=False)
    return subprocess.CompletedProcess(["dq", *words], result.exit_code, result.stdout, result.stderr)


def spawn_dq(*args: object, cwd: Path | str | None = None, env: Mapping[str, str | None] | None = None,
             input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m dataquality ARGS` in a new process: for smoke tests of what only a process shows."""
    full = {**os.environ, "PYTHONPATH": str(ROOT)}
    for k, v in (env or {}).items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = v
    return subprocess.run([sys.executable, "-m", "dataquality", *[str(a) for a in args]], cwd=cwd, env=full,
                          capture_output=True, text=True, input=input, timeout=timeout)


def dq(*args: object, cwd: Path | str | None = None) -> subprocess.CompletedProcess[str]:
    """`dq ARGS` in-process with English messages (DQ_LANG=en)."""
    return run_dq(*args, cwd=cwd, env={"DQ_LANG": "en"})


def assert_one_line_error(proc: subprocess.CompletedProcess, path: Path, *needles: str) -> None:
    """Exit 2, no traceback, exactly one line on stderr, naming the file and saying each needle."""
    assert proc.returncode == 2, proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert path.name in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
