"""Benchmark: tracking 20,000 issues over three nights (numbers, statuses, ages) on SQLite.

Run: PYTHONPATH=. python bench/bench_track.py
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time

from dataquality.issue import Issue, Severity
from dataquality.store import open_store
from dataquality.track.tracker import Sla, track
from dataquality.track.workdays import WorkCalendar

CST = dt.timezone(dt.timedelta(hours=8))


def issues(n: int, shift: int) -> list[Issue]:
    return [
        Issue(rule="ENM001", severity=Severity.ERROR if k % 3 else Severity.WARNING, entity="product", file="p.xlsx",
              sheet="s", row=k + 2, key=f"FG{k + shift:06d}", field="unit", value="x", department="生产部")
        for k in range(n)
    ]


def main() -> None:
    store = open_store(None, tempfile.mkdtemp())
    sla = Sla({"error": 2, "warning": 5, "info": None}, WorkCalendar())
    for night, (n, shift) in enumerate([(20000, 0), (20000, 2000), (20000, 2000)]):
        started = time.perf_counter()
        r = track(store, issues(n, shift), now=dt.datetime(2026, 9, 14 + night, 2, tzinfo=CST), sla=sla, entities=["product"])
        print(f"night {night + 1}: {time.perf_counter() - started:.2f}s {dict(r.counts)}")


if __name__ == "__main__":
    main()
