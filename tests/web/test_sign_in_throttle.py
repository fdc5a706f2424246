"""Guessing passwords at `dq serve`: failures make the account and the address wait longer and
longer (the right password included), and parallel attempts never hash more than a few at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .conftest import PASSWORD, sign_in, sign_in_form


def test_thirty_wrong_passwords_then_the_right_one_waits(serve) -> None:
    server = serve()
    statuses = [sign_in(server, "赵敏", f"wrong guess number {n}").status for n in range(30)]
    # A few typos are free; then each failure locks the account for longer: most guesses were
    # answered without any password being checked.
    # (Each checked failure doubles the wait, so even on a slow machine few are checked.)
    assert statuses[:3] == [401, 401, 401] and statuses.count(401) <= 10 and statuses.count(429) >= 20
    right = sign_in(server, "赵敏", PASSWORD)
    assert right.status == 429 and "try again in" in right.body
    wait = int(right.headers["Retry-After"])
    assert 1 <= wait <= 900
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
