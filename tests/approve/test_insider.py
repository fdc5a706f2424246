"""Issue 23's seven attacks by an insider, each tried again: refused, or detected by `dq audit verify`
without an anchor (and so refused by `dq apply`), on SQLite and PostgreSQL where the store is involved.

1. "dq 0.1 laundering": the log rewritten without the key is never sealed by an ordinary open.
2. dq apply trusting an edited submission row, or a baseline that is not the last applied master.
3. approvals sheets naming people who never signed in; the importer as the requester.
4. the requester as a typed name; an unsigned submission withdrawing others' requests.
5. account rows written back from an older copy.
6. whoever holds the key managing every account; the key beside the database; approvers needing it.
7. an approval's source/comment/date edited; a trigger replaced by a no-op; a short --expect-head.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dq_cli import run_dq
from served import PASSWORD, add_accounts, service
from sqlalchemy import select, text

from dataquality.approve import accounts, audit, db, entries, keys, workflow
from dataquality.approve.accounts import NotAllowedError, SignInError
from dataquality.approve.apply import ApplyError, ChainError, apply, sha256_of
from dataquality.approve.changes import load_change_set
from dataquality.approve.sheet import import_sheet
from dataquality.approve.stores import open_approval_store
from dataquality.store import open_store

from .conftest import guards_down
from .scenario import APPROVALS_HEADER, TODAY, write_scenario
from .test_trust import problems, raw
from .test_workflow import INFO, SUBMITTER, change, refused

PEOPLE = {"赵敏": ("L1",), "杨磊": ("L2",), "吴刚": ("L3",), "郑浩": ("L2",), "孙丽": ("L1",)}


def _submit_files(store, policy, config, baseline: Path, incoming: Path, by: str = SUBMITTER) -> workflow.SubmitResult:  # type: ignore[no-untyped-def]
    changes, _, _ = load_change_set(incoming, baseline, config, policy)
    info = {"incoming_path": str(incoming), "incoming_sha256": sha256_of(incoming), "baseline_path": str(baseline),
            "baseline_sha256": sha256_of(baseline)}
    return workflow.submit(store, changes, info, by=by, directory=policy.people)


def _request(store, policy, key: str, field: str) -> workflow.RequestView:  # type: ignore[no-untyped-def]
    [v] = [v for v in workflow.list_requests(store, policy) if (v.key, v.field) == (key, field)]
    return v


# --- 1. "dq 0.1 laundering" -------------------------------------------------------------------


def _launder(url: str, bank: int) -> None:
    """With plain SQL and no key: forge the three approvals of a tier-3 bank account change, then
    rewrite the whole log as unkeyed rows of dq 0.1 (their hashes need no key), triggers put back."""
    engine = open_store(url).engine
    with engine.begin() as conn, guards_down(conn):
        for who, role in (("赵敏", "L1"), ("杨磊", "L2"), ("吴刚", "L3")):
            conn.execute(text("INSERT INTO approve_approvals (request_id, approver, role, decision, value_norm, at, source) "
                              "SELECT id, :who, :role, 'approved', new_norm, '2026-12-01', 'cli' FROM approve_requests WHERE id = :id"),
                         {"who": who, "role": role, "id": bank})
        conn.execute(text("UPDATE approve_requests SET status = 'approved' WHERE id = :id"), {"id": bank})
        rows = [dict(r._mapping) for r in conn.execute(select(db.audit_log).order_by(db.audit_log.c.seq))]
        prev = audit.GENESIS
        conn.execute(text("DELETE FROM approve_audit"))
        for r in rows:
            r.update(prev_hash=prev, alg=None, key_id=None, data=None)
            r["hash"] = prev = audit.row_hash(r)
            conn.execute(db.audit_log.insert().values(**r))
        conn.execute(text("UPDATE approve_audit_head SET seq = :seq, hash = :hash"), {"seq": rows[-1]["seq"], "hash": prev})
    engine.dispose()


def _actions(url: str) -> list[str]:
    store = open_store(url)
    try:
        with store.transaction() as conn:
            return [r.action for r in conn.execute(select(db.audit_log.c.action).order_by(db.audit_log.c.seq))]
    finally:
        store.close()


def test_attack_1_a_log_rewritten_without_the_key_is_never_sealed(db_url, tmp_path, config, policy, write_xlsx) -> None:
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    store = open_approval_store(db_url, state)  # as dq serve opens it: the key in the service's folder
    add_accounts(store, policy, PEOPLE)
    baseline, incoming, _ = write_scenario(write_xlsx)
    _submit_files(store, policy, config, baseline, incoming)
    bank = _request(store, policy, "C000004", "bank_account").id
    store.close()
    _launder(db_url, bank)
    laundered = _actions(db_url)
    assert "seal" not in laundered
    # Nothing that opens the store seals the forged state: not the opener of dq serve, dq apply or
    # dq users bootstrap (write), not a reader, not any command (even with a wrong password).
    for write in (True, False):
        open_approval_store(db_url, state, write=write).close()
    where = ["--db", db_url, "--state-dir", str(state), "--lang", "en"]
    baseline_arg = ["--baseline", str(baseline)]
    for args in (["changes", "show", str(incoming), *baseline_arg], ["users", "list"], ["approvals", "list"],
                 ["approvals", "entries"], ["audit", "export", "--out", str(tmp_path / "log.csv")]):
        run_dq(*args, *where)
    with service(db_url, state, config, policy) as url:  # dq serve starting over it
        wrong = run_dq("approve", str(bank), "--user", "赵敏", "--server", url, input="wrong password\n")
        assert wrong.returncode == 2
        right = run_dq("approve", str(bank), "--user", "孙丽", "--server", url, "--lang", "en", input=PASSWORD + "\n")
        assert right.returncode == 2
    assert _actions(db_url) == laundered
    # Verify says tampered (the database has accounts and a key) and never advises sealing it.
    verified = run_dq("audit", "verify", *where)
    assert verified.returncode == 1 and "rewritten without the key" in verified.stdout, verified.stdout
    assert "seal-legacy" not in verified.stdout and "to seal" not in verified.stdout
    # Nothing more is recorded on top of it; dq apply applies nothing; the explicit seal refuses.
    reopened = open_approval_store(db_url, state)
    try:
        with pytest.raises(audit.AuditError) as err:
            workflow.approve(reopened, policy, bank, "孙丽", "L1")
        assert err.value.key == "audit.unsealed_tail"
        with pytest.raises(ChainError):
            apply(reopened, policy, config, tmp_path / "m.xlsx", incoming, baseline)
        assert not (tmp_path / "m.xlsx").exists()
    finally:
        reopened.close()
    head = verified.stdout.split("Audit head: ")[1].split()[0]
    sealed = run_dq("audit", "seal-legacy", "--expect-head", head, *where)
    assert sealed.returncode == 2 and "has accounts" in sealed.stderr
    assert _actions(db_url) == laundered


def test_attack_1_an_upgrade_seals_only_a_database_no_key_was_ever_made_for(tmp_path, policy) -> None:
    from .test_trust import _write_0_1_database

    url = f"sqlite:///{tmp_path / 'a' / 'dq.db'}"
    _write_0_1_database(url)
    keys.create_key(keys.default_key_path(url))  # a key exists for this database: it was used with one
    store = open_approval_store(url, tmp_path / "a")
    store.close()
    assert "seal" not in _actions(url)
    assert "unkeyed_tampered" in problems(open_approval_store(url, tmp_path / "a", write=False))


# --- 2. dq apply's lineage ---------------------------------------------------------------------


def test_attack_2_a_submission_row_edited_to_apply_everything(store, config, policy, write_xlsx, tmp_path) -> None:
    baseline, incoming, _ = write_scenario(write_xlsx)
    _submit_files(store, policy, config, baseline, incoming)
    raw(store, "UPDATE approve_submissions SET baseline_path = incoming_path, baseline_sha256 = incoming_sha256")
    assert "submission_edited" in problems(store)
    with pytest.raises(ChainError):
        apply(store, policy, config, tmp_path / "m.xlsx", incoming, incoming)
    assert not (tmp_path / "m.xlsx").exists()


def test_attack_2_only_the_last_applied_master_plus_approved_changes(store, config, policy, write_xlsx, tmp_path) -> None:
    baseline, incoming, _ = write_scenario(write_xlsx)
    # Never submitted: the incoming file given as its own baseline would hold every unapproved change.
    with pytest.raises(ApplyError) as err:
        apply(store, policy, config, tmp_path / "m.xlsx", incoming, incoming)
    assert err.value.key == "apply.not_submitted"
    _submit_files(store, policy, config, baseline, incoming)
    first = apply(store, policy, config, tmp_path / "m1.xlsx", incoming, baseline)
    assert first.applied == ()
    # A later submission against another baseline (here the incoming file itself) is refused at
    # apply: the master is the last applied master plus approved changes, or nothing.
    _submit_files(store, policy, config, incoming, incoming, by="孙丽")
    with pytest.raises(ApplyError) as err:
        apply(store, policy, config, tmp_path / "m2.xlsx", incoming, incoming)
    assert err.value.key == "apply.not_last_master" and not (tmp_path / "m2.xlsx").exists()
    # Against the last applied master it goes; and the same pair again builds the same master.
    _submit_files(store, policy, config, tmp_path / "m1.xlsx", incoming)
    third = apply(store, policy, config, tmp_path / "m3.xlsx", incoming, tmp_path / "m1.xlsx")
    again = apply(store, policy, config, tmp_path / "m4.xlsx", incoming, tmp_path / "m1.xlsx")
    assert third.records == first.records == again.records and again.applied == ()
    assert problems(store) == []


# --- 3. approvals sheets ------------------------------------------------------------------------


def test_attack_3_one_l2_account_cannot_approve_a_tier_two_change_alone(store, config, policy, write_xlsx) -> None:
    baseline, incoming, _ = write_scenario(write_xlsx)
    _submit_files(store, policy, config, baseline, incoming)
    add_accounts(store, policy, {**PEOPLE, "李娜": ("L1",)})
    importer = accounts.authenticate(store, policy, "郑浩", PASSWORD)
    sheet = write_xlsx("approvals.xlsx", {"审批": [
        APPROVALS_HEADER,
        ["customer", "C000002", "credit_limit", "700000", "赵敏", "L1", "", "approved", TODAY],  # never signed in
        ["customer", "C000002", "credit_limit", "700000", "郑浩", "L2", "", "approved", TODAY],  # the importer himself
        ["customer", "C000005", "salesperson", "孙丽", "吴刚", "L2", "", "approved", TODAY],  # a role 吴刚 does not hold
    ]})
    assert all(o.ok for o in import_sheet(store, policy, config, sheet, importer=importer))
    credit = _request(store, policy, "C000002", "credit_limit")
    assert (credit.status, credit.present) == ("pending", ())  # entered: nothing counts yet
    mine = accounts.authenticate(store, policy, "郑浩", PASSWORD)
    [own] = entries.awaiting(store, mine)
    assert entries.confirm(store, policy, mine, own.id).missing == ("L1",)  # his own signed-in L2 only
    # Another person cannot confirm 赵敏's line; 吴刚 cannot confirm in a role he does not hold.
    [zhao_line] = [e for e in entries.list_entries(store) if e.approver == "赵敏"]
    refused("entries.not_yours", entries.confirm, store, policy, mine, zhao_line.id)
    wu = accounts.authenticate(store, policy, "吴刚", PASSWORD)
    [wu_line] = entries.awaiting(store, wu)
    refused("approve.role_not_held", entries.confirm, store, policy, wu, wu_line.id)
    zhao = accounts.authenticate(store, policy, "赵敏", PASSWORD)
    assert entries.confirm(store, policy, zhao, zhao_line.id).status == "approved"
    refused("entries.settled", entries.confirm, store, policy, zhao, zhao_line.id)
    assert problems(store) == []


def test_attack_3_the_importer_never_enters_approvals_of_his_own_change(store, config, policy, write_xlsx) -> None:
    baseline, incoming, _ = write_scenario(write_xlsx)
    _submit_files(store, policy, config, baseline, incoming, by="郑浩")  # 郑浩 submits, then imports
    add_accounts(store, policy, PEOPLE)
    sheet = write_xlsx("approvals.xlsx", {"审批": [
        APPROVALS_HEADER, ["customer", "C000002", "credit_limit", "700000", "赵敏", "L1", "", "approved", TODAY]]})
    importer = accounts.authenticate(store, policy, "郑浩", PASSWORD)
    [outcome] = import_sheet(store, policy, config, sheet, importer=importer)
    assert (outcome.ok, outcome.key) == (False, "sheet.importer_is_requester")
    assert entries.list_entries(store) == []


def test_attack_3_an_entry_edited_in_the_table_is_detected(store, config, policy, write_xlsx) -> None:
    baseline, incoming, _ = write_scenario(write_xlsx)
    _submit_files(store, policy, config, baseline, incoming)
    add_accounts(store, policy, PEOPLE)
    sheet = write_xlsx("approvals.xlsx", {"审批": [
        APPROVALS_HEADER, ["customer", "C000002", "credit_limit", "700000", "赵敏", "L1", "", "approved", TODAY]]})
    import_sheet(store, policy, config, sheet, importer=accounts.authenticate(store, policy, "郑浩", PASSWORD))
    raw(store, "UPDATE approve_entries SET approver = '孙丽', approver_id = 'E011'")
    assert "entry_edited" in problems(store)


# --- 4. the requester is information, the submitter signs in ------------------------------------


def test_attack_4_a_typed_requester_is_information_and_the_submitter_is_signed_in(tmp_path, config, policy, write_xlsx) -> None:
    baseline, incoming, _ = write_scenario(write_xlsx)
    state = tmp_path / "state"
    url = f"sqlite:///{state / 'dq.db'}"
    where = ["--lang", "en"]
    unsigned = run_dq("changes", "submit", incoming, "--baseline", baseline, "--requested-by", "李娜", "--server",
                      "http://127.0.0.1:9", *where)
    assert unsigned.returncode == 2
    with service(url, state, config, policy, PEOPLE) as server:
        nobody = run_dq("changes", "submit", incoming, "--baseline", baseline, "--requested-by", "李娜", "--server", server,
                        *where, env={"DQ_USER": None})
        assert nobody.returncode == 2 and "Sign in" in nobody.stderr
        done = run_dq("changes", "submit", incoming, "--baseline", baseline, "--requested-by", "李娜", "--user", "孙丽",
                      "--server", server, *where, input=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
        store = open_approval_store(url, state, write=False)
        try:
            grade = _request(store, policy, "C000008", "grade")
            assert (grade.requested_by, grade.submitted_by) == ("李娜", "孙丽")
        finally:
            store.close()
        # The submitter approves nothing of his own submission, whatever name the file gives.
        own = run_dq("approve", str(grade.id), "--user", "孙丽", "--role", "L1", "--server", server, *where,
                     input=PASSWORD + "\n")
        assert own.returncode == 2 and "cannot approve" in own.stderr
        # Another person submitting the unchanged master withdraws none of 孙丽's requests.
        again = run_dq("changes", "submit", baseline, "--baseline", baseline, "--user", "赵敏", "--server", server, *where,
                       input=PASSWORD + "\n")
        assert again.returncode == 0 and "0 withdrawn" in again.stdout and "kept open" in again.stdout, again.stdout
        other = run_dq("changes", "withdraw", str(grade.id), "--reason", "not needed", "--user", "赵敏", "--server", server,
                       *where, input=PASSWORD + "\n")
        assert other.returncode == 2 and "only that person or an administrator" in other.stderr
        mine = run_dq("changes", "withdraw", str(grade.id), "--reason", "not needed", "--user", "孙丽", "--server", server,
                      *where, input=PASSWORD + "\n")
        assert mine.returncode == 0 and f"Request {grade.id} withdrawn" in mine.stdout


# --- 5. account rows written back ----------------------------------------------------------------


def _row(store, person_id: str) -> dict:  # type: ignore[no-untyped-def]
    with store.transaction() as conn:
        return dict(conn.execute(select(db.users).where(db.users.c.person_id == person_id)).one()._mapping)


def _write_back(store, row: dict) -> None:  # type: ignore[no-untyped-def]
    with store.engine.begin() as conn:
        conn.execute(db.users.update().where(db.users.c.id == row["id"]).values(**{k: v for k, v in row.items() if k != "id"}))


@pytest.mark.parametrize("change_made", ["disabled", "password", "role revoked"])
def test_attack_5_an_account_row_written_back_is_refused(store, policy, change_made: str) -> None:
    add_accounts(store, policy, {"赵敏": ("L1", "L2")})
    admin = accounts.authenticate(store, policy, "王芳", PASSWORD)
    saved = _row(store, "E007")
    zhao = accounts.authenticate(store, policy, "赵敏", PASSWORD)
    session, _ = accounts.start_session(store, zhao)
    if change_made == "disabled":
        accounts.update_user(store, policy, "赵敏", disabled=True, operator=admin)
    elif change_made == "password":
        accounts.set_password(store, policy, "赵敏", "a new passphrase here", operator=zhao, old_password=PASSWORD)
    else:
        accounts.update_user(store, policy, "赵敏", roles=("L1",), operator=admin)
    _write_back(store, saved)
    with pytest.raises(SignInError):
        accounts.authenticate(store, policy, "赵敏", PASSWORD)
    assert accounts.session_account(store, session) is None and accounts.account_for_person(store, policy, "赵敏") is None
    assert "account_edited" in problems(store)
    assert {u["name"]: u["sealed"] for u in accounts.list_users(store)}["赵敏"] is False


# --- 6. separation of duties and the key held by the service ----------------------------------


def test_attack_6_accounts_are_managed_by_an_administrator_and_events_name_him(store, policy) -> None:
    add_accounts(store, policy, {"杨磊": ("L2",), "赵敏": ("L1",)})
    yang = accounts.authenticate(store, policy, "杨磊", PASSWORD)
    admin = accounts.authenticate(store, policy, "王芳", PASSWORD)
    # Another person's password: not without being an administrator; one's own: not without the old one.
    with pytest.raises(NotAllowedError):
        accounts.set_password(store, policy, "赵敏", "taken over now!", operator=yang)
    with pytest.raises(SignInError):
        accounts.set_password(store, policy, "杨磊", "a new passphrase", operator=yang, old_password="guess")
    with pytest.raises(NotAllowedError):
        accounts.update_user(store, policy, "杨磊", roles=("L1", "L2", "L3"), operator=yang)
    with pytest.raises(NotAllowedError):
        accounts.add_user(store, policy, "吴刚", ("L3",), PASSWORD, operator=yang)
    with pytest.raises(NotAllowedError):  # a second bootstrap while an administrator exists
        accounts.add_user(store, policy, "吴刚", ("admin",), PASSWORD, bootstrap=True)
    with pytest.raises(NotAllowedError):  # never without an administrator left
        accounts.update_user(store, policy, "王芳", roles=("L1",), operator=admin)
    accounts.set_password(store, policy, "赵敏", "reset by the admin", operator=admin)
    with store.transaction() as conn:
        [last] = [r for r in audit.rows(conn)][-1:]
    assert (last["action"], last["actor"], last["key"]) == ("user_change", "王芳", "E007")
    assert json.loads(last["data"])["operator_id"] == "E002"
    assert problems(store) == []


def test_attack_6_people_act_through_the_service_without_the_key(tmp_path, config, policy, write_xlsx) -> None:
    state = tmp_path / "state"
    url = f"sqlite:///{state / 'dq.db'}"
    baseline, incoming, _ = write_scenario(write_xlsx)
    with service(url, state, config, policy, PEOPLE) as server:
        key_file = keys.default_key_path(url)
        assert key_file.is_file() and state not in key_file.parents
        # A folder writer plants a key of his own in the state folder: the service's key still wins.
        (state / "audit.key").write_text("ab" * 32 + "\n", encoding="ascii")
        found = keys.find_key(url, state)
        assert found.where == str(key_file) and found.key == bytes.fromhex(key_file.read_text().strip())
        # The approvers' CLI runs where the key is not readable at all (another user's config folder).
        elsewhere = {"XDG_CONFIG_HOME": str(tmp_path / "approver-home"), "DQ_LANG": "en"}
        done = run_dq("changes", "submit", incoming, "--baseline", baseline, "--user", "孙丽", "--server", server,
                      env=elsewhere, input=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
        token = run_dq("users", "token", "杨磊", "--user", "杨磊", "--server", server, env=elsewhere, input=PASSWORD + "\n")
        assert token.returncode == 0, token.stderr
        store = open_approval_store(url, state, write=False)
        try:
            credit = _request(store, policy, "C000002", "credit_limit")
        finally:
            store.close()
        approved = run_dq("approve", str(credit.id), "--role", "L2", "--server", server,
                          env={**elsewhere, "DQ_TOKEN": token.stdout.strip()})
        assert approved.returncode == 0 and "approvals present: 杨磊 (L2)" in approved.stdout, approved.stderr
        revoked = run_dq("users", "token", "杨磊", "--revoke", "--user", "王芳", "--server", server, env=elsewhere,
                         input=PASSWORD + "\n")
        assert revoked.returncode == 0, revoked.stderr
        again = run_dq("approve", str(credit.id), "--role", "L2", "--server", server,
                       env={**elsewhere, "DQ_TOKEN": token.stdout.strip()})
        assert again.returncode == 2 and "unknown, expired or ended" in again.stderr
    assert not list(Path(elsewhere["XDG_CONFIG_HOME"]).rglob("*.key"))  # the CLI never made or read a key


def test_attack_6_passwords_and_roles_from_the_command_line(tmp_path, config, policy) -> None:
    """`dq users passwd` changes one's own password with the old one, anyone's only as an administrator;
    `dq users roles` is an administrator's; each through the service, each event naming its operator."""
    state = tmp_path / "state"
    url = f"sqlite:///{state / 'dq.db'}"
    en = {"DQ_LANG": "en"}
    with service(url, state, config, policy, PEOPLE) as server:
        new = "a fresh passphrase"
        own = run_dq("users", "passwd", "杨磊", "--user", "杨磊", "--server", server, env=en,
                     input=f"{PASSWORD}\n{new}\n{new}\n")
        assert own.returncode == 0 and "New password set for 杨磊" in own.stdout, own.stderr
        other = run_dq("users", "passwd", "赵敏", "--user", "杨磊", "--server", server, env=en, input=f"{new}\n{new}\n{new}\n")
        assert other.returncode == 2 and "may change only his own password" in other.stderr
        weak = run_dq("users", "passwd", "杨磊", "--user", "杨磊", "--server", server, env=en,
                      input=f"{new}\naaaaaaaaaa\naaaaaaaaaa\n")
        assert weak.returncode == 2, weak.stderr
        grant = run_dq("users", "roles", "杨磊", "--role", "L2", "--role", "L3", "--user", "杨磊", "--server", server, env=en,
                       input=f"{new}\n")
        assert grant.returncode == 2 and "not an administrator" in grant.stderr
        granted = run_dq("users", "roles", "杨磊", "--role", "L2", "--role", "L3", "--user", "王芳", "--server", server,
                         env=en, input=f"{PASSWORD}\n")
        assert granted.returncode == 0 and "now holds L2, L3" in granted.stdout, granted.stderr
        reset = run_dq("users", "passwd", "赵敏", "--user", "王芳", "--server", server, env=en, input=f"{PASSWORD}\n{new}\n{new}\n")
        assert reset.returncode == 0, reset.stderr
    store = open_approval_store(url, state, write=False)
    try:
        with store.transaction() as conn:
            changes = [(r["actor"], r["key"]) for r in audit.rows(conn) if r["action"] == "user_change"]
        assert changes == [("杨磊", "E006"), ("王芳", "E006"), ("王芳", "E007")]
        assert problems(store) == []
    finally:
        store.close()


