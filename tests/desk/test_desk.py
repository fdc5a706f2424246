"""The desk's library (dataquality/desk): jobs that survive a restart and expire, the layout memory,
edits and undo kept as events, grid windows and filters, the clerk role, every action audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from served import PASSWORD, service
from sqlalchemy import select

from dataquality.approve.db import audit_log
from dataquality.desk import actions, bench, finish, intake, jobs
from dataquality.desk.grid import Filters
from dataquality.errors import DQError

from .conftest import CLERK, OTHER_CLERK, account, erp_export


def make_job(store: Any, tmp_path: Path, config: Any, policy: Any, path: Path, who: str = CLERK) -> tuple[jobs.Job, Any]:
    with open(path, "rb") as fh:
        return intake.create(store, tmp_path / "state", config, account(store, policy, who), fh, path.name)


def test_a_job_survives_a_restart_with_its_edits_and_expires(desk_store: Any, tmp_path: Path, config: Any, policy: Any,
                                                              write_xlsx: Any) -> None:
    job, known = make_job(desk_store, tmp_path, config, policy, erp_export(write_xlsx))
    assert known is None and not job.confirmed
    assert job.path.parent.parent == tmp_path / "state" / "desk" and job.path.parent.name == job.id
    clerk = account(desk_store, policy, CLERK)
    actions.edit_cell(desk_store, config, clerk, job, "客户", 3, "grade", "A")
    bench.forget(job.id)  # as after a restart: nothing in memory
    again = actions.bench_of(desk_store, jobs.get(desk_store, tmp_path / "state", job.id, clerk), config)
    assert again.value(0, 3, "grade") == "A" and again.original(0, 3, "grade") == "B"
    assert jobs.expire(desk_store, tmp_path / "state", dt.datetime.now(dt.UTC) + dt.timedelta(hours=71)) == []
    assert jobs.expire(desk_store, tmp_path / "state", dt.datetime.now(dt.UTC) + dt.timedelta(hours=73)) == [job.id]
    assert not job.folder.exists()
    with pytest.raises(DQError) as caught:
        jobs.get(desk_store, tmp_path / "state", job.id, clerk)
    assert caught.value.key == "desk.not_found"


def test_a_clerk_sees_his_own_jobs_and_an_admin_sees_all(desk_store: Any, tmp_path: Path, config: Any, policy: Any,
                                                          write_xlsx: Any) -> None:
    mine, _ = make_job(desk_store, tmp_path, config, policy, erp_export(write_xlsx))
    theirs, _ = make_job(desk_store, tmp_path, config, policy, erp_export(write_xlsx, "other.xlsx"), OTHER_CLERK)
    state = tmp_path / "state"
    assert [j.id for j in jobs.listing(desk_store, state, account(desk_store, policy, CLERK))] == [mine.id]
    assert {j.id for j in jobs.listing(desk_store, state, account(desk_store, policy, "王芳"))} == {mine.id, theirs.id}
    with pytest.raises(DQError):
        jobs.get(desk_store, state, theirs.id, account(desk_store, policy, CLERK))


def test_the_confirmed_layout_is_remembered_with_its_value_mapping(desk_store: Any, tmp_path: Path, config: Any,
                                                                   policy: Any, write_xlsx: Any) -> None:
    clerk = account(desk_store, policy, CLERK)
    job, _ = make_job(desk_store, tmp_path, config, policy, erp_export(write_xlsx))
    b = actions.bench_of(desk_store, job, config)
    [unknown] = actions.unknown_values(b, 0)
    assert (unknown["field"], unknown["value"], unknown["count"]) == ("customer_type", "合伙企业", 1)
    assert "enterprise" in unknown["allowed"]
    table = b.tables[0]
    columns = {h: f for f, h in table.headers.items()}
    intake.confirm(desk_store, config, clerk, job, table, columns, {"customer_type": {"合伙企业": "enterprise"}})
    job = jobs.get(desk_store, tmp_path / "state", job.id, clerk)
    assert actions.map_values(desk_store, config, clerk, job, 0, "customer_type", {"合伙企业": "enterprise"}) == 1
    assert not actions.unknown_values(actions.bench_of(desk_store, job, config), 0)
    # The next month's export of the same layout: the columns step is skipped, the values mapped.
    second, known = make_job(desk_store, tmp_path, config, policy, erp_export(write_xlsx, "customers_2027-01.xlsx"))
    assert known is not None and second.confirmed and known.values == {"customer_type": {"合伙企业": "enterprise"}}
    assert second.choice["sheets"][0]["header_row"] == 2


def test_grid_windows_filter_by_issue_rule_field_and_severity(desk_store: Any, tmp_path: Path, config: Any, policy: Any,
                                                               write_xlsx: Any) -> None:
    job, _ = make_job(desk_store, tmp_path, config, policy, erp_export(write_xlsx))
    b = actions.bench_of(desk_store, job, config)
    assert (job.folder / "grid-0.parquet").exists()
    everything = b.window(0, 0, 100, Filters(), "zh")
    assert everything["total"] == 7 and [r["_row"] for r in everything["rows"]] == list(range(3, 10))
    assert everything["rows"][0]["customer_code"] == "C000001"
    flagged = b.window(0, 0, 100, Filters(with_issues=True), "en")
    assert [r["_row"] for r in flagged["rows"]] == [4, 5, 8]
    enum = b.window(0, 0, 100, Filters(rule="ENM001"), "zh")
    [row] = enum["rows"]
    [mark] = [m for m in row["_issues"] if m["rule"] == "ENM001"]
    assert mark["field"] == "customer_type" and mark["severity"] == "error" and "合伙企业" in mark["message"]
    assert [r["_row"] for r in b.window(0, 0, 100, Filters(field="phone", severity="warning"), "en")["rows"]] == [8]
    assert b.window(0, 2, 1, Filters(with_issues=True), "en")["rows"][0]["_row"] == 8


def test_fixes_preview_then_apply_per_cell_rule_and_all_each_audited(desk_store: Any, tmp_path: Path, config: Any,
                                                                     policy: Any, write_xlsx: Any) -> None:
    clerk = account(desk_store, policy, CLERK)
    job, _ = make_job(desk_store, tmp_path, config, policy, erp_export(write_xlsx))
    b = actions.bench_of(desk_store, job, config)
    [cell] = actions.proposed_fixes(b, "cell", 0, 8, "phone")
    assert (cell.old, cell.new, cell.rules) == ("１３８０００００００６", "13800000006", ("FMT003",))
    assert b.value(0, 8, "phone") == "１３８０００００００６"  # shown, not applied
    assert actions.apply_fixes(desk_store, config, clerk, job, [cell]) == 1
    rule = actions.proposed_fixes(b, "rule", 0, rule="FMT002")
    assert {(p.row, p.field) for p in rule} == {(8, "bank_account"), (8, "customer_name")}
    assert actions.apply_fixes(desk_store, config, clerk, job, rule) == 2
    assert actions.proposed_fixes(b, "rule", 0, rule="FMT002") == []
    rest = actions.proposed_fixes(b, "all")
    assert rest and all(p.rules for p in rest)
    actions.apply_fixes(desk_store, config, clerk, job, rest)
    assert actions.proposed_fixes(b, "all") == []
    changed = finish.changes(desk_store, b)
    assert {(c.row, c.field) for c in changed} >= {(8, "phone"), (8, "bank_account")}
    with desk_store.transaction() as conn:
        fixes = conn.execute(select(audit_log.c.action).where(audit_log.c.action == "desk_fix")).fetchall()
    assert len(fixes) == 3
    assert actions.undo(desk_store, config, clerk, job) == len(rest)
    assert b.value(0, 8, "phone") == "13800000006"  # the earlier batches stay


def test_clerk_role_is_given_by_dq_users_add(tmp_path: Path, config: Any, policy: Any) -> None:
    from approve.test_scenario import dq

    state = tmp_path / ".dq"
    with service(f"sqlite:///{state / 'dq.db'}", state, config, policy, {"王芳": ()}) as url:
        added = dq(tmp_path, "users", "add", CLERK, "--role", "clerk", "--role", "L1", "--user", "王芳", server=url,
                   input=f"{PASSWORD}\n{PASSWORD}\n{PASSWORD}\n")
        assert added.returncode == 0, added.stderr
        assert "clerk" in added.stdout and "L1" in added.stdout


def test_the_expiry_is_set_in_dq_yaml(tmp_path: Path) -> None:
    from dataquality.errors import ConfigError
    from dataquality.track.project import Project
    from dataquality.track.scaffold import init_project

    init_project(tmp_path / "p", lang="en")
    path = tmp_path / "p" / "dq.yaml"
    assert Project.load(tmp_path / "p").desk_expire_hours == 72
    path.write_text(path.read_text(encoding="utf-8") + "\ndesk:\n  expire_hours: 8\n", encoding="utf-8")
    assert Project.load(tmp_path / "p").desk_expire_hours == 8
    path.write_text(path.read_text(encoding="utf-8").replace("expire_hours: 8", "expire_hour: 8"), encoding="utf-8")
    with pytest.raises(ConfigError, match="expire_hours"):
        Project.load(tmp_path / "p")
