"""Sign-in throttling for `dq serve`: a growing wait after failed passwords, and few hashes at once.

Each failed sign-in counts against the account asked for (the staff-list person, whatever the
spelling) and against the client's address. After a few free failures (a typo or two), each
further one locks that account, or that address, for twice as long as the last: 1 s, 2 s, 4 s ...
up to `max_delay`. While locked, an attempt is answered at once without looking at the password,
so the right password does not help a guesser either. A success clears the account's count; the
address's count is forgotten an hour after its last failure. Counts live in memory (one `dq
serve` process), at most `max_entries` of them (the oldest forgotten first).

Checking a password costs argon2id's 64 MiB: at most `hash_slots` run at once (the others wait
their turn, up to `max_waiting`; beyond that an attempt is refused as busy), so a burst of
parallel sign-ins cannot take the server's memory.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from dataquality.approve.accounts import SignInError
from dataquality.errors import DQError

T = TypeVar("T")


@dataclass(frozen=True)
class ThrottleSettings:
    """How many failures are free, how the wait grows, and how many password checks run at once."""

    free_per_account: int = 3
    free_per_address: int = 10
    first_delay: float = 1.0
    max_delay: float = 15 * 60.0
    forget_after: float = 60 * 60.0
    hash_slots: int = 2
    max_waiting: int = 32
    max_entries: int = 10_000


class SignInThrottled(DQError):
    """Too many failed sign-ins for this account or from this address: wait `retry_after` seconds."""

    exit_code = 2

    def __init__(self, key: str, retry_after: int, **params: object) -> None:
        super().__init__(key, seconds=retry_after, **params)
        self.retry_after = retry_after


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class SignInGate:
    """Decides whether a sign-in may be tried now, runs the password check in a bounded slot, and
    counts its outcome (see the module's docstring)."""

    def __init__(self, settings: ThrottleSettings | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or ThrottleSettings()
        self._clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._slots = asyncio.Semaphore(self.settings.hash_slots)
        self._waiting = 0

    async def attempt(self, address: str, account: str, check: Callable[[], T]) -> T:
        """`check()` (a password check raising SignInError when wrong) unless this account or
        address must wait; SignInThrottled then, or when too many checks already wait."""
        keys = {"address": f"address:{address}", "account": f"account:{account[:200]}"}
        self._refuse_if_locked(keys)
        if self._waiting >= self.settings.max_waiting:
            raise SignInThrottled("web_guard.busy", 1)
        self._waiting += 1
        try:
            async with self._slots:
                self._refuse_if_locked(keys)  # failures counted while this one waited for a slot
                try:
                    result = await run_in_threadpool(check)
                except SignInError:
                    self._failed(keys)
                    raise
        finally:
            self._waiting -= 1
        self._failures.pop(keys["account"], None)
        return result

    def wait_seconds(self, key: str) -> float:
        """How long `key` ("address:…" or "account:…") is still locked (0 when it is not)."""
        found = self._entry(key, create=False)
        return max(0.0, found.locked_until - self._clock()) if found else 0.0

    def _refuse_if_locked(self, keys: dict[str, str]) -> None:
        wait = max(self.wait_seconds(k) for k in keys.values())
        if wait > 0:
            raise SignInThrottled("web_guard.throttled", math.ceil(wait))

    def _failed(self, keys: dict[str, str]) -> None:
        now = self._clock()
        free = {"address": self.settings.free_per_address, "account": self.settings.free_per_account}
        for kind, key in keys.items():
            entry = self._entry(key, create=True)
            assert entry is not None
            entry.count += 1
            entry.last = now
            over = entry.count - free[kind]
            if over > 0:
                delay = min(self.settings.first_delay * 2 ** min(over - 1, 62), self.settings.max_delay)
                entry.locked_until = max(entry.locked_until, now + delay)

    def _entry(self, key: str, create: bool) -> _Failures | None:
        found = self._failures.get(key)
        if found is not None and self._clock() - found.last > max(self.settings.forget_after, found.locked_until - found.last):
            del self._failures[key]
            found = None
        if found is None and create:
            found = self._failures[key] = _Failures()
            while len(self._failures) > self.settings.max_entries:
                self._failures.popitem(last=False)
        elif found is not None:
            self._failures.move_to_end(key)
        return found
