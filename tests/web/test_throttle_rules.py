"""The sign-in gate's rules on a clock of its own: free failures, doubling waits, per account and
per address, forgetting, and a bounded memory of names."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from dataquality.approve.accounts import SignInError
from dataquality.web.throttle import SignInGate, SignInThrottled, ThrottleSettings


def _run(coroutine):  # type: ignore[no-untyped-def]
    """The coroutine on an event loop of its own thread (a browser test may keep one running here)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(gate: SignInGate, address: str, account: str) -> None:
    def wrong() -> None:
        raise SignInError("accounts.sign_in_failed")

    with pytest.raises((SignInError, SignInThrottled)):
        _run(gate.attempt(address, account, wrong))


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
        _run(gate.attempt("10.0.0.1", "id:E002", lambda: "ok"))
    # A success from elsewhere clears the account's count; the address's is forgotten an hour on.
    clock.now += 120
    assert _run(gate.attempt("10.0.0.2", "id:E001", lambda: "ok")) == "ok"
    assert gate.wait_seconds("account:id:E001") == 0
    clock.now += 3600
    assert _run(gate.attempt("10.0.0.1", "id:E002", lambda: "ok")) == "ok"


def test_the_gate_forgets_the_oldest_entries_first() -> None:
    gate = SignInGate(ThrottleSettings(max_entries=10, free_per_account=0, free_per_address=100), _Clock())
    for n in range(20):
        _fail(gate, "10.0.0.1", f"name:guess{n}")
    assert len(gate._failures) == 10 and gate.wait_seconds("account:name:guess19") > 0