# --- 7. the last gaps ---------------------------------------------------------------------------


@pytest.mark.parametrize("column,value", [("source", "web"), ("comment", "ok by phone"), ("at", "2026-01-01T00:00:00")])
def test_attack_7_an_approvals_source_comment_or_date_edited_is_detected(store, policy, column: str, value: str) -> None:
    rid = workflow.submit(store, [change(tier=2)], INFO, by=SUBMITTER).created[0]
    workflow.approve(store, policy, rid, "赵敏", "L1", comment="checked", source="sheet.xlsx:审批 (entered by 郑浩)")
    raw(store, f"UPDATE approve_approvals SET {column} = '{value}'")
    assert problems(store) == ["approval_edited"]


def test_attack_7_a_trigger_replaced_by_a_no_op_of_the_same_name_is_detected(store) -> None:
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER approve_audit_no_delete")
            conn.exec_driver_sql("CREATE TRIGGER approve_audit_no_delete BEFORE DELETE ON approve_audit BEGIN SELECT 1; END")
        else:
            conn.exec_driver_sql("CREATE OR REPLACE FUNCTION approve_audit_append_only() RETURNS trigger AS $$ "
                                 "BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql")
    assert problems(store) == ["trigger_changed"]


def test_attack_7_a_short_expected_head_is_refused(store, policy) -> None:
    workflow.submit(store, [change()], INFO, by=SUBMITTER)
    seq, seal = head_parts(store)
    with pytest.raises(audit.AuditError):
        problems(store, expect_head=f"{seq}:{seal[:8]}")
    assert problems(store, expect_head=f"{seq}:{seal}") == []


