"""Issue 23's hardening in the approval layer, on SQLite and PostgreSQL: an approver acts only on
requests needing one of his roles, the inbox's four eyes, the password policy wherever a
password is set, and sessions that end when left idle."""

from __future__ import annotations

import datetime as dt

import pytest
from served import add_accounts

from dataquality.approve import accounts, acting, workflow

from .test_workflow import INFO, SUBMITTER, change, one_request, refused

PASSWORD = "correct horse battery"


def account(store, policy, name: str, *roles: str) -> accounts.Account:  # type: ignore[no-untyped-def]
    """An account made by the administrator (issue 23: accounts are managed by a signed-in admin)."""
    add_accounts(store, policy, {name: roles}, PASSWORD)
    return accounts.authenticate(store, policy, name, PASSWORD)


def test_an_l3_does_not_reject_a_tier_one_change(store, policy) -> None:
    rid = one_request(store, policy, tier=1)
    general_manager = account(store, policy, "吴刚", "L3")
    refused("approve.role_not_needed", acting.reject_as, store, policy, general_manager, rid, "no")
    refused("approve.role_not_needed", workflow.reject, store, policy, rid, "吴刚", "no", "L3")
    # An account holding a needed role among others rejects in it.
    both = account(store, policy, "陈静", "L1", "L3")
    assert acting.reject_as(store, policy, both, rid, "credit history too short").status == "rejected"


def test_the_inbox_keeps_four_eyes(store, policy) -> None:
    submitted = workflow.submit(store, [change("C000001", tier=2), change("C000002", tier=1, requester="赵敏")], INFO,
                                by=SUBMITTER)
    mine_id, theirs_id = submitted.created[1], submitted.created[0]
    manager = account(store, policy, "赵敏", "L1", "L2")
    waiting, mine = acting.inbox(store, policy, manager)
    assert [v.id for v in waiting] == [theirs_id] and [v.id for v in mine] == [mine_id]
    acting.approve_as(store, policy, manager, theirs_id, "L1")
    waiting, _ = acting.inbox(store, policy, manager)
    assert waiting == []  # still missing L2, but she cannot fill a second level herself
    director = account(store, policy, "杨磊", "L2")
    assert [v.id for v in acting.inbox(store, policy, director)[0]] == [theirs_id]


@pytest.mark.parametrize("weak", ["short", "aaaaaaaaaa", "password123", "qwertyuiop", "1234567890", "iloveyou12",
                                  "Password2024!", "赵敏赵敏赵敏赵敏赵敏", "abcdefghijkl", " password1 "])
def test_weak_passwords_are_refused_wherever_one_is_set(store, policy, weak) -> None:
    director = account(store, policy, "杨磊", "L2")
    admin = accounts.authenticate(store, policy, "王芳", PASSWORD)
    with pytest.raises(accounts.AccountError) as err:
        accounts.add_user(store, policy, "赵敏", ("L1",), weak, operator=admin)
    assert err.value.key.startswith("password.")
    with pytest.raises(accounts.AccountError):
        accounts.set_password(store, policy, "杨磊", weak, operator=admin)
    with pytest.raises(accounts.AccountError):
        accounts.set_password(store, policy, "杨磊", weak, operator=director, old_password=PASSWORD)
    assert accounts.authenticate(store, policy, "杨磊", PASSWORD).name == "杨磊"


def test_a_session_left_idle_ends_and_a_used_one_goes_on(store, policy, monkeypatch) -> None:
    manager = account(store, policy, "赵敏", "L1")
    now = [dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(accounts, "_utcnow", lambda: now[0])  # the clock: half an hour cannot pass in a test
    used, _ = accounts.start_session(store, manager, hours=8, idle_minutes=30)
    idle, _ = accounts.start_session(store, manager, hours=8, idle_minutes=30)
    for _ in range(6):  # used every 20 minutes for two hours
        now[0] += dt.timedelta(minutes=20)
        assert accounts.session_account(store, used, 8, 30) is not None
    assert accounts.session_account(store, idle, 8, 30) is None  # unused for two hours
    # However busy, a session ends `hours` after sign-in.
    for _ in range(20):
        now[0] += dt.timedelta(minutes=20)
        alive = accounts.session_account(store, used, 8, 30)
        if now[0] >= dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC):
            assert alive is None
        else:
            assert alive is not None
