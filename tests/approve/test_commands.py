"""approve.commands: what the approval commands and dq serve share (no click in it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataquality.approve.changes import load_change_set
from dataquality.approve.commands import (
    audit_head,
    change_rows,
    head_line,
    open_state,
    prepare_state,
    view_dict,
)
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.approve.workflow import decide_for_changes, list_requests, submit
from dataquality.errors import DQError

from .scenario import BASE_CUSTOMERS, CUSTOMER_HEADER


def test_opening_the_state_creates_nothing_it_should_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state' / 'dq.db'}"
    assert open_state(url, tmp_path / "state", create=False) is None
    with pytest.raises(DQError, match="no approval database"):
        open_state(url, tmp_path / "state", read_only=True)
    with pytest.raises(DQError, match="does not exist"):
        open_state(url, tmp_path / "typo", state_dir_given=True)
    assert not (tmp_path / "state").exists() and not (tmp_path / "typo").exists()


def test_change_rows_and_views_say_status_roles_and_approvals(tmp_path: Path, write_xlsx, config) -> None:  # type: ignore[no-untyped-def]
    policy = ApprovalPolicy.load(config=config)
    changed = [[*r[:8], "700000" if r[0] == "C000002" else r[8], *r[9:]] for r in BASE_CUSTOMERS]
    base = write_xlsx("base.xlsx", {"客户主数据": [CUSTOMER_HEADER, *BASE_CUSTOMERS]})
    inc = write_xlsx("inc.xlsx", {"客户主数据": [CUSTOMER_HEADER, *changed]})
    found, _, _ = load_change_set(inc, base, config, policy, "en", "李娜")
    sensitive = [c for c in found if c.tier > 0]
    assert [(c.key, c.field, c.tier) for c in sensitive] == [("C000002", "credit_limit", 2)]

    before = change_rows(found, decide_for_changes(None, policy, found), policy)
    [row] = [r for r in before if r["tier"] > 0]
    assert (row["status"], row["request"], row["required"], row["missing"], row["present"]) == (
        "pending", None, ["L1", "L2"], ["L1", "L2"], [])

    state = tmp_path / ".dq"
    state.mkdir()
    url = f"sqlite:///{state / 'dq.db'}"
    made = prepare_state(url, state)
    assert made is not None and made.is_file() and state not in made.parents  # the key lives outside the project
    assert oct(made.stat().st_mode & 0o777) == "0o600" and oct((state / "dq.db").stat().st_mode & 0o777) == "0o600"
    assert prepare_state(url, state) is None  # kept when it exists
    with open_state(url, state) as store:
        assert head_line(audit_head(store).head, "en") == "The audit log is empty: there is no head to keep yet."
        info = {"incoming_path": str(inc), "incoming_sha256": "-", "baseline_path": str(base), "baseline_sha256": "-",
                "entities": ["customer"]}
        submit(store, found, info, by="王芳", directory=policy.directory())
        after = change_rows(found, decide_for_changes(store, policy, found), policy)
        [v] = list_requests(store, policy)
        head = audit_head(store, state)
    [row] = [r for r in after if r["tier"] > 0]
    assert row["status"] == "pending" and row["request"] == v.id
    as_json = view_dict(v, "zh")
    assert (as_json["id"], as_json["field"], as_json["status"], as_json["missing"]) == (v.id, "credit_limit", "pending", ["L1", "L2"])
    assert as_json["status_text"] != view_dict(v, "en")["status_text"]
    assert head.head != "0:-" and head.problems == ()
