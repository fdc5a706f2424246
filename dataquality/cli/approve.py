"""Tiered approval, the approver side (issues 4, 14 and 23): dq approvals [list|entries|import|confirm|
decline], dq approve, dq reject, dq audit [verify|export|seal-legacy], dq users [add|passwd|roles|token|
list|bootstrap].

Reading commands find their database as `dq check` does (options.state_options). Every command by
which a person decides or manages accounts acts through `dq serve` signed in (cli/service.py): the
service holds the audit key, people do not. The key holder's own commands (`dq users bootstrap`,
`dq audit seal-legacy`) open the database with the key here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dataquality.cli.options import (
    REQUEST_ID,
    config_option,
    format_option,
    handle_errors,
    lang_option,
    optional_project,
    out_option,
    print_table,
    state_options,
    workspace,
)
from dataquality.cli.service import connect, read_password, service_options, upload
from dataquality.i18n import text
from dataquality.terminal import echo, echo_json


def _policy() -> Any:
    """The approval policy of the command's project (to refuse an unknown role before a password)."""
    from dataquality.approve.tiers import ApprovalPolicy
    from dataquality.track.workspace import configuration

    return ApprovalPolicy.load(config=configuration(optional_project()))


def _echo_request(d: dict[str, Any], lang: str) -> None:
    none = text("approve.nothing", lang)
    echo(text("approve.done", lang, id=d["id"], status=text(f"changes.status.{d['status']}", lang),
                    present=", ".join(d["present"]) or none, missing=", ".join(d["missing"]) or none))


# --- dq approvals ------------------------------------------------------------------------------------

@click.group()
def approvals() -> None:
    """Change requests and their approvals: list them; enter an approvals sheet; confirm its lines."""


