"""Benchmark: tracking 20,000 issues over three nights (numbers, statuses, ages) on SQLite.

Run: PYTHONPATH=. python bench/bench_track.py
"""
import datetime as dt
import tempfile
import time

from dataquality.issue import Issue, Severity
from dataquality.store import open_store
from dataquality.track.tracker import Sla, track
from dataquality.track.workdays import WorkCalendar

d=tempfile.mkdtemp(); store=open_store(None, d)
sla=Sla({"error":2,"warning":5,"info":None}, WorkCalendar())
def issues(n, shift):
    return [Issue(rule="ENM001", severity=Severity.ERROR if k%3 else Severity.WARNING, entity="product", file="p.xlsx", sheet="s", row=k+2,
                  key=f"FG{k+shift:06d}", field="unit", value="x", department="生产部") for k in range(n)]
for night,(n,shift) in enumerate([(20000,0),(20000,2000),(20000,2000)]):
    t=time.perf_counter()
    r=track(store, issues(n,shift), now=dt.datetime(2026,9,14+night,2,tzinfo=dt.timezone(dt.timedelta(hours=8))), sla=sla, entities=["product"])
    print(night+1, f"{time.perf_counter()-t:.2f}s", dict(r.counts), r.rerun_of)
