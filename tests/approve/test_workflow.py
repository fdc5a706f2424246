"""The approval rules, enforced in the database layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dataquality.approve import audit, workflow
from dataquality.approve.changes import Change
from dataquality.approve.db import approvals, audit_log
from dataquality.approve.workflow import WorkflowError
from dataquality.store import open_store

INFO = {"incoming_path": "in.xlsx", "incoming_sha256": "0" * 64, "baseline_path": "base.xlsx", "baseline_sha256": "0" * 64}


def change(key: str = "C000001", field: str = "credit_limit", old: str = "100000", new: str = "700000", tier: int = 2,
           requester: str | None = "李娜", kind: str = "change") -> Change:
    return Change("customer", key, field, kind, old, new, old, new, tier, requester)


SUBMITTER = "刘洋"  # signs in to submit; neither he nor the requester named in the file approves


def one_request(store, policy, **kw) -> int:  # type: ignore[no-untyped-def]
    res = workflow.submit(store, [change(**kw)], INFO, by=SUBMITTER)
    return res.created[0]


def refused(key: str, fn, *args, **kwargs) -> WorkflowError:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkflowError) as err:
        fn(*args, **kwargs)
    assert err.value.key == key, err.value.key
    return err.value


def test_tier_two_needs_l1_and_l2_by_distinct_people(store, policy) -> None:
    rid = one_request(store, policy)
    v = workflow.approve(store, policy, rid, "赵敏", "L1")
    assert (v.status, v.missing) == ("pending", ("L2",))
    v = workflow.approve(store, policy, rid, "杨磊", "财务总监")
    assert (v.status, v.missing, v.present) == ("approved", (), (("赵敏", "L1"), ("杨磊", "L2")))
    [listed] = workflow.list_requests(store, policy)
    assert listed.status == "approved"


def test_requester_cannot_approve_own_change(store, policy) -> None:
    rid = one_request(store, policy)
    refused("approve.self", workflow.approve, store, policy, rid, " 李娜 ", "L1")
    assert workflow.list_requests(store, policy)[0].present == ()


def test_one_person_counts_once_with_two_roles(store, policy) -> None:
    rid = one_request(store, policy)
    workflow.approve(store, policy, rid, "陈静", "L1")
    err = refused("approve.counts_once", workflow.approve, store, policy, rid, "陈静", "L2")
    assert "陈静" in err.message("en")
    [v] = workflow.list_requests(store, policy)
    assert (v.status, v.missing) == ("pending", ("L2",))


def test_counting_never_lets_one_person_fill_two_levels() -> None:
    # Even rows written by other means (two roles, one person) fill one level only.
    chosen, missing = workflow._covering(2, [("陈静", 1), ("陈静", 2)])
    assert len(chosen) == 1 and len(missing) == 1
    chosen, missing = workflow._covering(3, [("A", 1), ("A", 2), ("B", 2), ("C", 3)])
    assert missing == () and sorted(chosen.values()) == ["A", "B", "C"]


def test_role_above_the_tier_is_refused(store, policy) -> None:
    rid = one_request(store, policy, tier=1, new="150000")
    refused("approve.role_not_needed", workflow.approve, store, policy, rid, "吴刚", "L3")
    refused("approve.unknown_role", workflow.approve, store, policy, rid, "吴刚", "CFO-ish")


def test_rejection_ends_the_request(store, policy) -> None:
    rid = one_request(store, policy)
    workflow.approve(store, policy, rid, "赵敏", "L1")
    v = workflow.reject(store, policy, rid, "杨磊", "credit history too short", role="L2")
    assert v.status == "rejected" and v.rejected_by == "杨磊"
    err = refused("approve.closed_rejected", workflow.approve, store, policy, rid, "吴刚", "L2")
    assert "rejected" in err.message("en")
    refused("approve.closed_rejected", workflow.reject, store, policy, rid, "吴刚", "again")
    # Submitting the same value again does not revive it.
    res = workflow.submit(store, [change()], INFO, by=SUBMITTER)
    assert res.unchanged == (rid,) and res.created == ()


def test_unknown_request_and_missing_reason(store, policy) -> None:
    refused("approve.not_found", workflow.approve, store, policy, 999, "赵敏", "L1")
    rid = one_request(store, policy)
    refused("approve.no_reason", workflow.reject, store, policy, rid, "赵敏", "  ")
    refused("approve.self_reject", workflow.reject, store, policy, rid, "李娜", "mine")


def test_stale_approval_does_not_count(store, policy) -> None:
    rid = one_request(store, policy, tier=1, new="150000")
    v = workflow.approve(store, policy, rid, "赵敏", "L1")
    assert v.status == "approved"
    # The incoming value changes before apply: the approval was for 150000, not 160000.
    res = workflow.submit(store, [change(tier=1, new="160000")], INFO, by=SUBMITTER)
    assert res.revised == (rid,)
    [v] = workflow.list_requests(store, policy)
    assert (v.status, v.new, v.present, v.stale, v.missing) == ("pending", "160000", (), (("赵敏", "L1"),), ("L1",))
    v = workflow.approve(store, policy, rid, "赵敏", "L1")  # approving the new value counts again
    assert v.status == "approved"


def test_withdrawn_when_the_change_disappears(store, policy) -> None:
    rid = one_request(store, policy)
    res = workflow.submit(store, [], {**INFO, "entities": ["customer"]}, by=SUBMITTER)
    assert res.withdrawn == (rid,)
    refused("approve.closed_withdrawn", workflow.approve, store, policy, rid, "赵敏", "L1")


def test_only_the_submitter_withdraws_by_submitting_and_others_explicitly(store, policy) -> None:
    """Attack 4 of issue 23: a submission of the unchanged master by someone else withdraws nothing."""
    mine, approved = workflow.submit(store, [change(key="C000001"), change(key="C000002", tier=1, new="150000")], INFO,
                                     by=SUBMITTER).created
    workflow.approve(store, policy, approved, "赵敏", "L1")
    res = workflow.submit(store, [], {**INFO, "entities": ["customer"]}, by="孙丽")
    assert res.withdrawn == () and set(res.kept_open) == {mine, approved}
    # The submitter's own newer file withdraws his pending request, never an approved one.
    res = workflow.submit(store, [], {**INFO, "entities": ["customer"]}, by=SUBMITTER)
    assert res.withdrawn == (mine,) and res.kept_open == (approved,)
    refused("approve.withdraw_not_yours", workflow.withdraw, store, policy, approved, "孙丽", "not needed")
    refused("approve.no_reason", workflow.withdraw, store, policy, approved, SUBMITTER, " ")
    assert workflow.withdraw(store, policy, approved, "孙丽", "duplicate", admin=True).status == "withdrawn"
    with store.transaction() as conn:
        assert audit.verify(conn)[1] == []


def test_the_submitter_never_counts_toward_his_own_change(store, policy) -> None:
    rid = one_request(store, policy, tier=1, new="150000")
    refused("approve.self", workflow.approve, store, policy, rid, SUBMITTER, "L1")
    refused("approve.self_reject", workflow.reject, store, policy, rid, SUBMITTER, "no")
    refused("approve.no_submitter", workflow.submit, store, [change()], INFO)


def test_pending_and_role_filters(store, policy) -> None:
    res = workflow.submit(store, [change(key="C000001", tier=1, new="150000"), change(key="C000002", tier=2),
                                  change(key="C000003", tier=3, new="2300000")], INFO, by=SUBMITTER)
    a, b, c = res.created
    workflow.approve(store, policy, a, "赵敏", "L1")
    workflow.approve(store, policy, c, "赵敏", "L1")
    workflow.approve(store, policy, c, "杨磊", "L2")
    assert [v.id for v in workflow.list_requests(store, policy, pending=True)] == [b, c]
    assert [v.id for v in workflow.list_requests(store, policy, role="L2")] == [b]
    assert [v.id for v in workflow.list_requests(store, policy, role="总经理")] == [c]


def test_every_decision_is_an_audit_row(store, policy) -> None:
    rid = one_request(store, policy)
    workflow.approve(store, policy, rid, "赵敏", "L1", comment="ok")
    workflow.reject(store, policy, rid, "杨磊", "no")
    with store.transaction() as conn:
        rows = list(audit.rows(conn))
        assert conn.execute(select(func.count()).select_from(approvals)).scalar() == 2
        count, problems = audit.verify(conn)
    assert [(r["action"], r["actor"], r["role"], r["key"], r["field"], r["old_value"], r["new_value"]) for r in rows] == [
        ("submit", SUBMITTER, None, None, None, None, None),
        ("request", SUBMITTER, None, "C000001", "credit_limit", "100000", "700000"),
        ("approve", "赵敏", "L1", "C000001", "credit_limit", "100000", "700000"),
        ("reject", "杨磊", None, "C000001", "credit_limit", "100000", "700000"),
    ]
    assert rows[2]["comment"] == "ok" and rows[3]["comment"] == "no"
    assert (count, problems) == (4, [])


def test_schema_migrates_once_and_reopens(db_url: str) -> None:
    first = open_store(db_url)
    first.close()
    again = open_store(db_url)
    with again.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar() == 0
    again.close()