def head_parts(store) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with store.transaction() as conn:
        seq, seal = audit.head(conn).split(":")
    return seq, seal


# --- the JSON API ---------------------------------------------------------------------------------


def test_the_api_describes_itself_and_acts_only_for_a_signed_in_person(store, policy, config, tmp_path) -> None:
    import httpx
    from served import Served

    from dataquality.web.app import create_app

    add_accounts(store, policy, PEOPLE)
    rid = workflow.submit(store, [change(tier=1, new="150000")], INFO, by=SUBMITTER).created[0]
    served = Served(create_app(store, policy, config, state_dir=tmp_path))
    zhao = accounts.authenticate(store, policy, "赵敏", PASSWORD)
    cookie, _ = accounts.start_session(store, zhao)
    try:
        with httpx.Client(base_url=served.url + "/api/v1") as client, \
                httpx.Client(base_url=served.url + "/api/v1", cookies={"dq_session": cookie}) as browser_like:
            spec = client.get("/openapi.json").json()
            assert {"/requests/{request_id}/approve", "/submissions", "/sheets", "/entries/{entry_id}/confirm", "/users",
                    "/users/{name}/token"} <= set(spec["paths"])
            assert {"ApproveIn", "RequestOut", "EntryOut"} <= set(spec["components"]["schemas"])
            nobody = client.get("/requests")
            assert nobody.status_code == 401 and nobody.json()["error"] == "api.sign_in_needed"
            assert nobody.headers["www-authenticate"] == 'Bearer realm="dq"'  # never a Basic challenge to a browser
            # A browser's session cookie is no credential here: no other site can act through the API
            # (without an Origin of dq's own the guard stops it; with one, the API ignores the cookie).
            assert client.post(f"/requests/{rid}/approve", json={}).status_code == 403
            assert browser_like.post(f"/requests/{rid}/approve", json={}).status_code == 403
            same_origin = browser_like.post(f"/requests/{rid}/approve", json={}, headers={"Origin": served.url})
            assert same_origin.status_code == 401
            wrong = client.post(f"/requests/{rid}/approve", json={}, auth=("赵敏", "guess"))
            assert wrong.status_code == 401 and "密码" in wrong.json()["message_zh"]
            done = client.post(f"/requests/{rid}/approve", json={"comment": "ok"}, auth=("赵敏", PASSWORD))
            assert done.status_code == 200 and done.json()["status"] == "approved"
            again = client.post(f"/requests/{rid}/approve", json={}, auth=("赵敏", PASSWORD))
            assert again.status_code == 409 and again.json()["error"] == "approve.counts_once"
            assert client.get("/users", auth=("赵敏", PASSWORD)).status_code == 403
            empty = client.post(f"/requests/{rid}/reject", json={"reason": ""}, auth=("赵敏", PASSWORD))
            assert empty.status_code == 422 and empty.json()["error"] == "api.bad_request" and "reason" in empty.json()["message"]
            assert client.get("/requests/99999999999999999999", auth=("赵敏", PASSWORD)).status_code == 422
            listed = client.get("/users", auth=("王芳", PASSWORD)).json()
            assert {u["name"] for u in listed} == {"王芳", *PEOPLE} and all(u["intact"] for u in listed)
    finally:
        served.stop()
    assert problems(store) == []


