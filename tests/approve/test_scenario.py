"""The issue's acceptance scenario end to end: tiers, statuses after the approvals sheet, the master."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from dq_cli import run_dq
from openpyxl import load_workbook

from dataquality.approve import audit, workflow
from dataquality.approve.accounts import Account
from dataquality.approve.apply import apply, sha256_of
from dataquality.approve.changes import load_change_set
from dataquality.approve.issues import approval_issues
from dataquality.approve.sheet import import_sheet
from dataquality.approve.workflow import decide_for_changes
from dataquality.load import load_file
from dataquality.paths import default_rules_dir
from dataquality.pipeline import Approval, run

from .scenario import (
    APPROVALS_HEADER,
    APPROVERS,
    EXPECTED,
    FREE,
    SUBMITTER,
    TODAY,
    confirm_entries,
    write_scenario,
)

# The sheet's importer (an L2 account) and a policy letting sheets carry tier 3, as the scenario's
# paper sheet does; by default tier 3 must be approved by signing in (test_trust.py).
IMPORTER = Account(0, "E012", "郑浩", ("L2",))


def sheet_policy(policy):  # type: ignore[no-untyped-def]
    return replace(policy, import_max_tier=3)

ROOT = Path(__file__).resolve().parents[2]


def submit_scenario(store, policy, config, write_xlsx):  # type: ignore[no-untyped-def]
    baseline, incoming, sheet = write_scenario(write_xlsx)
    changes, _, _ = load_change_set(incoming, baseline, config, policy)
    info = {"incoming_path": str(incoming), "incoming_sha256": sha256_of(incoming), "baseline_path": str(baseline),
            "baseline_sha256": sha256_of(baseline)}
    workflow.submit(store, changes, info, by=SUBMITTER, directory=policy.people)
    return baseline, incoming, sheet, changes


def sheet_decided(store, policy, config, sheet) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """The scenario's sheet entered by the importer and each line confirmed by its approver: sheet row
    -> the rule that refused it (at entry, or at confirmation)."""
    outcomes = import_sheet(store, sheet_policy(policy), config, sheet, importer=IMPORTER)
    refused = {o.row: o.key for o in outcomes if not o.ok}
    row_of = {o.params["entry"]: o.row for o in outcomes if o.ok}
    refused.update({row_of[entry]: key for entry, key in confirm_entries(store, policy).items()})
    return refused


def test_change_set_has_the_spec_tiers(config, policy, write_xlsx) -> None:
    baseline, incoming, _ = write_scenario(write_xlsx)
    changes, _, _ = load_change_set(incoming, baseline, config, policy)
    got = {c.ident: (c.kind, c.tier) for c in changes}
    assert {k: v for k, v in got.items() if v[1] > 0} == {k: (kind, tier) for k, (kind, tier, _, _) in EXPECTED.items()}
    assert {k for k, v in got.items() if v[1] == 0} == FREE
    # Only-reformatted values (C000006, FG000004) are no change at all.
    assert not [c for c in changes if c.key in ("C000006", "FG000004")]
    by = {c.ident: c for c in changes}
    assert by[("customer", "C000001", "credit_limit")].requested_by == "李娜"
    assert by[("customer", "C000007", "*")].requested_by is None
    cell = by[("customer", "C000003", "credit_limit")]
    assert (cell.old, cell.new, cell.row, cell.column, cell.sheet) == ("300000", "2,300,000", 4, "I", "客户主数据")


def test_sheet_decisions_give_the_spec_statuses(store, config, policy, write_xlsx) -> None:
    _, _, sheet, changes = submit_scenario(store, policy, config, write_xlsx)
    outcomes = import_sheet(store, sheet_policy(policy), config, sheet, importer=IMPORTER)
    # Entering only records the lines: nothing counts until each approver confirms his own.
    assert decide_for_changes(store, policy, changes)[("customer", "C000003", "credit_limit")].present == ()
    assert sorted((o.row, o.key) for o in outcomes if not o.ok) == [(2, "approve.self")]
    refused = confirm_entries(store, policy)
    row_of = {o.params["entry"]: o.row for o in outcomes if o.ok}
    assert sorted((row_of[e], k) for e, k in refused.items()) == [(4, "approve.counts_once"), (9, "approve.closed_rejected")]
    states = decide_for_changes(store, policy, changes)
    got = {k: (v.kind, v.tier, v.status, v.missing) for k, v in states.items()}
    assert got == EXPECTED


def test_apply_writes_the_right_master(store, config, policy, write_xlsx, tmp_path) -> None:
    baseline, incoming, sheet, _ = submit_scenario(store, policy, config, write_xlsx)
    sheet_decided(store, policy, config, sheet)
    out = tmp_path / "out" / "master.xlsx"
    res = apply(store, policy, config, out, incoming, baseline, by="王芳")
    wb = load_workbook(out)
    customers = {r[0]: r for r in wb["客户主数据"].iter_rows(min_row=2, values_only=True)}
    products = {r[0]: r for r in wb["产品主数据"].iter_rows(min_row=2, values_only=True)}
    assert list(customers) == ["C000001", "C000002", "C000003", "C000004", "C000005", "C000006", "C000008"]
    credit, bank, sales, addr = 8, 10, 4, 7
    assert [customers[k][credit] for k in ("C000001", "C000002", "C000003")] == [100000, 200000, 2300000]
    assert customers["C000004"][bank] == "6222000000000004"  # rejected: the baseline value stays
    assert customers["C000005"][sales] == "孙丽" and customers["C000005"][addr] == "上海市闵行区5号"
    # Only reformatted: the master keeps its own text.
    assert customers["C000006"][1:3] == ("上海己公司", "企业") and customers["C000006"][6] == "13800000006"
    # New record: approved fields in, pending sensitive ones empty.
    assert (customers["C000008"][credit], customers["C000008"][3], customers["C000008"][sales], customers["C000008"][bank]) == (50000, "C", None, None)
    assert [products[k][5] for k in ("FG000001", "FG000002", "FG000003", "FG000004", "FG000005")] == [103, 100, 140, 1000, None]
    held = list(wb["held back"].iter_rows(min_row=2, values_only=True))
    assert {(h[0], h[1], h[2], h[7]) for h in held} == {
        (e, k, f, status) for (e, k, f), (_, _, status, _) in EXPECTED.items() if status not in ("approved",)
    }
    assert len(res.applied) == sum(1 for v in EXPECTED.values() if v[2] == "approved")
    # Applied requests take no more decisions; the audit chain holds.
    c3 = next(v for v in workflow.list_requests(store, policy) if v.key == "C000003")
    assert c3.status == "applied"
    try:
        workflow.approve(store, policy, c3.id, "孙丽", "L1")
        raise AssertionError("approving an applied request must be refused")
    except workflow.WorkflowError as exc:
        assert exc.key == "approve.closed_applied"
    with store.transaction() as conn:
        assert audit.verify(conn)[1] == []
    # Applying again is idempotent: the same master.
    again = apply(store, policy, config, tmp_path / "again.xlsx", incoming, baseline)
    assert again.applied == () and again.records == res.records


def test_unapproved_changes_are_error_issues(store, config, policy, write_xlsx) -> None:
    baseline, incoming, sheet, _ = submit_scenario(store, policy, config, write_xlsx)
    sheet_decided(store, policy, config, sheet)
    tables, base = load_file(incoming, config), load_file(baseline, config)
    issues = approval_issues(tables, base, store, config, policy)
    got = {(i.entity, i.key, i.field or "*") for i in issues}
    assert got == {k for k, v in EXPECTED.items() if v[2] != "approved"}
    i = next(i for i in issues if i.key == "C000002")
    assert (i.rule, i.severity.value, i.row, i.column, i.sheet, i.value) == ("APR001", "error", 3, "I", "客户主数据", "700000")
    assert i.message("en") == "Credit limit changed: '200000' -> '700000' (tier 2), missing approval by L2 finance director."
    assert "财务总监" in i.message("zh")
    r = next(i for i in issues if i.key == "C000004")
    assert r.message("en").endswith("rejected by 赵敏: rejected in the approvals sheet.")


def test_validate_without_database_reports_every_sensitive_change(config, write_xlsx, tmp_path, monkeypatch) -> None:
    baseline, incoming, _ = write_scenario(write_xlsx)
    monkeypatch.chdir(tmp_path)  # no .dq here: nothing approved, and validate must not create one
    result = run(config, [incoming], approval=Approval((baseline,)))
    apr = [i for i in result.issues if i.rule == "APR001"]
    assert len(apr) == len(EXPECTED)
    assert len(result.changes) == len(EXPECTED) + len(FREE)
    assert not (tmp_path / ".dq").exists()


def dq(cwd: Path, *args: str, input: str | None = None, server: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"DQ_LANG": "en", "DQ_DB": None, "DQ_AUDIT_KEY": None, "DQ_AUDIT_KEY_FILE": None, "DQ_USER": None,
           "DQ_SERVER": server, "DQ_TOKEN": None}
    return run_dq(*args, cwd=cwd, env=env, input=input)


PASSWORD = "correct horse battery"


def sheet_rules(tmp_path: Path) -> Path:
    """A copy of the shipped rules whose approval.yaml lets an L2 import sheets up to tier 3."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "approval.yaml"
    shipped = path.read_text(encoding="utf-8")
    assert "sheet_import: {roles: [L2], max_tier: 2}" in shipped
    path.write_text(shipped.replace("max_tier: 2}", "max_tier: 3}"), encoding="utf-8")
    return rules


