"""`dq serve` as an attacker meets it: a real server process on a free loopback port over an SQLite
store holding the approval scenario's requests and three accounts, driven over raw HTTP."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from approve.conftest import TEST_KEY
from approve.scenario import SUBMITTER, write_scenario
from served import add_accounts

from dataquality.approve import audit, workflow
from dataquality.approve.changes import load_change_set
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.store import Store, open_store

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ACCOUNTS = (("赵敏", ("L1",)), ("杨磊", ("L2",)), ("吴刚", ("L3",)))


@pytest.fixture(scope="session")
def policy(config: Config) -> ApprovalPolicy:
    return ApprovalPolicy.load(config=config)


@dataclass
class Server:
    """A running `dq serve`: its base URL, process, store and the scenario's request ids."""

    url: str
    port: int
    process: subprocess.Popen[str]
    store: Store
    ids: dict[tuple[str, str], int]

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_dq_serve(cwd: Path, db_url: str, *options: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_LANG": "en", "DQ_AUDIT_KEY": TEST_KEY.hex()}
    for name in ("DQ_DB", "DQ_AUDIT_KEY_FILE", "DQ_USER", "DQ_TRUSTED_HEADER"):
        env.pop(name, None)
    return subprocess.Popen([sys.executable, "-m", "dataquality", "serve", "--db", db_url, *options], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(port: int, proc: subprocess.Popen[str]) -> None:
    """Until the server accepts connections (or has died: then its stderr tells why)."""
    pause = threading.Event()
    while proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        pause.wait(0.05)
    raise AssertionError(proc.stderr.read() if proc.stderr else "dq serve exited")


@pytest.fixture
def scenario_store(tmp_path: Path, config: Config, policy: ApprovalPolicy, write_xlsx: Callable[..., Path]) -> Iterator[tuple[Store, str, dict[tuple[str, str], int]]]:
    """The scenario's change set submitted and three accounts (L1, L2, L3), in an SQLite file."""
    url = f"sqlite:///{tmp_path / 'state' / 'dq.db'}"
    store = open_store(url)
    audit.bind_key(store.engine, TEST_KEY)
    baseline, incoming, _ = write_scenario(write_xlsx)
    changes, _, _ = load_change_set(incoming, baseline, config, policy)
    workflow.submit(store, changes, {"incoming_path": str(incoming), "incoming_sha256": "-", "baseline_path": str(baseline),
                                     "baseline_sha256": "-"}, by=SUBMITTER, directory=policy.people)
    add_accounts(store, policy, dict(ACCOUNTS), PASSWORD)  # made by the administrator (issue 23)
    ids = {(v.key, v.field): v.id for v in workflow.list_requests(store, policy)}
    try:
        yield store, url, ids
    finally:
        store.close()


@pytest.fixture
def serve(tmp_path: Path, scenario_store: tuple[Store, str, dict[tuple[str, str], int]]) -> Iterator[Callable[..., Server]]:
    """serve(*options) starts `dq serve OPTIONS` on the scenario's database; stopped after the test."""
    started: list[subprocess.Popen[str]] = []
    store, url, ids = scenario_store

    def start(*options: str) -> Server:
        port = free_port()
        proc = start_dq_serve(tmp_path, url, "--port", str(port), *options)
        started.append(proc)
        wait_for(port, proc)
        return Server(f"http://127.0.0.1:{port}", port, proc, store, ids)

    try:
        yield start
    finally:
        for proc in started:
            proc.terminate()
            proc.wait(30)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str


def request(server: Server, method: str, path: str, body: str | bytes | None = None,
            headers: dict[str, str] | None = None) -> Reply:
    """One HTTP request as a script sends it: exactly these headers (Host added when not given)."""
    conn = server.connection()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        return Reply(res.status, res.headers, res.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def cookies_of(reply: Reply) -> dict[str, str]:
    out = {}
    for header in reply.headers.get_all("set-cookie") or []:
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";")[0]
    return out


def sign_in_form(server: Server, extra: dict[str, str] | None = None) -> tuple[str, str]:
    """(cookie header, CSRF token) of a fresh sign-in form."""
    reply = request(server, "GET", "/login", headers=extra)
    token = re.search(r'name="csrf" value="([^"]+)"', reply.body)
    assert reply.status == 200 and token, reply.body
    return f"dq_login_csrf={cookies_of(reply)['dq_login_csrf']}", token.group(1)


def sign_in(server: Server, name: str, password: str, extra: dict[str, str] | None = None) -> Reply:
    """POST /login from the inbox's own page (Origin of the server), as a browser would."""
    from urllib.parse import urlencode

    cookie, token = sign_in_form(server, extra)
    body = urlencode({"csrf": token, "name": name, "password": password})
    return request(server, "POST", "/login", body, {"Cookie": cookie, "Origin": server.url,
                                                     "Content-Type": "application/x-www-form-urlencoded",
                                                     **(extra or {})})