# --- a database of dq 0.2 (issue 14's keyed chain) carries on --------------------------------------


def test_a_database_of_dq_0_2_upgrades_and_keeps_its_accounts_and_decisions(db_url, policy) -> None:
    """Events written before issue 23 carry less (no submission event, no approval id, no account
    version): they still vouch for what they carry, so an upgraded database verifies and its accounts
    sign in; nothing about them is sealed anew on opening."""
    from dataquality.store import create_store_engine, migrate

    from .conftest import TEST_KEY

    engine = create_store_engine(db_url)
    migrate(engine, db_url, revision="0002")
    audit.bind_key(engine, TEST_KEY)
    at = "2026-11-30T00:00:00+00:00"
    with engine.begin() as conn:  # what dq 0.2 wrote: its rows and its events, as it shaped them
        row = {"person_id": "E007", "name": "赵敏", "roles": "L1", "password_hash": accounts._HASHER.hash(PASSWORD),
               "disabled": 0}
        conn.execute(text("INSERT INTO approve_users (person_id, name, roles, password_hash, disabled, created_at, "
                          "updated_at, mac) VALUES (:person_id, :name, :roles, :password_hash, :disabled, :at, :at, '-')"),
                     {**row, "at": at})
        row["id"] = conn.execute(text("SELECT id FROM approve_users")).scalar_one()
        conn.execute(text("UPDATE approve_users SET mac = :mac"), {"mac": accounts._user_mac(TEST_KEY, row)})
        audit.append(conn, "user_add", actor="赵敏", comment="赵敏 (E007): L1", data={"person_id": "E007", "roles": "L1"})
        conn.execute(db.submissions.insert().values(at=at, by="王芳", incoming_path="in.xlsx", incoming_sha256="0",
                                                    baseline_path="b.xlsx", baseline_sha256="0", entities="customer"))
        conn.execute(db.requests.insert().values(submission_id=1, entity="customer", key="C000001",
                                                 field="credit_limit", kind="change", old_value="100000", new_value="700000",
                                                 old_norm="100000", new_norm="700000", tier=2, requested_by="李娜",
                                                 status="pending", created_at=at, updated_at=at, version=1))
        audit.append(conn, "request", actor="李娜", request_id=1, entity="customer", key="C000001", field="credit_limit",
                     data={"kind": "change", "tier": 2, "new_value": "700000", "new_norm": "700000",
                           "requested_by": "李娜", "status": "pending"})
        conn.execute(db.approvals.insert().values(request_id=1, approver="赵敏", role="L1", decision="approved",
                                                  value_norm="700000", comment=None, at=at, source="cli"))
        audit.append(conn, "approve", actor="赵敏", role="L1", request_id=1, entity="customer", key="C000001",
                     field="credit_limit", data={"role": "L1", "value_norm": "700000", "status": "pending", "source": "cli"})
    engine.dispose()
    store = open_store(db_url)
    audit.bind_key(store.engine, TEST_KEY)
    try:
        assert problems(store) == []
        zhao = accounts.authenticate(store, policy, "赵敏", PASSWORD)
        accounts.add_user(store, policy, "王芳", ("admin",), PASSWORD, bootstrap=True)  # 0.2 had no administrator
        admin = accounts.authenticate(store, policy, "王芳", PASSWORD)
        accounts.add_user(store, policy, "杨磊", ("L2",), PASSWORD, operator=admin)
        assert workflow.approve(store, policy, 1, "杨磊", "L2").status == "approved"
        accounts.set_password(store, policy, "赵敏", "a new passphrase", operator=zhao, old_password=PASSWORD)
        assert accounts.authenticate(store, policy, "赵敏", "a new passphrase").person_id == "E007"
        assert problems(store) == []
    finally:
        store.close()


