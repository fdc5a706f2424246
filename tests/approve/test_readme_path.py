"""The README's path for a new user, as commands and a real browser: dq init with the first
administrator, dq serve (the service that holds the audit key), dq users add through it, dq changes
submit signed in, the department manager approving in the web inbox and the finance director on the
command line (with his password, then with a personal token), dq apply; dq check and dq audit
verify print the head to keep."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

from dq_cli import run_dq
from openpyxl import load_workbook

from .scenario import BASE_CUSTOMERS, BASE_PRODUCTS, CUSTOMER_HEADER, PRODUCT_HEADER

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def dq(cwd: Path, *args: str, input: str | None = None, **env: str | None) -> subprocess.CompletedProcess[str]:
    """The README's commands in-process (tests/dq_cli.py); dq init and dq serve run as real processes below."""
    return run_dq(*args, cwd=cwd, env={"DQ_LANG": "en", "DQ_DB": None, "DQ_AUDIT_KEY": None, "DQ_AUDIT_KEY_FILE": None,
                                       "DQ_USER": None, "DQ_TOKEN": None, **env}, input=input)


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_LANG": "en"}
    for name in ("DQ_DB", "DQ_AUDIT_KEY", "DQ_AUDIT_KEY_FILE", "DQ_USER"):
        env.pop(name, None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[str]) -> None:
    """Until the server accepts connections (or has died: then its stderr tells why)."""
    pause = threading.Event()
    while proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        pause.wait(0.05)
    raise AssertionError(proc.stderr.read() if proc.stderr else "dq serve exited")


def test_new_user_follows_the_readme(browser, write_xlsx, tmp_path) -> None:
    project = tmp_path / "acme"
    made = subprocess.run([sys.executable, "-m", "dataquality", "init", "acme", "--admin", "王芳"], cwd=tmp_path, env=_env(),
                          input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True, timeout=300)
    assert made.returncode == 0 and "Account of 王芳 (E002) created with roles admin" in made.stdout, made.stdout + made.stderr
    assert not (project / ".dq" / "audit.key").exists() and "Audit key written to " in made.stdout  # kept outside the project
    assert oct((project / ".dq" / "dq.db").stat().st_mode & 0o777) == "0o600"
    # The approved master in baseline/, the new export in data/: 李娜 asks to raise C000002's limit 200000 -> 700000.
    new_customers = [[*r[:8], "700000" if r[0] == "C000002" else r[8], *r[9:11], "李娜"] for r in BASE_CUSTOMERS]
    shutil.move(write_xlsx("master.xlsx", {"客户主数据": [CUSTOMER_HEADER, *BASE_CUSTOMERS], "产品主数据": [PRODUCT_HEADER, *BASE_PRODUCTS]}),
                project / "baseline" / "master.xlsx")
    shutil.move(write_xlsx("customers.xlsx", {"客户主数据": [CUSTOMER_HEADER, *new_customers]}), project / "data" / "customers.xlsx")
    shutil.move(write_xlsx("products.xlsx", {"产品主数据": [PRODUCT_HEADER, *BASE_PRODUCTS]}), project / "data" / "products.xlsx")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # Before the service runs, a command that acts as a person says so (and never reads the key itself).
    early = dq(project, "users", "add", "赵敏", "--role", "L1", "--user", "王芳", DQ_SERVER=url, input="x\n")
    assert early.returncode == 2 and f"No dq serve answers at {url}" in early.stderr, early.stderr
    server = subprocess.Popen([sys.executable, "-m", "dataquality", "serve", "--port", str(port)], cwd=project,
                              env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(port, server)
        for name, roles in (("李娜", ()), ("赵敏", ("L1",)), ("陈静", ("L2",))):
            added = dq(project, "users", "add", name, *[w for r in roles for w in ("--role", r)], "--user", "王芳",
                       DQ_SERVER=url, input=f"{PASSWORD}\n{PASSWORD}\n{PASSWORD}\n")
            assert added.returncode == 0, added.stderr
        bad = dq(project, "users", "add", "路人甲", "--role", "L3", "--user", "王芳", DQ_SERVER=url,
                 input=f"{PASSWORD}\n{PASSWORD}\n{PASSWORD}\n")
        assert bad.returncode == 2 and "not a person of the staff list" in bad.stderr
        submitted = dq(project, "changes", "submit", "data/customers.xlsx", "--baseline", "baseline/master.xlsx",
                       "--user", "李娜", DQ_SERVER=url, input=PASSWORD + "\n")
        assert submitted.returncode == 0, submitted.stderr
        [req] = json.loads(dq(project, "approvals", "list", "--pending", "--format", "json").stdout)
        assert (req["key"], req["field"], req["tier"], req["requested_by"], req["submitted_by"]) == (
            "C000002", "credit_limit", 2, "李娜", "李娜")
        # The department manager approves in the web inbox.
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/")
        page.fill("#name", "赵敏")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.click(f"#req-{req['id']} a")
        page.fill("#comment", "ok")
        page.click("#approve")
        assert page.locator(f"#waiting #req-{req['id']}").count() == 0
        page.click("#sign-out")
        context.close()
        # The finance director on the command line: a personal token once, then no password prompt.
        made_token = dq(project, "users", "token", "陈静", "--user", "陈静", DQ_SERVER=url, input=PASSWORD + "\n")
        assert made_token.returncode == 0 and made_token.stdout.startswith("dq_"), made_token.stderr
        token = made_token.stdout.strip()
        approved = dq(project, "approve", str(req["id"]), "--role", "L2", "--comment", "checked", DQ_SERVER=url,
                      DQ_TOKEN=token)
        assert approved.returncode == 0 and "approved" in approved.stdout, approved.stderr
    finally:
        server.terminate()
        server.wait()

    applied = dq(project, "apply", "--out", "master-new.xlsx")
    assert applied.returncode == 0 and "1 request applied" in applied.stdout, applied.stdout + applied.stderr
    master = {r[0]: r for r in load_workbook(project / "master-new.xlsx")["客户主数据"].iter_rows(min_row=2, values_only=True)}
    assert master["C000002"][8] == 700000
    verified = dq(project, "audit", "verify")
    assert verified.returncode == 0 and "Audit head: " in verified.stdout, verified.stdout
    head = verified.stdout.split("Audit head: ")[1].split()[0]
    assert dq(project, "audit", "verify", "--expect-head", head).returncode == 0
    checked = dq(project, "check", "--quiet")
    assert f"Audit head: {head}" in checked.stdout, checked.stdout + checked.stderr
    assert (project / "reports" / "latest" / "audit-head.txt").read_text().strip() == head
    # An attacker who copies the database back to an earlier state is caught against the head.
    early = dq(project, "audit", "verify", "--expect-head", f"{int(head.split(':')[0]) + 5}:{head.split(':')[1]}")
    assert early.returncode == 1 and "truncated, rolled back or deleted" in early.stdout
    # A status set by hand in the database: dq check warns, dq audit verify and dq apply refuse.
    import sqlite3

    with sqlite3.connect(project / ".dq" / "dq.db") as conn:
        conn.execute("UPDATE approve_requests SET status = 'approved' WHERE status = 'applied'")
    checked = dq(project, "check", "--quiet")
    assert "audit log does not verify" in checked.stderr
    assert dq(project, "audit", "verify").returncode == 1
    refused = dq(project, "apply", "--out", "again.xlsx")
    assert refused.returncode == 1 and "Nothing applied" in refused.stderr and not (project / "again.xlsx").exists()
