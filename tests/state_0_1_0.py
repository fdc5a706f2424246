"""Write a state database WITH dq 0.1.0's OWN CODE (not today's): run with PYTHONPATH pointing at a
checkout of 0.1.0 (`git archive ec013e3`), as tests/test_migrations.py does:

    PYTHONPATH=/tmp/dq-0.1.0 python tests/state_0_1_0.py sqlite:////tmp/dq.db

It leaves what a user of 0.1.0 has: the tables and triggers 0.1.0 created, its `schema_migrations`
rows, two approval requests (one approved by L1 and L2, one rejected) with their audit events under
0.1.0's unkeyed hash chain, and two `dq check` runs that tracked three issues (one resolved by the
second run). tests/data/state-0.1.0.sql is this script's SQLite database as `.dump` (for checkouts
without the git history); regenerate it with `python tests/test_migrations.py --dump`.
"""

from __future__ import annotations

import datetime as dt
import sys

# The issues `dq check` found: run 1 saw all three, run 2 (a day later) the first two.
ISSUES = [
    ("CUS001", "error", ("customer", "customers.xlsx", "Sheet1", 2, "C000001", "name", ""),
     {"department": "销售部", "params": {"field": "name"}}),
    ("CUS002", "warning", ("customer", "customers.xlsx", "Sheet1", 3, "C000002", "phone", "123"), {}),
    ("PRD001", "info", ("product", "products.xlsx", "Sheet1", 5, "P01", "unit", "箱"), {}),
]
SLA_DAYS = {"error": 3, "warning": 10, "info": None}
DAY1 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def write(url: str) -> None:
    from dataquality.approve import workflow
    from dataquality.approve.changes import Change
    from dataquality.approve.tiers import ApprovalPolicy
    from dataquality.config import Config
    from dataquality.issue import Issue, Severity
    from dataquality.store import open_store
    from dataquality.track.tracker import Sla, finish_run, track
    from dataquality.track.workdays import WorkCalendar

    policy = ApprovalPolicy.load(config=Config.load())
    store = open_store(url)
    info = {"incoming_path": "in.xlsx", "incoming_sha256": "0" * 64, "baseline_path": "base.xlsx",
            "baseline_sha256": "1" * 64}
    changes = [Change("customer", "C000001", "credit_limit", "change", "100000", "700000", "100000", "700000", 2, "李娜"),
               Change("customer", "C000002", "bank_account", "change", "6222", "=1+1", "6222", "=1+1", 2, "李娜")]
    first, second = workflow.submit(store, changes, info, by="李娜").created
    workflow.approve(store, policy, first, "赵敏", "L1", comment="ok")
    workflow.approve(store, policy, first, "杨磊", "L2")
    workflow.reject(store, policy, second, "杨磊", "no", role="L2")

    sla = Sla(SLA_DAYS, WorkCalendar())
    issues = [Issue(rule, Severity(severity), *args, **kw) for rule, severity, args, kw in ISSUES]
    day1 = DAY1
    run = track(store, issues, now=day1, sla=sla, entities=["customer", "product"], files=["customers.xlsx"], project="demo")
    finish_run(store, run.run_id, now=day1, report_dir="reports/1", fail_on="error", exit_code=1)
    day2 = day1 + dt.timedelta(days=1)
    run = track(store, issues[:2], now=day2, sla=sla, entities=["customer", "product"], files=["customers.xlsx"], project="demo")
    finish_run(store, run.run_id, now=day2, report_dir="reports/2", fail_on="error", exit_code=1)
    store.close()


if __name__ == "__main__":
    write(sys.argv[1])