def test_the_guard_lets_a_signed_upload_through_as_large_as_a_master(store, policy, config, tmp_path) -> None:
    """The inbox's 64 KiB body limit would refuse a change set's workbooks: the API's two upload routes
    take a declared length up to 512 MiB, streamed; anything else stays at 64 KiB."""
    import base64
    import http.client

    from served import Served

    from dataquality.web.app import create_app

    served = Served(create_app(store, policy, config, state_dir=tmp_path))
    basic = "Basic " + base64.b64encode("王芳:guess".encode()).decode()

    def post(path: str, headers: dict[str, str], body: bytes | None = None) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", int(served.url.rsplit(":", 1)[1]), timeout=60)
        try:
            conn.putrequest("POST", path)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders(body)
            return conn.getresponse().status
        finally:
            conn.close()

    big = b"x" * 200_000
    try:
        typed = {"Authorization": basic, "Content-Type": "multipart/form-data; boundary=b"}
        assert post("/api/v1/submissions", {**typed, "Content-Length": str(len(big))}, big) not in (411, 413)
        assert post("/api/v1/requests/1/approve", {**typed, "Content-Length": str(len(big))}, big) == 413
        assert post("/api/v1/sheets", {**typed, "Content-Length": str(600 * 1024 * 1024)}) == 413
        assert post("/api/v1/sheets", {**typed, "Transfer-Encoding": "chunked"}, b"0\r\n\r\n") == 411
    finally:
        served.stop()
