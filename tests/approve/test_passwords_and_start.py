"""Issue 25 (point 8) where it meets sign-in: password prompts read one line of standard input per
password and stop with one line (exit 2) when there is none; `dq serve` says at start when it runs
outside a project or over a database nobody can sign in to; an empty audit log's head is a sentence."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from dq_cli import run_dq

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def test_passwords_come_one_line_each_and_none_is_a_clear_exit_2(tmp_path) -> None:
    where = ["--state-dir", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'dq.db'}", "--lang", "en"]
    # `dq users bootstrap` asks the new password twice: one line is not enough, and says so.
    one = run_dq("users", "bootstrap", "王芳", *where, input=PASSWORD + "\n")
    assert one.returncode == 2 and "no password was given" in one.stderr and "Aborted" not in one.stderr + one.stdout
    assert len([line for line in one.stderr.splitlines() if line.strip()]) == 1
    differ = run_dq("users", "bootstrap", "王芳", *where, input=f"{PASSWORD}\nanother one!!\n")
    assert differ.returncode == 2 and "The two passwords differ" in differ.stderr
    made = run_dq("users", "bootstrap", "王芳", *where, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.returncode == 0 and "Account of 王芳 (E002) created with roles admin" in made.stdout, made.stderr
    again = run_dq("users", "bootstrap", "陈静", *where, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert again.returncode == 2 and "has an administrator already" in again.stderr
    zh = run_dq("users", "bootstrap", "王芳", *where[:-2], "--lang", "zh", input="")
    assert zh.returncode == 2 and "未提供密码" in zh.stderr


def test_init_asks_for_the_first_administrator(tmp_path) -> None:
    made = run_dq("init", tmp_path / "p", "--admin", "王芳", "--lang", "en", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.returncode == 0 and "created with roles admin" in made.stdout, made.stderr
    skipped = run_dq("init", tmp_path / "q", "--lang", "en", input="")  # not a terminal: no question, a hint
    assert skipped.returncode == 0 and "No administrator yet" in skipped.stdout and "dq users bootstrap" in skipped.stdout
    listed = run_dq("users", "list", "-c", tmp_path / "p", "--lang", "en")
    assert listed.stdout.strip() == "王芳 (E002): admin"


def test_an_empty_log_has_a_sentence_not_0_dash(tmp_path) -> None:
    assert run_dq("init", tmp_path / "p", "--lang", "en").returncode == 0
    en = run_dq("audit", "verify", "-c", tmp_path / "p", "--lang", "en")
    assert en.returncode == 0 and "The audit log is empty: there is no head to keep yet." in en.stdout
    assert "0:-" not in en.stdout
    zh = run_dq("audit", "verify", "-c", tmp_path / "p", "--lang", "zh")
    assert "审计日志为空" in zh.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_says_when_it_runs_outside_a_project_with_no_accounts(tmp_path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_LANG": "en"}
    server = subprocess.Popen([sys.executable, "-m", "dataquality", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        pause = threading.Event()
        while server.poll() is None:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            pause.wait(0.05)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
    assert "No project here" in err and "no accounts yet" in err and "dq users bootstrap" in err, err
