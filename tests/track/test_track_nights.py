"""Three nights over changing files: issue numbers, statuses, working-day ages across a weekend with
a make-up working day and the National Day holiday, SLA due dates, overdue flags and the trend."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from sqlalchemy import select

from dataquality.check import run_check
from dataquality.demo import customer_rows
from dataquality.store import open_store
from dataquality.track import db
from dataquality.track.history import history, issue_detail, list_issues
from dataquality.track.project import Project
from dataquality.track.tracker import Sla

SHEET = "客户主数据"
# 2026-09-18 Fri; 09-19 Sat off; 09-20 Sun is a make-up working day (调休); 09-21 Mon.
# 09-25 Fri (Mid-Autumn) and 10-01..10-07 (National Day) are public holidays; 10-08 Thu works.
NIGHT1 = dt.datetime(2026, 9, 18, 2, 0)
NIGHT2 = dt.datetime(2026, 9, 21, 2, 0)
NIGHT3 = dt.datetime(2026, 10, 8, 2, 0)


@pytest.fixture
def project(tmp_path: Path, state_url: str) -> Project:
    (tmp_path / "data").mkdir()
    (tmp_path / "dq.yaml").write_text(
        "entities:\n  customer: [data/customers.xlsx]\nreports:\n  formats: [json]\nlang: en\n"
        f"state:\n  url: {state_url}\n", encoding="utf-8"
    )
    project = Project.load(tmp_path / "dq.yaml")
    if state_url.startswith("sqlite"):
        assert project.state_url == f"sqlite:///{tmp_path.resolve()}/.dq/state.db"
    return project


def write_customers(project: Project, rows: list[dict], write_xlsx) -> None:  # type: ignore[no-untyped-def]
    header = list(rows[0])
    path = write_xlsx("data/customers.xlsx", {SHEET: [header] + [[r[h] for h in header] for r in rows]})
    assert path == project.root / "data" / "customers.xlsx"


def clean_rows() -> list[dict]:
    return customer_rows(random.Random(7), 8)


def by_key(outcome) -> dict[tuple[str, str], dict]:  # type: ignore[no-untyped-def]
    return {(i.key, i.field): i.to_dict("en") for i in outcome.result.issues}


def test_three_nights(project: Project, write_xlsx) -> None:  # type: ignore[no-untyped-def]
    # Night 1 (Fri): A = grade of C100002, B = credit limit of C100003 (finance), C = grade of C100004.
    rows = clean_rows()
    rows[1]["客户等级"] = "E"
    rows[2]["信用额度"] = -5
    rows[3]["客户等级"] = "Y"
    write_customers(project, rows, write_xlsx)
    n1 = run_check(project, now=NIGHT1)
    got = by_key(n1)
    assert sorted(got) == [("C100002", "grade"), ("C100003", "credit_limit"), ("C100004", "grade")]
    assert [got[k]["issue_number"] for k in sorted(got)] == ["DQ-000001", "DQ-000002", "DQ-000003"]
    assert {d["status"] for d in got.values()} == {"new"}
    assert {d["age_days"] for d in got.values()} == {0}
    # Due after 2 working days: Sat is off, Sun 09-20 is a make-up working day, so Mon 09-21.
    assert {d["due"] for d in got.values()} == {"2026-09-21"}
    assert n1.exit_code == 1 and n1.counts["new"] == 3

    # Night 2 (Mon): A fixed; B, C still there; D new (grade of C100005). Rows are sorted the other
    # way round, so every row number moves: the issue numbers must not.
    rows[1]["客户等级"] = "A"
    rows[4]["客户等级"] = "Z"
    write_customers(project, list(reversed(rows)), write_xlsx)
    n2 = run_check(project, now=NIGHT2)
    got = by_key(n2)
    assert sorted(got) == [("C100003", "credit_limit"), ("C100004", "grade"), ("C100005", "grade")]
    b, c, d = got[("C100003", "credit_limit")], got[("C100004", "grade")], got[("C100005", "grade")]
    assert (b["issue_number"], b["status"], b["times_seen"], b["row"]) == ("DQ-000002", "open", 2, 7)  # was row 4
    assert (c["issue_number"], c["status"]) == ("DQ-000003", "open")
    assert (d["issue_number"], d["status"], d["times_seen"]) == ("DQ-000004", "new", 1)
    # Fri -> Mon across a weekend whose Sunday is a working day: 2 working days, not 1.
    assert b["age_days"] == 2 and b["due"] == "2026-09-21" and b["overdue"] is False
    assert d["age_days"] == 0 and d["due"] == "2026-09-23"
    assert [i.tracking["issue_number"] for i in n2.result.resolved] == ["DQ-000001"]
    assert n2.counts == {"error": 3, "warning": 0, "info": 0, "new": 1, "open": 2, "reopened": 0, "resolved": 1, "overdue": 0,
                         "fixed_by_department": 0}

    # Night 3 (Thu after National Day): A comes back, C fixed, B and D still there.
    rows[1]["客户等级"] = "E"
    rows[3]["客户等级"] = "B"
    write_customers(project, rows, write_xlsx)
    n3 = run_check(project, now=NIGHT3)
    got = by_key(n3)
    a, b, d = got[("C100002", "grade")], got[("C100003", "credit_limit")], got[("C100005", "grade")]
    assert (a["issue_number"], a["status"], a["times_seen"]) == ("DQ-000001", "reopened", 2)
    assert a["first_seen"].startswith("2026-09-18") and a["age_days"] == 0
    # Reopened on Thu 10-08: Fri 10-09 and the make-up Saturday 10-10 are its two working days.
    assert a["due"] == "2026-10-10" and a["overdue"] is False
    # 09-18 -> 10-08 is 20 calendar days, 14 weekdays, but 9 working days (Mid-Autumn, National Day).
    assert (b["status"], b["times_seen"], b["age_days"], b["overdue"]) == ("open", 3, 9, True)
    assert (d["status"], d["age_days"], d["due"], d["overdue"]) == ("open", 7, "2026-09-23", True)
    assert [i.tracking["issue_number"] for i in n3.result.resolved] == ["DQ-000003"]
    # No new error tonight, only a reopened one: new-error still fails (it was not in the last run).
    assert n3.exit_code == 1
    assert n3.result.exit_code("error") == 1

    # The JSON report in the run folder, reached through reports/latest, carries numbers and ages.
    report = json.loads((project.reports_dir / "latest" / "report.json").read_text(encoding="utf-8"))
    assert {i["issue_number"]: i["age_days"] for i in report["issues"]} == {"DQ-000001": 0, "DQ-000002": 9, "DQ-000004": 7}
    assert [i["issue_number"] for i in report["resolved"]] == ["DQ-000003"]
    assert (project.reports_dir / "latest.txt").read_text().strip() == n3.run_dir.name == "2026-10-08T020000"

    # The trend: one entry per run, by severity and department.
    store = open_store(project.state_url, project.state_dir)
    try:
        trend = history(store)
        assert [(h["error"], h["new"], h["reopened"], h["resolved"], h["overdue"]) for h in trend] == [
            (3, 3, 0, 0, 0), (3, 1, 0, 1, 0), (3, 0, 1, 1, 2)]
        assert [h["by_department"] for h in trend] == [{"财务部": 1, "销售部": 2}] * 3
        assert report["history"] == trend

        # dq issues list and show, as of night 3.
        sla = Sla(project.sla, project.calendar())
        today = NIGHT3.date()
        assert [i.tracking["issue_number"] for i in list_issues(store, sla, today)] == ["DQ-000001", "DQ-000002", "DQ-000004"]
        assert [i.tracking["issue_number"] for i in list_issues(store, sla, today, overdue=True)] == ["DQ-000002", "DQ-000004"]
        assert [i.tracking["issue_number"] for i in list_issues(store, sla, today, department="财务部")] == ["DQ-000002"]
        assert [i.tracking["issue_number"] for i in list_issues(store, sla, today, status="resolved")] == ["DQ-000003"]
        assert [i.tracking["issue_number"] for i in list_issues(store, sla, today, status="reopened")] == ["DQ-000001"]
        assert list_issues(store, sla, today, status="new") == []
        assert len(list_issues(store, sla, today, status="all")) == 4
        issue, events = issue_detail(store, 1, sla, today)  # type: ignore[misc]
        assert issue.status.value == "reopened"
        assert [(e.run, e.status) for e in events] == [(1, "new"), (2, "resolved"), (3, "reopened")]
    finally:
        store.close()


def snapshot(project: Project) -> list[tuple]:
    store = open_store(project.state_url, project.state_dir)
    try:
        with store.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(db.issues).order_by(db.issues.c.number))] + [
                tuple(r) for r in conn.execute(select(db.events).order_by(db.events.c.id))]
    finally:
        store.close()


def test_rerun_on_same_data_changes_nothing(project: Project, write_xlsx) -> None:  # type: ignore[no-untyped-def]
    rows = clean_rows()
    rows[1]["客户等级"] = "E"
    write_customers(project, rows, write_xlsx)
    first = run_check(project, now=NIGHT1)
    before = snapshot(project)
    retry = run_check(project, now=NIGHT1 + dt.timedelta(minutes=20))  # the CI job is retried
    assert snapshot(project) == before
    assert retry.rerun_of == first.run_id
    assert [i.status.value for i in retry.result.issues] == ["new"]
    assert retry.exit_code == first.exit_code == 1  # a retried job that failed on a new error fails again
    # The next night, with nobody having fixed anything, the error is backlog: new-error passes.
    nextday = run_check(project, now=NIGHT2)
    assert nextday.rerun_of is None
    assert [i.status.value for i in nextday.result.issues] == ["open"]
    assert nextday.exit_code == 0 and nextday.result.exit_code("error") == 1