def test_cli_scenario(write_xlsx, tmp_path) -> None:
    """The scenario from the command line: every person signs in and acts through dq serve, which
    holds the key; the CLI never reads it."""
    from served import service

    from dataquality.approve.tiers import ApprovalPolicy
    from dataquality.config import Config

    baseline, incoming, sheet = write_scenario(write_xlsx)
    rules_dir = sheet_rules(tmp_path)
    rules = ["--rules", str(rules_dir)]
    shown = dq(tmp_path, "changes", incoming.name, "--baseline", baseline.name, "--format", "json", *rules)
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    assert {(r["entity"], r["key"], r["field"]): r["tier"] for r in rows if r["tier"]} == {k: v[1] for k, v in EXPECTED.items()}
    assert not (tmp_path / ".dq").exists()  # showing never creates the database
    # Without the service nothing is submitted, and the CLI says so instead of reaching for the key.
    down = dq(tmp_path, "changes", "submit", incoming.name, "--baseline", baseline.name, "--user", SUBMITTER,
              server="http://127.0.0.1:9", input=PASSWORD + "\n")
    assert down.returncode == 2 and "No dq serve answers at http://127.0.0.1:9" in down.stderr, down.stderr
    config = Config.load(None, rules_dir)
    state = tmp_path / ".dq"
    with service(f"sqlite:///{state / 'dq.db'}", state, config, ApprovalPolicy.load(config=config), {"王芳": ()}) as url:
        assert not (state / "audit.key").exists()  # the key is the service's, outside the project
        submitted = dq(tmp_path, "changes", "submit", incoming.name, "--baseline", baseline.name, "--user", SUBMITTER,
                       server=url, input=PASSWORD + "\n")
        assert submitted.returncode == 0 and "Submission 1" in submitted.stdout, submitted.stdout + submitted.stderr
        for name, roles in (*APPROVERS.items(), ("李娜", ("L1",)), ("郑浩", ("L2",))):
            added = dq(tmp_path, "users", "add", name, *[w for r in roles for w in ("--role", r)], "--user", "王芳",
                       server=url, input=f"{PASSWORD}\n{PASSWORD}\n{PASSWORD}\n")
            assert added.returncode == 0, added.stderr
        not_admin = dq(tmp_path, "users", "add", "孙丽", "--role", "L1", "--user", "郑浩", server=url,
                       input=f"{PASSWORD}\n{PASSWORD}\n{PASSWORD}\n")
        assert not_admin.returncode == 2 and "not an administrator" in not_admin.stderr
        imported = dq(tmp_path, "approvals", "import", sheet.name, "--user", "郑浩", server=url, input=PASSWORD + "\n")
        assert imported.returncode == 0 and "1 refused" in imported.stdout, imported.stdout + imported.stderr
        ghost = write_xlsx("ghost.xlsx", {"审批": [APPROVALS_HEADER, ["customer", "C000002", "credit_limit", "700000", "Mallory",
                                                                      "L1", "", "approved", TODAY]]})
        zh = run_dq("approvals", "import", ghost, "--user", "郑浩", "--lang", "zh", cwd=tmp_path,
                    env={"DQ_SERVER": url}, input=PASSWORD + "\n")
        assert zh.returncode == 0 and "审批人必须是名单中的人员" in zh.stdout, zh.stdout + zh.stderr
        waiting = json.loads(dq(tmp_path, "approvals", "entries", "--format", "json", *rules).stdout)
        for entry in waiting:
            confirmed = dq(tmp_path, "approvals", "confirm", str(entry["id"]), "--user", entry["approver"], server=url,
                           input=PASSWORD + "\n")
            assert confirmed.returncode in (0, 2), confirmed.stderr
        listed = json.loads(dq(tmp_path, "approvals", "list", "--role", "L2", "--format", "json", *rules).stdout)
        assert {(r["key"], r["field"]) for r in listed} == {(k, f) for (_, k, f), v in EXPECTED.items() if v[2] == "pending" and "L2" in v[3]}
        own = dq(tmp_path, "approve", "1", "--user", "李娜", "--role", "L1", server=url, input=PASSWORD + "\n")
        assert own.returncode == 2 and "cannot approve" in own.stderr and "Traceback" not in own.stderr
        wrong = dq(tmp_path, "approve", "1", "--user", "赵敏", "--role", "L1", server=url, input="guess\n")
        assert wrong.returncode == 2 and "Wrong name or password" in wrong.stderr
        empty = dq(tmp_path, "approve", "1", "--user", "赵敏", "--role", "L1", server=url, input="")
        assert empty.returncode == 2 and "no password was given" in empty.stderr, empty.stderr
        ok = dq(tmp_path, "approve", "1", "--user", "赵敏", "--role", "部门经理", "--comment", "checked", server=url,
                input=PASSWORD + "\n")
        assert ok.returncode == 0 and "approved" in ok.stdout, ok.stderr
        rej = dq(tmp_path, "reject", "2", "--user", "杨磊", "--reason", "too high", server=url, input=PASSWORD + "\n")
        assert rej.returncode == 0 and "rejected" in rej.stdout, rej.stderr
        validated = dq(tmp_path, "validate", incoming.name, "--baseline", baseline.name, "-f", "json", "-q", *rules)
        apr = [i for i in json.loads(validated.stdout)["issues"] if i["rule"] == "APR001"]
        assert validated.returncode == 1 and len(apr) == sum(1 for v in EXPECTED.values() if v[2] != "approved") - 1
        # dq apply runs where the key is (the service's user): it applies the submitted files the service kept.
        applied = dq(tmp_path, "apply", "--out", "new-master.xlsx", *rules)
        assert applied.returncode == 0, applied.stderr
    master = {r[0]: r for r in load_workbook(tmp_path / "new-master.xlsx")["客户主数据"].iter_rows(min_row=2, values_only=True)}
    assert master["C000001"][8] == 150000 and master["C000002"][8] == 200000
    verified = dq(tmp_path, "audit", "verify", *rules)
    assert verified.returncode == 0, verified.stdout
    head = verified.stdout.split("Audit head: ")[1].split()[0]
    assert dq(tmp_path, "audit", "verify", "--expect-head", head, *rules).returncode == 0
    exported = dq(tmp_path, "audit", "export", "--out", "audit.xlsx", *rules)
    assert exported.returncode == 0
    log = list(load_workbook(tmp_path / "audit.xlsx")["audit"].iter_rows(min_row=2, values_only=True))
    assert {r[2] for r in log} == {"submit", "request", "enter", "confirm", "approve", "reject", "apply", "user_add"}
    # The submitted file changed on the submitter's disk afterwards: the service kept its own copy.
    incoming.write_bytes(incoming.read_bytes() + b"\0")
    again = dq(tmp_path, "apply", "--out", "x.xlsx", *rules)
    assert again.returncode == 0, again.stderr
    # The copy the service kept changed: apply refuses instead of guessing.
    [kept] = [p for p in (state / "submitted").rglob("incoming.xlsx")]
    kept.write_bytes(kept.read_bytes() + b"\0")
    stale = dq(tmp_path, "apply", "--out", "y.xlsx", *rules)
    assert stale.returncode == 2 and "changed since submission" in stale.stderr


def test_nothing_approved_keeps_the_master(store, config, policy, write_xlsx, tmp_path) -> None:
    baseline, incoming, _, _ = submit_scenario(store, policy, config, write_xlsx)
    out = tmp_path / "m.xlsx"
    res = apply(store, policy, config, out, incoming, baseline)
    assert res.applied == () and len(res.held) == len(EXPECTED)
    wb, base = load_workbook(out), load_workbook(baseline)
    got = {r[0]: r for r in wb["客户主数据"].iter_rows(min_row=2, values_only=True)}
    want = {r[0]: r for r in base["客户主数据"].iter_rows(min_row=2, values_only=True)}
    assert set(got) == set(want) | {"C000008"}  # the deletion waits; the new record enters without its sensitive values
    assert got["C000007"][:8] == want["C000007"][:8]
    assert got["C000005"][7] == "上海市闵行区5号"  # tier 0: applied without approval
    assert got["C000005"][4] == "王芳"  # the salesperson change waits