@approvals.command("list")
@click.option("--pending", is_flag=True, help="Only requests still waiting for approval.")
@click.option("--role", default=None, help="Only pending requests still missing this role (L1, L2, L3 or 部门经理/财务总监/总经理).")
@click.option("--entity", default=None, help="Only requests of this entity (customer, product).")
@format_option(["console", "json"], "console", "console (a table) or json.", json_alias=True)
@state_options
@lang_option
@handle_errors
def approvals_list(pending: bool, role: str | None, entity: str | None, fmt: str, config_path: Path | None,
                   db: str | None, state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """List change requests with tier, required roles, approvals present and status."""
    from dataquality.approve.commands import view_dict
    from dataquality.approve.workflow import list_requests
    from dataquality.report.json_report import encode

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open(read_only=True) as store:
        found = list_requests(store, ws.policy, pending=pending, role=role, entity=entity)
    if fmt == "json":
        echo_json(encode([view_dict(v, lang) for v in found]))
        return
    if not found:
        echo(text("approvals.none", lang))
        return
    stale = text("approvals.stale", lang)
    cols = ["id", "entity", "key", "field", "old", "new", "tier", "requester", "submitter", "required", "present", "missing", "status"]
    print_table(text("approvals.title", lang, n=len(found)), [text(f"changes.col.{c}", lang) for c in cols], [
        [v.id, v.entity, v.key, v.field, v.old, v.new, v.tier, v.requested_by, v.submitted_by, ", ".join(v.required),
         ", ".join([f"{p} ({r})" for p, r in v.present] + [f"{p} ({r}, {stale})" for p, r in v.stale]),
         ", ".join(v.missing), text(f"changes.status.{v.status}", lang)] for v in found])


@approvals.command("entries")
@format_option(["console", "json"], "console", "console (a table) or json.", json_alias=True)
@state_options
@lang_option
@handle_errors
def approvals_entries(fmt: str, config_path: Path | None, db: str | None, state_dir: Path | None,
                      schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """List approvals-sheet lines still awaiting the named approver's confirmation."""
    from dataquality.approve.entries import list_entries
    from dataquality.report.json_report import encode

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open(read_only=True) as store:
        found = list_entries(store)
    if fmt == "json":
        echo_json(encode([e.__dict__ for e in found]))
        return
    if not found:
        echo(text("entries.none", lang))
        return
    cols = ["entry", "id", "entity", "key", "field", "new", "approver", "role", "decision", "date"]
    print_table(text("entries.title", lang, n=len(found)), [text(f"entries.col.{c}", lang) for c in cols], [
        [e.id, e.request_id, e.entity, e.key, e.field, e.new, e.approver, e.role,
         text(f"entries.decision_{e.decision}", lang), e.decided_at] for e in found])


@approvals.command("import")
@click.argument("sheet", type=click.Path(path_type=Path, dir_okay=False))
@service_options
@config_option
@lang_option
@handle_errors
def approvals_import(sheet: Path, user: str | None, server: str | None, config_path: Path | None, lang: str) -> None:
    """Enter an approvals sheet's lines (entity, key, field, new value, approver, role, decision, date)
    through dq serve, signed in as the importer: each line then waits until the approver it names
    confirms it (dq approvals confirm, or the web inbox); refused lines are listed."""
    name, fh = upload(sheet)  # a missing file is said before any password is asked
    with fh:
        client, _ = connect(server, user, lang)
        with client:
            outcomes = client.call("POST", "/sheets", files={"sheet": (name, fh)})
    for o in outcomes:
        # A parameter given per language ({"en": ..., "zh": ...}) is shown in this command's language.
        params = {k: v[lang] if isinstance(v, dict) and lang in v else v for k, v in o["params"].items()}
        line = text("sheet.line", lang, row=o["row"], id=o["request"] or "-", text=text(o["key"], lang, **params))
        echo(("  " if o["entered"] else "! ") + line)
    refused = sum(1 for o in outcomes if not o["entered"])
    echo(text("sheet.entered_summary", lang, ok=len(outcomes) - refused, refused=refused))


@approvals.command("confirm")
@click.argument("entry_id", type=REQUEST_ID)
@service_options
@config_option
@lang_option
@handle_errors
def approvals_confirm(entry_id: int, user: str | None, server: str | None, config_path: Path | None, lang: str) -> None:
    """Confirm approvals-sheet line ENTRY_ID that names you: it becomes your approval or rejection."""
    client, _ = connect(server, user, lang)
    with client:
        _echo_request(client.call("POST", f"/entries/{entry_id}/confirm"), lang)


@approvals.command("decline")
@click.argument("entry_id", type=REQUEST_ID)
@click.option("--reason", default=None, help="Why the line is not your decision (kept in the audit log).")
@service_options
@config_option
@lang_option
@handle_errors
def approvals_decline(entry_id: int, reason: str | None, user: str | None, server: str | None,
                      config_path: Path | None, lang: str) -> None:
    """Decline approvals-sheet line ENTRY_ID that names you: it closes without counting."""
    client, _ = connect(server, user, lang)
    with client:
        client.call("POST", f"/entries/{entry_id}/decline", json={"reason": reason})
    echo(text("entries.declined", lang, id=entry_id))


# --- dq approve / dq reject ----------------------------------------------------------------------------

@click.command()
@click.argument("request_id", type=REQUEST_ID)
@service_options
@click.option("--role", default=None, help="The level approved as: L1, L2, L3 (or 部门经理 / 财务总监 / 总经理); default: your account's only role.")
@click.option("--comment", default=None, help="A note kept in the audit log.")
@config_option
@lang_option
@handle_errors
def approve(request_id: int, user: str | None, server: str | None, role: str | None, comment: str | None,
            config_path: Path | None, lang: str) -> None:
    """Approve change request ID at one level, signed in as --user through dq serve (your password is asked)."""
    from dataquality.approve import acting

    acting.known_role(_policy(), role)
    client, _ = connect(server, user, lang)
    with client:
        _echo_request(client.call("POST", f"/requests/{request_id}/approve", json={"role": role, "comment": comment}), lang)


@click.command()
@click.argument("request_id", type=REQUEST_ID)
@service_options
@click.option("--reason", required=True, help="Why (kept in the audit log and the held-back sheet).")
@click.option("--role", default=None, help="The level rejecting (default: your account's only role).")
@config_option
@lang_option
@handle_errors
def reject(request_id: int, user: str | None, server: str | None, reason: str, role: str | None,
           config_path: Path | None, lang: str) -> None:
    """Reject change request ID, signed in as --user through dq serve: final; the change never reaches the master."""
    from dataquality.approve import acting

    acting.known_role(_policy(), role)
    client, _ = connect(server, user, lang)
    with client:
        _echo_request(client.call("POST", f"/requests/{request_id}/reject", json={"reason": reason, "role": role}), lang)


# --- dq audit ------------------------------------------------------------------------------------------

@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log of requests, approvals, rejections and applies."""


@audit.command("verify")
@click.option("--expect-head", default=None, metavar="SEQ:SEAL",
              help="The head printed by an earlier dq check or dq audit verify: fail if the log no longer reaches it (truncated, rolled back, deleted).")
@state_options
@lang_option
@handle_errors
def audit_verify(expect_head: str | None, config_path: Path | None, db: str | None, state_dir: Path | None,
                 schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Check the keyed chain, the state tables against it and the triggers; exit 1 and name every problem."""
    from dataquality.approve import audit as audit_log
    from dataquality.approve.commands import audit_head, head_line

    if expect_head is not None:
        audit_log.parse_head(expect_head)
    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open(read_only=True, write=False) as store:
        with store.transaction() as conn:
            count, problems = audit_log.verify(conn, expect_head=expect_head)
        echo(head_line(audit_head(store).head, lang))
    if not problems:
        echo(text("audit.ok", lang, n=count))
        return
    echo(text("audit.bad", lang, n=len(problems), rows=count))
    for p in problems:
        echo("  " + p.message(lang))
    sys.exit(1)


@audit.command("export")
@out_option("file", "an .xlsx or .csv file.", required=True)
@state_options
@lang_option
@handle_errors
def audit_export(out: Path, config_path: Path | None, db: str | None, state_dir: Path | None,
                 schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Write the whole audit log to an .xlsx or .csv file."""
    from dataquality.approve import audit as audit_log

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open(read_only=True, write=False) as store, store.transaction() as conn:
        n = audit_log.export(conn, out)
    echo(text("audit.exported", lang, n=n, file=out))


@audit.command("seal-legacy")
@click.option("--expect-head", required=True, metavar="SEQ:HASH",
              help="The head of the dq 0.1 log you checked (its last row's number and hash, 16 hex digits at least).")
@state_options
@lang_option
@handle_errors
def audit_seal_legacy(expect_head: str, config_path: Path | None, db: str | None, state_dir: Path | None,
                      schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Seal the rows of a dq 0.1 log with the audit key, as the key holder, naming the exact log you checked."""
    from dataquality.approve import audit as audit_log
    from dataquality.approve.stores import open_for_sealing, seal_legacy

    audit_log.parse_head(expect_head)
    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with open_for_sealing(ws.url, ws.state_dir) as store:
        head = seal_legacy(store, expect_head, operator=_key_holder())
    echo(text("audit.sealed_legacy", lang, head=head))


def _key_holder() -> str:
    import getpass

    try:
        return f"key holder ({getpass.getuser()})"
    except (KeyError, OSError):
        return "key holder"


# --- dq users -------------------------------------------------------------------------------------------

@click.group()
def users() -> None:
    """Sign-in accounts: one per person of the staff list, with the roles they hold (admin manages them)."""


def _new_password(lang: str, name: str) -> str:
    return read_password(text("accounts.new_password_prompt", lang, name=name), lang, text("accounts.repeat_prompt", lang))


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True,
              help="A role: L1, L2, L3, admin or clerk (imports on the desk of dq serve; repeat for several); none: an account that only submits changes.")
@service_options
@config_option
@lang_option
@handle_errors
def users_add(name: str, roles: tuple[str, ...], user: str | None, server: str | None, config_path: Path | None,
              lang: str) -> None:
    """Create the account of NAME (a person of the staff list), signed in as an administrator through
    dq serve. Asked: your password (unless DQ_TOKEN), then NAME's new password twice."""
    client, _ = connect(server, user, lang)
    with client:
        password = _new_password(lang, name)
        acc = client.call("POST", "/users", json={"name": name, "roles": list(roles), "password": password})
    echo(text("accounts.added", lang, name=acc["name"], id=acc["person_id"], roles=", ".join(acc["roles"]) or "-"))


@users.command("passwd")
@click.argument("name")
@service_options
@config_option
@lang_option
@handle_errors
def users_passwd(name: str, user: str | None, server: str | None, config_path: Path | None, lang: str) -> None:
    """Set a new password for NAME's account: your own (signed in with the current one), or anyone's
    as an administrator. Asked: your password, then the new one twice; the account's sessions end."""
    client, used = connect(server, user or name, lang)
    with client:
        me = client.call("GET", "/me")
        old = used
        own = _same(me, name)
        if own and old is None:  # signed in by token: the old password is still needed
            old = read_password(text("accounts.old_password_prompt", lang, name=name), lang)
        password = _new_password(lang, name)
        acc = client.call("PUT", f"/users/{name}/password", json={"new_password": password, "old_password": old if own else None})
    echo(text("accounts.password_set", lang, name=acc["name"]))


def _same(me: dict[str, Any], name: str) -> bool:
    from dataquality.approve.people import clean_name

    return clean_name(name) in (clean_name(me["name"]), clean_name(me["person_id"]))


@users.command("roles")
@click.argument("name")
@click.option("--role", "roles", multiple=True, help="The roles the account holds from now on (repeat).")
@click.option("--disable/--enable", "disabled", default=None, help="Disable (or enable again) the account.")
@service_options
@config_option
@lang_option
@handle_errors
def users_roles(name: str, roles: tuple[str, ...], disabled: bool | None, user: str | None, server: str | None,
                config_path: Path | None, lang: str) -> None:
    """Change the roles of NAME's account, or disable it, as an administrator through dq serve; its sessions end."""
    client, _ = connect(server, user, lang)
    with client:
        acc = client.call("PATCH", f"/users/{name}", json={"roles": list(roles) or None, "disabled": disabled})
    echo(text("accounts.changed", lang, name=acc["name"], roles=", ".join(acc["roles"]) or "-"))


@users.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="End NAME's token (yours, or anyone's as an administrator) instead.")
@click.option("--days", type=click.FloatRange(0.01, 366), default=90, show_default=True, help="How long the token is valid.")
@service_options
@config_option
@lang_option
@handle_errors
def users_token(name: str, revoke: bool, days: float, user: str | None, server: str | None, config_path: Path | None,
                lang: str) -> None:
    """Make your personal API token (printed once; set it as DQ_TOKEN to act without a password prompt).
    A new token replaces the previous one and ends your sessions."""
    client, _ = connect(server, user or name, lang)
    with client:
        if revoke:
            acc = client.call("DELETE", f"/users/{name}/token")
            echo(text("accounts.token_revoked", lang, name=acc["name"]))
            return
        made = client.call("POST", f"/users/{name}/token", json={"days": days})
    echo(made["token"])
    echo(text("accounts.token_made", lang, days=f"{days:g}", env="DQ_TOKEN"), err=True)


@users.command("list")
@state_options
@lang_option
@handle_errors
def users_list(config_path: Path | None, db: str | None, state_dir: Path | None, schemas_dir: Path | None,
               rules_dir: Path | None, lang: str) -> None:
    """List the accounts with their roles; where the key is at hand, an account changed outside dq is marked."""
    from dataquality.approve.accounts import list_users

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open(read_only=True, write=False) as store:
        found = list_users(store)
    if not found:
        echo(text("accounts.none", lang))
    for u in found:
        flags = [text("accounts.disabled", lang)] if u["disabled"] else []
        flags += [text("accounts.tampered_flag", lang)] if u["sealed"] is False else []
        echo(f"{u['name']} ({u['person_id']}): {u['roles'] or '-'}" + (f"  [{', '.join(flags)}]" if flags else ""))


@users.command("bootstrap")
@click.argument("name")
@state_options
@lang_option
@handle_errors
def users_bootstrap(name: str, config_path: Path | None, db: str | None, state_dir: Path | None,
                    schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Make NAME the first administrator of a database that has none, as the key holder (where dq serve
    runs, as its user); the password is asked twice. dq init does this for a new project."""
    from dataquality.approve.accounts import ADMIN, add_user

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    person = ws.policy.directory().person(name)
    password = _new_password(lang, person.name)
    with ws.open() as store:
        acc = add_user(store, ws.policy, person.id, (ADMIN,), password, bootstrap=True)
    echo(text("accounts.added", lang, name=acc.name, id=acc.person_id, roles=", ".join(acc.roles)))


def register(main: click.Group) -> None:
    for command in (approvals, approve, reject, audit, users):
        main.add_command(command)
