"""Every way around the approvals that issue 14 found, tried again: each is refused or detected.

People are the staff list (invisible characters, aliases, made-up names); the chain is keyed
(forged, rebuilt, truncated, deleted, rolled back); the state tables are under the chain (a status
set by hand); the triggers are checked; accounts and sessions cannot be planted in the database;
approvals sheets carry the value and a plausible date, and only an allowed importer records them.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, func, select, text, update

from dataquality.approve import accounts, acting, audit, db, entries, keys, workflow
from dataquality.approve.accounts import Account, SignInError
from dataquality.approve.apply import ChainError, apply
from dataquality.approve.changes import load_change_set
from dataquality.approve.people import Directory, PersonError, clean_name
from dataquality.approve.sheet import import_sheet
from dataquality.approve.stores import open_approval_store
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config, reference_from_records
from dataquality.store import create_store_engine, migrate, open_store

from .conftest import TEST_KEY, guards_down
from .scenario import APPROVALS_HEADER, SUBMITTER, TODAY, write_scenario
from .test_workflow import INFO, change, one_request, refused

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def config(config):  # type: ignore[no-untyped-def]
    """The shipped configuration with a staff list that gives traditional spellings as aliases."""
    staff = config.references["staff"]
    aliases = {"张伟": ["張偉", "張伟"], "陈静": ["陳靜"]}
    records = [{**r, "aliases": aliases.get(r["name"], [])} for r in staff.records]
    return config.with_reference(reference_from_records("staff", records, staff.source))


@pytest.fixture(scope="module")
def policy(config):  # type: ignore[no-untyped-def]
    return ApprovalPolicy.load(config=config)


def problems(store, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    with store.transaction() as conn:
        return [p.key for p in audit.verify(conn, **kw)[1]]


def head(store) -> str:  # type: ignore[no-untyped-def]
    with store.transaction() as conn:
        return audit.head(conn)


def raw(store, *statements: str) -> None:  # type: ignore[no-untyped-def]
    """What someone with write access to the database (and no key) can do: drop the guards, write, restore them."""
    with store.engine.begin() as conn, guards_down(conn):
        for sql in statements:
            conn.execute(text(sql))


# --- people -----------------------------------------------------------------------------------


def test_names_are_people_of_the_staff_list(config) -> None:
    people = Directory.from_config(config)
    assert people.find("张伟").id == "E001"
    assert people.find("张\u200b伟").id == "E001"  # zero-width space
    assert people.find("\u202e陈静\u200b").id == "E005"  # bidi override and a trailing zero-width space
    assert people.find("張伟").id == "E001" and people.find("張偉").id == "E001"  # aliases of the list
    assert people.find("ｚ") is None and people.find("E005").name == "陈静"
    assert clean_name("\u200b") == ""
    with pytest.raises(PersonError) as err:
        people.person("王小二", "approver")
    assert "not a person of the staff list" in err.value.message("en") and "审批人" in err.value.message("zh")
    with pytest.raises(PersonError) as err:
        people.person("赵\u200b敏x")
    assert "<U+200B>" in err.value.message("en")  # the message shows what was really typed


def test_made_up_and_invisible_approvers_are_refused(store, policy) -> None:
    rid = one_request(store, policy, tier=3, new="2300000")
    for ghost in ("王小二", "Alice", "CEO"):
        with pytest.raises(PersonError):
            workflow.approve(store, policy, rid, ghost, "L1")
    refused("approve.no_name", workflow.approve, store, policy, rid, "\u200b", "L1")
    refused("approve.no_name", workflow.reject, store, policy, rid, "\u2060\ufeff", "no")


def test_requester_cannot_approve_under_another_spelling(store, policy) -> None:
    rid = workflow.submit(store, [change(requester="张伟", tier=2)], INFO, by=SUBMITTER, directory=policy.people).created[0]
    for spelling in ("张\u200b伟", "張伟", "張偉", " 张伟 ", "E001"):
        refused("approve.self", workflow.approve, store, policy, rid, spelling, "L1")
        refused("approve.self_reject", workflow.reject, store, policy, rid, spelling, "mine")


def test_one_person_counts_once_under_any_spelling(store, policy) -> None:
    rid = one_request(store, policy, tier=2)
    workflow.approve(store, policy, rid, "陈静", "L1")
    refused("approve.counts_once", workflow.approve, store, policy, rid, "陈静\u200b", "L2")
    refused("approve.counts_once", workflow.approve, store, policy, rid, "陳靜", "L2")
    [v] = workflow.list_requests(store, policy)
    assert v.present == (("陈静", "L1"),) and v.missing == ("L2",)


def test_every_request_has_a_requester_of_the_staff_list(store, policy) -> None:
    # Without a submitter nothing is submitted; an unknown submitter or named requester is refused.
    refused("approve.no_submitter", workflow.submit, store, [change()], INFO, None, policy.people)
    refused("approve.no_submitter", workflow.submit, store, [change()], INFO, "\u200b", policy.people)
    with pytest.raises(PersonError):
        workflow.submit(store, [change(requester="路人甲")], INFO, by=SUBMITTER, directory=policy.people)
    with pytest.raises(PersonError):
        workflow.submit(store, [change()], INFO, by="路人甲", directory=policy.people)
    # A change without a named requester (a deletion names none) is asked for by the submitter.
    deletion = change(key="C000009", field="*", kind="delete", requester=None, old="", new="")
    res = workflow.submit(store, [deletion, change(key="C000010", requester="\u200b")], INFO, by="王\u200b芳",
                          directory=policy.people)
    found = workflow.list_requests(store, policy)
    assert res.created == tuple(v.id for v in found)
    assert {(v.requested_by, v.submitted_by) for v in found} == {("王芳", "王芳")}
    with store.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(db.requests)).scalar() == 2


# --- the keyed chain --------------------------------------------------------------------------


@pytest.fixture
def decided(store, policy):  # type: ignore[no-untyped-def]
    """A tier-3 request with L1 approved, and a tier-1 request approved."""
    res = workflow.submit(store, [change(key="C000001", field="bank_account", tier=3, new="6222999999999999"),
                                  change(key="C000002", tier=1, new="150000")], INFO, by=SUBMITTER, directory=policy.people)
    workflow.approve(store, policy, res.created[0], "赵敏", "L1")
    workflow.approve(store, policy, res.created[1], "赵敏", "L1")
    assert problems(store) == []
    return store, res.created


def test_status_set_by_hand_is_detected_and_not_applied(decided, policy, config, write_xlsx, tmp_path) -> None:
    store, (bank, _) = decided
    raw(store, f"UPDATE approve_requests SET status = 'approved' WHERE id = {bank}")
    assert "state_edited" in problems(store)
    baseline, incoming, _ = write_scenario(write_xlsx)
    with pytest.raises(ChainError) as err:
        apply(store, policy, config, tmp_path / "m.xlsx", incoming, baseline)
    assert err.value.exit_code == 1 and "does not verify" in err.value.message("en")
    assert not (tmp_path / "m.xlsx").exists()


def test_tier_or_value_edited_in_the_table_is_detected(decided) -> None:
    store, (bank, other) = decided
    raw(store, f"UPDATE approve_requests SET tier = 1 WHERE id = {bank}",
        f"UPDATE approve_requests SET new_value = '9', new_norm = '9' WHERE id = {other}")
    found = problems(store)
    assert found.count("state_edited") == 3


def test_approval_row_inserted_by_hand_is_detected(decided) -> None:
    store, (bank, _) = decided
    raw(store, "INSERT INTO approve_approvals (request_id, approver, role, decision, value_norm, at, source) "
               f"VALUES ({bank}, '吴刚', 'L3', 'approved', '6222999999999999', '2026-01-01', 'cli')")
    assert problems(store) == ["approval_unlogged"]


def test_forged_append_with_a_correct_sha256_is_detected(decided) -> None:
    store, (bank, _) = decided
    with store.transaction() as conn:
        last = list(audit.rows(conn))[-1]
    forged = {**last, "seq": last["seq"] + 1, "actor": "吴刚", "role": "L3", "request_id": bank, "prev_hash": last["hash"],
              "data": json.dumps({"role": "L3", "value_norm": "6222999999999999", "status": "approved"})}
    for alg in (None, audit.ALG):  # unkeyed, or claiming the key without having it
        row = {**forged, "alg": alg}
        row["hash"] = audit.row_hash(row) if alg is None else audit.row_mac(row, b"not the key" * 3)
        cols = ", ".join(row)
        raw(store, f"DELETE FROM approve_audit WHERE seq > {last['seq']}",
            f"UPDATE approve_audit_head SET seq = {row['seq']}, hash = '{row['hash']}'")
        with store.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO approve_audit ({cols}) VALUES ({', '.join(':' + c for c in row)})"), row)
        assert ("unkeyed" if alg is None else "edited") in problems(store)


def test_chain_rebuilt_without_the_key_is_detected(decided) -> None:
    store, _ = decided
    # Edit a row, then recompute every seal and link as dq 0.1 did (sha256, no key), head included.
    with store.transaction() as conn:
        rows = list(audit.rows(conn))
    rows[1]["actor"] = "吴刚"
    prev, statements = audit.GENESIS, ["DELETE FROM approve_audit"]
    for r in rows:
        r.update(prev_hash=prev, alg=None, key_id=None)
        r["hash"] = prev = audit.row_hash(r)
    raw(store, *statements, f"UPDATE approve_audit_head SET seq = {rows[-1]['seq']}, hash = '{prev}'")
    with store.engine.begin() as conn:
        for r in rows:
            conn.execute(text(f"INSERT INTO approve_audit ({', '.join(r)}) VALUES ({', '.join(':' + c for c in r)})"), r)
    found = problems(store)
    # With the key at hand a log of unkeyed rows only is tampered (issue 23), never "to be sealed".
    assert "unkeyed_tampered" in found and "state_unlogged" in found


def test_truncation_deletion_and_rollback_fail_against_the_anchor(decided, policy) -> None:
    store, (bank, other) = decided
    anchor = head(store)
    assert problems(store, expect_head=anchor) == []
    workflow.reject(store, policy, bank, "杨磊", "account not verified")
    later = head(store)
    assert problems(store, expect_head=anchor) == []  # the log grew: the old head is still in it
    # Truncate the newest row and set the head back (the head trigger is dropped for it).
    seq = int(later.split(":")[0])
    raw(store, f"DELETE FROM approve_audit WHERE seq = {seq}",
        f"UPDATE approve_audit_head SET seq = {seq - 1}, hash = (SELECT hash FROM approve_audit WHERE seq = {seq - 1})")
    assert "behind_anchor" in problems(store, expect_head=later)
    # The whole log deleted: "intact: 0 rows" no more.
    raw(store, "DELETE FROM approve_audit", "DELETE FROM approve_audit_head")
    found = problems(store, expect_head=anchor)
    assert "behind_anchor" in found and "state_unlogged" in found


def test_an_older_copy_of_the_database_fails_against_the_anchor(db_url, policy, tmp_path) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a file copy is the SQLite form of restoring a backup")
    path = Path(db_url.removeprefix("sqlite:///"))
    store = open_store(db_url)
    audit.bind_key(store.engine, TEST_KEY)
    rid = one_request(store, policy, tier=2)
    store.close()
    shutil.copy(path, tmp_path / "backup.db")
    store = open_store(db_url)
    audit.bind_key(store.engine, TEST_KEY)
    workflow.approve(store, policy, rid, "赵敏", "L1")
    workflow.approve(store, policy, rid, "杨磊", "L2")
    anchor = head(store)
    store.close()
    shutil.copy(tmp_path / "backup.db", path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = open_store(db_url)
    audit.bind_key(store.engine, TEST_KEY)
    try:
        assert problems(store) == []  # on its own the old copy is a consistent log...
        assert problems(store, expect_head=anchor) == ["behind_anchor"]  # ...but not the one seen last
        # Rolled back and then used again to the same length: the head names another row.
        workflow.approve(store, policy, rid, "孙丽", "L1")
        workflow.approve(store, policy, rid, "陈静", "L2")
        assert problems(store, expect_head=anchor) == ["anchor_mismatch"]
    finally:
        store.close()


def test_dropped_or_missing_triggers_are_reported(decided) -> None:
    store, _ = decided
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER approve_audit_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE approve_audit DISABLE TRIGGER approve_audit_append_only")
    assert problems(store) == ["trigger_missing"]


def test_the_triggers_guard_approvals_and_the_head(decided) -> None:
    store, _ = decided
    for sql in ("DELETE FROM approve_approvals", "UPDATE approve_approvals SET role = 'L3'",
                "UPDATE approve_audit_head SET seq = 1", "DELETE FROM approve_audit_head"):
        with pytest.raises(Exception, match="append-only|only moves forward"):
            with store.engine.begin() as conn:
                conn.execute(text(sql))


def test_another_key_is_detected_and_no_key_cannot_write(decided, policy) -> None:
    store, (bank, _) = decided
    with store.transaction() as conn:
        assert [p.key for p in audit.verify(conn, key=b"x" * 32)[1]][:1] == ["other_key"]
    other = open_store(store.url)  # no key bound: nothing can be sealed
    try:
        with pytest.raises(Exception) as err:
            workflow.approve(other, policy, bank, "杨磊", "L2")
        assert getattr(err.value, "key", "") == "keys.not_bound"
    finally:
        other.close()


def test_key_file_is_made_once_outside_the_project_and_required_afterwards(tmp_path, policy) -> None:
    state = tmp_path / ".dq"
    url = f"sqlite:///{state / 'dq.db'}"
    store = open_approval_store(url, state)
    key_file = keys.default_key_path(url)
    assert key_file.is_file() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert state not in key_file.parents and not (state / "audit.key").exists()  # not beside the database
    assert oct((state / "dq.db").stat().st_mode & 0o777) == "0o600"  # password hashes: owner only
    one_request(store, policy)
    store.close()
    key_file.unlink()
    with pytest.raises(Exception) as err:
        open_approval_store(url, state)
    assert getattr(err.value, "key", "") == "keys.missing" and str(key_file) in err.value.message("en")
    reader = open_approval_store(url, state, write=False)
    try:
        assert "no_key" in problems(reader)
    finally:
        reader.close()


def test_a_key_of_before_issue_23_in_the_state_folder_is_still_read(tmp_path, policy) -> None:
    state = tmp_path / ".dq"
    url = f"sqlite:///{state / 'dq.db'}"
    state.mkdir()
    (state / "audit.key").write_text(TEST_KEY.hex() + "\n", encoding="ascii")
    found = keys.find_key(url, state)
    assert found is not None and found.key == TEST_KEY and found.in_state_folder
    assert keys.find_key(url) is None  # never looked for there without the state folder


def test_a_database_of_dq_0_1_upgrades_and_is_sealed(tmp_path, monkeypatch, policy) -> None:
    monkeypatch.delenv("DQ_AUDIT_KEY", raising=False)
    state = tmp_path / ".dq"
    url = f"sqlite:///{state / 'dq.db'}"
    _write_0_1_database(url)
    store = open_approval_store(url, state)  # migrates, makes the key (the log is... not empty: see below)
    try:
        with store.transaction() as conn:
            rows = list(audit.rows(conn))
        assert [r["action"] for r in rows] == ["request", "approve", "seal"]
        assert rows[0]["alg"] is None and rows[2]["alg"] == audit.ALG
        assert problems(store) == []
        v = workflow.approve(store, policy, 1, "杨磊", "L2")
        assert v.status == "approved" and problems(store) == []
    finally:
        store.close()


def _write_0_1_database(url: str) -> None:
    """A state database as dq 0.1 left it: tables without the 0.2 columns, an unkeyed chain."""
    engine = create_store_engine(url)
    migrate(engine, revision="0001")  # the schema of 0.1 (tests/test_migrations.py: one written by 0.1's own code)
    with engine.begin() as conn:
        at = "2026-11-01T00:00:00+00:00"
        conn.execute(db.submissions.insert().values(at=at, by=None, incoming_path="in.xlsx", incoming_sha256="0",
                                                    baseline_path="b.xlsx", baseline_sha256="0", entities="customer"))
        conn.execute(db.requests.insert().values(submission_id=1, entity="customer", key="C000001", field="credit_limit",
                                                 kind="change", old_value="100000", new_value="700000", old_norm="100000",
                                                 new_norm="700000", tier=2, requested_by="李娜", status="pending",
                                                 created_at=at, updated_at=at, version=1))
        conn.execute(db.approvals.insert().values(request_id=1, approver="赵敏", role="L1", decision="approved",
                                                  value_norm="700000", comment=None, at=at, source="cli"))
        old = Table("approve_audit", MetaData(), autoload_with=conn)
        prev = audit.GENESIS
        for seq, (action, actor, role) in enumerate((("request", "李娜", None), ("approve", "赵敏", "L1")), start=1):
            row = {k: None for k in audit.HASHED} | {"seq": seq, "at": at, "action": action, "actor": actor, "role": role,
                                                     "request_id": 1, "entity": "customer", "key": "C000001",
                                                     "field": "credit_limit", "old_value": "100000", "new_value": "700000",
                                                     "prev_hash": prev}
            row["hash"] = prev = audit.row_hash(row)
            conn.execute(old.insert().values(**row))
        conn.execute(db.audit_head.insert().values(id=1, seq=2, hash=prev))
    engine.dispose()


# --- accounts and sessions --------------------------------------------------------------------


def make_admin(store, policy) -> Account:  # type: ignore[no-untyped-def]
    """The first administrator, as dq init makes him (the key holder's bootstrap)."""
    return accounts.add_user(store, policy, "王芳", ("admin",), PASSWORD, bootstrap=True)


def add(store, policy, name: str, *roles: str) -> Account:  # type: ignore[no-untyped-def]
    """An account made by the administrator (made first when there is none yet)."""
    with store.transaction() as conn:
        exists = conn.execute(select(db.users.c.id).where(db.users.c.person_id == "E002")).first() is not None
    admin = accounts.authenticate(store, policy, "王芳", PASSWORD) if exists else make_admin(store, policy)
    return accounts.add_user(store, policy, name, roles, PASSWORD, operator=admin)


def test_accounts_are_staff_with_hashed_passwords(store, policy) -> None:
    acc = add(store, policy, "陈\u200b静", "L2")
    assert (acc.name, acc.person_id, acc.roles) == ("陈静", "E005", ("L2",))
    with pytest.raises(PersonError):
        add(store, policy, "Mallory", "L3")
    admin = accounts.authenticate(store, policy, "王芳", PASSWORD)
    with pytest.raises(accounts.AccountError):
        accounts.add_user(store, policy, "杨磊", ("L2",), "short", operator=admin)
    with store.transaction() as conn:
        stored = conn.execute(select(db.users.c.password_hash).where(db.users.c.person_id == "E005")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate(store, policy, "陳靜", PASSWORD).person_id == "E005"
    for name, pw in (("陈静", "wrong password!"), ("nobody", PASSWORD), ("", "")):
        with pytest.raises(SignInError):
            accounts.authenticate(store, policy, name, pw)
    with store.transaction() as conn:
        events = [(r["action"], r["actor"], r["key"]) for r in audit.rows(conn)]
    # Every account event names its operator: the key holder for the first administrator, then him.
    assert [e[0] for e in events] == ["user_add", "user_add"] and events[1][1:] == ("王芳", "E005")
    assert events[0][1].startswith("key holder") and problems(store) == []


def test_role_granted_or_password_swapped_in_the_database_is_refused(store, policy) -> None:
    add(store, policy, "赵敏", "L1")
    add(store, policy, "吴刚", "L3")
    with store.transaction() as conn:
        mine = conn.execute(select(db.users.c.password_hash).where(db.users.c.person_id == "E007")).scalar()
        conn.execute(update(db.users).where(db.users.c.person_id == "E007").values(roles="L1,L2,L3"))
        conn.execute(update(db.users).where(db.users.c.person_id == "E010").values(password_hash=mine))
    with pytest.raises(SignInError):
        accounts.authenticate(store, policy, "赵敏", PASSWORD)
    with pytest.raises(SignInError):
        accounts.authenticate(store, policy, "吴刚", PASSWORD)  # the GM's account now has 赵敏's hash
    assert {u["name"]: u["sealed"] for u in accounts.list_users(store)} == {"吴刚": False, "赵敏": False, "王芳": True}
    assert {p for p in problems(store) if p.startswith("account")} == {"account_edited"}


def test_sessions_expire_and_cannot_be_planted(store, policy) -> None:
    acc = add(store, policy, "杨磊", "L2")
    token, csrf = accounts.start_session(store, acc)
    assert accounts.session_account(store, token) == (acc, csrf)
    assert accounts.session_account(store, "guessed") is None
    # A row written straight into the table, with a token its writer knows: no valid seal.
    planted = "planted-token"
    with store.transaction() as conn:
        conn.execute(db.sessions.insert().values(
            token_hash=accounts._token_hash(planted), user_id=acc.id, csrf="x", created_at="2026-01-01",
            expires_at="2999-01-01", mac="0" * 64))
        # Stretching a real session's expiry breaks its seal too.
        conn.execute(update(db.sessions).where(db.sessions.c.token_hash == accounts._token_hash(token))
                     .values(expires_at="2999-01-01"))
    assert accounts.session_account(store, planted) is None
    assert accounts.session_account(store, token) is None
    short, _ = accounts.start_session(store, acc, hours=-1)  # already expired
    assert accounts.session_account(store, short) is None
    accounts.end_session(store, token)


def test_a_signed_in_person_acts_only_in_roles_held(store, policy) -> None:
    rid = one_request(store, policy, tier=2)
    manager = add(store, policy, "赵敏", "L1")
    refused("approve.role_not_held", acting.approve_as, store, policy, manager, rid, "L2")
    v = acting.approve_as(store, policy, manager, rid, None)
    assert v.present == (("赵敏", "L1"),)
    both = Account(99, "E006", "杨磊", ("L1", "L2"))
    refused("approve.choose_role", acting.approve_as, store, policy, both, rid, None)


# --- approvals sheets -------------------------------------------------------------------------


def _sheet(write_xlsx, *lines):  # type: ignore[no-untyped-def]
    return write_xlsx("approvals.xlsx", {"审批": [APPROVALS_HEADER, *lines]})


@pytest.fixture
def submitted(store, config, policy, write_xlsx):  # type: ignore[no-untyped-def]
    baseline, incoming, _ = write_scenario(write_xlsx)
    changes, _, _ = load_change_set(incoming, baseline, config, policy)
    workflow.submit(store, changes, INFO, by=SUBMITTER, directory=policy.people)
    return store


IMPORTER = Account(0, "E012", "郑浩", ("L2",))


def _outcomes(store, policy, config, path, importer=IMPORTER):  # type: ignore[no-untyped-def]
    return [(o.row, o.ok, o.key) for o in import_sheet(store, policy, config, path, importer=importer)]


def test_sheet_lines_must_name_the_approved_value(submitted, policy, config, write_xlsx) -> None:
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    path = _sheet(write_xlsx,
                  ["customer", "C000002", "credit_limit", "650000", "赵敏", "L1", "", "approved", TODAY],  # an older value
                  ["customer", "C000002", "credit_limit", "", "赵敏", "L1", "", "approved", TODAY],  # no value
                  ["customer", "C000002", "credit_limit", "700,000.00", "赵敏", "L1", "", "approved", "2099-01-01"],
                  ["customer", "C000002", "credit_limit", "700,000.00", "赵敏", "L1", "", "approved", tomorrow],
                  ["customer", "C000002", "credit_limit", "700,000.00", "赵敏", "L1", "", "approved", "2020-01-01"],
                  ["customer", "C000002", "credit_limit", "700,000.00", "赵敏", "L1", "", "approved", "someday"],
                  ["customer", "C000002", "credit_limit", "700,000.00", "Mallory", "L1", "", "approved", TODAY],
                  ["customer", "C000002", "credit_limit", "700,000.00", "赵敏", "L1", "", "approved", TODAY])  # good
    got = _outcomes(submitted, policy, config, path)
    assert sorted(got) == [(2, False, "sheet.stale_value"), (3, False, "sheet.stale_value"), (4, False, "sheet.future_date"),
                           (5, False, "sheet.future_date"), (6, False, "sheet.date_before_request"), (7, False, "sheet.bad_date"),
                           (8, False, "people.unknown"), (9, True, "sheet.entered")]
    [v] = [v for v in workflow.list_requests(submitted, policy) if (v.key, v.field) == ("C000002", "credit_limit")]
    assert v.present == ()  # entered, awaiting confirmation: it counts for nothing yet
    zhao = add(submitted, policy, "赵敏", "L1")
    [entry] = entries.awaiting(submitted, zhao)
    assert (entry.request_id, entry.approver, entry.role, entry.decision) == (v.id, "赵敏", "L1", "approved")
    assert entries.confirm(submitted, policy, zhao, entry.id).present == (("赵敏", "L1"),)
    with submitted.transaction() as conn:
        [row] = [r for r in audit.rows(conn) if r["action"] == "approve"]
    data = json.loads(row["data"])
    assert row["actor"] == "赵敏" and data["entered_by"] == "E012" and data["entry_id"] == entry.id
    assert "entered by 郑浩" in row["comment"] and problems(submitted) == []


def test_only_allowed_importers_and_not_tier_three(submitted, policy, config, write_xlsx) -> None:
    path = _sheet(write_xlsx, ["customer", "C000003", "credit_limit", "2300000", "赵敏", "L1", "", "approved", TODAY],
                  ["customer", "C000001", "credit_limit", "150000", "赵敏", "L1", "", "approved", TODAY])
    refused("sheet.importer_not_allowed", import_sheet, submitted, policy, config, path, importer=Account(0, "E007", "赵敏", ("L1",)))
    refused("sheet.no_importer", import_sheet, submitted, policy, config, path)
    assert _outcomes(submitted, policy, config, path) == [(2, False, "sheet.tier_too_high"), (3, True, "sheet.entered")]
    wider = replace(policy, import_roles=("L1",), import_max_tier=3)
    assert _outcomes(submitted, wider, config, path, Account(0, "E004", "刘洋", ("L1",)))[0] == (2, True, "sheet.entered")


def test_tamper_free_run_verifies_and_counts(store, policy) -> None:
    """The chain after ordinary work verifies, and its head names its last row."""
    rid = one_request(store, policy, tier=1, new="150000")
    workflow.approve(store, policy, rid, "赵敏", "L1")
    with store.transaction() as conn:
        count, found = audit.verify(conn)
        last = conn.execute(select(db.audit_log.c.seq, db.audit_log.c.hash).order_by(db.audit_log.c.seq.desc())).first()
    assert found == [] and count == 3 and head(store) == f"{last.seq}:{last.hash[:audit.HEAD_LEN]}"
    for bad in ("latest", f"{last.seq}:{last.hash[:8]}", "0:0123456789abcdef", "3:-"):
        with pytest.raises(audit.AuditError):  # a short seal is too easy to match by chance (issue 23)
            audit.parse_head(bad)
    assert audit.parse_head("0:-") == (0, "-")


def test_another_spelling_without_an_alias_is_nobody() -> None:
    """Out of the box (no aliases in the shipped list) 張伟 is not a person at all: refused, never someone else."""
    shipped = Directory.from_config(Config.load())
    assert shipped.find("张\u200b伟").id == "E001" and shipped.find("張伟") is None
