"""Guessing passwords at `dq serve`: failures make the account and the address wait longer and
longer (the right password included), and parallel attempts never hash more than a few at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dataquality.approve.accounts import SignInError
from dataquality.web.throttle import SignInGate, SignInThrottled, ThrottleSettings

from .conftest import PASSWORD, sign_in, sign_in_form


def test_thirty_wrong_passwords_then_the_right_one_waits(serve) -> None:
    server = serve()
    statuses = [sign_in(server, "赵敏", f"wrong guess number {n}").status for n in range(30)]
    # A few typos are free; then each failure locks the account for longer: most guesses were
    # answered without any password being checked.
    assert statuses[:3] == [401, 401, 401] and statuses.count(401) <= 6 and statuses.count(429) >= 24
    right = sign_in(server, "赵敏", PASSWORD)
    assert right.status == 429 and "try again in" in right.body
    wait = int(right.headers["Retry-After"])
    assert 1 <= wait <= 900
    # Another account from another address is not locked by these failures.
    assert sign_in(server, "杨磊", PASSWORD).status == 303
    time.sleep(wait + 0.2)
    assert sign_in(server, "赵敏", PASSWORD).status == 303  # a wait, not a lock-out for good


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024


def test_sixteen_parallel_sign_ins_do_not_take_the_memory(serve) -> None:
    server = serve()
    forms = [sign_in_form(server) for _ in range(16)]  # the server has served pages: its baseline
    before = _peak_rss_mb(server.process.pid)
    start = threading.Barrier(16)

    def attempt(n: int) -> int:
        from urllib.parse import urlencode

        from .conftest import request

        cookie, token = forms[n]
        body = urlencode({"csrf": token, "name": f"guess{n}", "password": "wrong password here"})
        start.wait()
        return request(server, "POST", "/login", body, {"Cookie": cookie, "Origin": server.url,
                                                        "Content-Type": "application/x-www-form-urlencoded"}).status

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(attempt, range(16)))
    assert set(statuses) <= {401, 429} and statuses.count(401) >= 2
    grown = _peak_rss_mb(server.process.pid) - before
    # argon2id takes 64 MiB a check: 16 at once were 1 GB more; two slots are about 130 MB.
    assert grown < 300, f"the server grew by {grown:.0f} MB"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(gate: SignInGate, address: str, account: str) -> None:
    def wrong() -> None:
        raise SignInError("accounts.sign_in_failed")

    with pytest.raises((SignInError, SignInThrottled)):
        import asyncio

        asyncio.run(gate.attempt(address, account, wrong))


def test_the_wait_doubles_per_account_and_per_address() -> None:
    clock = _Clock()
    gate = SignInGate(ThrottleSettings(free_per_account=3, free_per_address=10, first_delay=1, max_delay=60), clock)
    for _ in range(3):
        _fail(gate, "10.0.0.1", "id:E001")
    assert gate.wait_seconds("account:id:E001") == 0  # typos are free
    waits = []
    for _ in range(8):
        _fail(gate, "10.0.0.1", "id:E001")
        waits.append(gate.wait_seconds("account:id:E001"))
        clock.now += waits[-1]  # the guesser waits each time out
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    # The address has failed 11 times: one more, on another account, locks it for every account.
    _fail(gate, "10.0.0.1", "id:E003")
    assert gate.wait_seconds("address:10.0.0.1") == 2 and gate.wait_seconds("account:id:E003") == 0
    with pytest.raises(SignInThrottled):
        import asyncio

        asyncio.run(gate.attempt("10.0.0.1", "id:E002", lambda: "ok"))
    # A success from elsewhere clears the account's count; the address's is forgotten an hour on.
    clock.now += 120
    import asyncio

    assert asyncio.run(gate.attempt("10.0.0.2", "id:E001", lambda: "ok")) == "ok"
    assert gate.wait_seconds("account:id:E001") == 0
    clock.now += 3600
    assert asyncio.run(gate.attempt("10.0.0.1", "id:E002", lambda: "ok")) == "ok"


def test_the_gate_forgets_the_oldest_entries_first() -> None:
    gate = SignInGate(ThrottleSettings(max_entries=10, free_per_account=0, free_per_address=100), _Clock())
    for n in range(20):
        _fail(gate, "10.0.0.1", f"name:guess{n}")
    assert len(gate._failures) == 10 and gate.wait_seconds("account:name:guess19") > 0
