"""Tiered approval, the approver side (issues 4 and 14): dq approvals [list|import], dq approve,
dq reject, dq audit [verify|export], dq users [add|passwd|roles|list].

Every command here finds its database as `dq check` does (options.state_options): -c/--config, else
the nearest dq.yaml, else .dq/ in the current folder; --db/--state-dir override."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dataquality.cli.options import (
    REQUEST_ID,
    USER_OPTION,
    format_option,
    handle_errors,
    lang_option,
    out_option,
    print_table,
    state_options,
    workspace,
)
from dataquality.i18n import text
from dataquality.terminal import echo, echo_json


def sign_in(store: Any, policy: Any, user: str, lang: str) -> Any:
    """The signed-in account of --user: the password is read from the terminal (or one line of stdin)."""
    from dataquality.approve.accounts import authenticate

    password = click.prompt(text("accounts.password_prompt", lang, name=user), hide_input=True, err=True,
                            default="", show_default=False)
    return authenticate(store, policy, user, password)


def _echo_view(v: Any, lang: str) -> None:
    none = text("approve.nothing", lang)
    echo(text("approve.done", lang, id=v.id, status=text(f"changes.status.{v.status}", lang),
              present=", ".join(f"{p} ({r})" for p, r in v.present) or none, missing=", ".join(v.missing) or none))


# --- dq approvals ------------------------------------------------------------------------------------

@click.group()
def approvals() -> None:
    """Change requests and their approvals: list them, or import decisions from an approvals sheet."""


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
    cols = ["id", "entity", "key", "field", "old", "new", "tier", "requester", "required", "present", "missing", "status"]
    print_table(text("approvals.title", lang, n=len(found)), [text(f"changes.col.{c}", lang) for c in cols], [
        [v.id, v.entity, v.key, v.field, v.old, v.new, v.tier, v.requested_by, ", ".join(v.required),
         ", ".join([f"{p} ({r})" for p, r in v.present] + [f"{p} ({r}, {stale})" for p, r in v.stale]),
         ", ".join(v.missing), text(f"changes.status.{v.status}", lang)] for v in found])


@approvals.command("import")
@click.argument("sheet", type=click.Path(path_type=Path, dir_okay=False))
@USER_OPTION
@state_options
@lang_option
@handle_errors
def approvals_import(sheet: Path, user: str, config_path: Path | None, db: str | None, state_dir: Path | None,
                     schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Record an approvals sheet's decisions (entity, key, field, new value, approver, role, decision, date)
    as entered by you (--user, signed in) on the approvers' behalf; refused lines are listed."""
    from dataquality.approve.sheet import import_sheet

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open() as store:
        importer = sign_in(store, ws.policy, user, lang)
        outcomes = import_sheet(store, ws.policy, ws.config, sheet, lang, importer=importer)
    for o in outcomes:
        line = text("sheet.line", lang, row=o.row, id=o.request_id or "-", text=text(o.key, lang, **o.params))
        echo(("  " if o.ok else "! ") + line)
    refused = sum(1 for o in outcomes if not o.ok)
    echo(text("sheet.summary", lang, ok=len(outcomes) - refused, refused=refused))


# --- dq approve / dq reject ----------------------------------------------------------------------------

@click.command()
@click.argument("request_id", type=REQUEST_ID)
@USER_OPTION
@click.option("--role", default=None, help="The level approved as: L1, L2, L3 (or 部门经理 / 财务总监 / 总经理); default: your account's only role.")
@click.option("--comment", default=None, help="A note kept in the audit log.")
@state_options
@lang_option
@handle_errors
def approve(request_id: int, user: str, role: str | None, comment: str | None, config_path: Path | None,
            db: str | None, state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Approve change request ID at one level, signed in as --user (your password is asked)."""
    from dataquality.approve import acting

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open() as store:
        acting.known_role(ws.policy, role)
        account = sign_in(store, ws.policy, user, lang)
        _echo_view(acting.approve_as(store, ws.policy, account, request_id, role, comment, source="cli"), lang)


@click.command()
@click.argument("request_id", type=REQUEST_ID)
@USER_OPTION
@click.option("--reason", required=True, help="Why (kept in the audit log and the held-back sheet).")
@click.option("--role", default=None, help="The level rejecting (default: your account's only role).")
@state_options
@lang_option
@handle_errors
def reject(request_id: int, user: str, reason: str, role: str | None, config_path: Path | None, db: str | None,
           state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Reject change request ID, signed in as --user: final; the change never reaches the master."""
    from dataquality.approve import acting

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open() as store:
        acting.known_role(ws.policy, role)
        account = sign_in(store, ws.policy, user, lang)
        _echo_view(acting.reject_as(store, ws.policy, account, request_id, reason, role, source="cli"), lang)


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
    from dataquality.approve.commands import audit_head

    if expect_head is not None:
        audit_log.parse_head(expect_head)
    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open(read_only=True, write=False) as store:
        with store.transaction() as conn:
            count, problems = audit_log.verify(conn, expect_head=expect_head)
        echo(text("audit.head", lang, head=audit_head(store).head))
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
    with ws.open(read_only=True) as store, store.transaction() as conn:
        n = audit_log.export(conn, out)
    echo(text("audit.exported", lang, n=n, file=out))


# --- dq users (issue 14) -------------------------------------------------------------------------------

@click.group()
def users() -> None:
    """Sign-in accounts of approvers: one per person of the staff list, with the roles they hold."""


def _password(lang: str, name: str) -> str:
    return click.prompt(text("accounts.new_password_prompt", lang, name=name), hide_input=True,
                        confirmation_prompt=text("accounts.repeat_prompt", lang), err=True)


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="A role the person approves in: L1, L2, L3 (repeat for several).")
@state_options
@lang_option
@handle_errors
def users_add(name: str, roles: tuple[str, ...], config_path: Path | None, db: str | None, state_dir: Path | None,
              schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Create the account of NAME (a person of the staff list); the password is asked twice."""
    from dataquality.approve.accounts import add_user

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    person = ws.policy.directory().person(name)
    password = _password(lang, person.name)
    with ws.open() as store:
        acc = add_user(store, ws.policy, name, roles, password)
    echo(text("accounts.added", lang, name=acc.name, id=acc.person_id, roles=", ".join(acc.roles)))


@users.command("passwd")
@click.argument("name")
@state_options
@lang_option
@handle_errors
def users_passwd(name: str, config_path: Path | None, db: str | None, state_dir: Path | None,
                 schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Set a new password for NAME's account (asked twice); the account's sessions end."""
    from dataquality.approve.accounts import update_user

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    person = ws.policy.directory().person(name)
    password = _password(lang, person.name)
    with ws.open() as store:
        acc = update_user(store, ws.policy, name, password=password)
    echo(text("accounts.password_set", lang, name=acc.name))


@users.command("roles")
@click.argument("name")
@click.option("--role", "roles", multiple=True, help="The roles the account holds from now on (repeat).")
@click.option("--disable/--enable", "disabled", default=None, help="Disable (or enable again) the account.")
@state_options
@lang_option
@handle_errors
def users_roles(name: str, roles: tuple[str, ...], disabled: bool | None, config_path: Path | None, db: str | None,
                state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Change the roles of NAME's account, or disable it; its sessions end."""
    from dataquality.approve.accounts import update_user

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open() as store:
        acc = update_user(store, ws.policy, name, roles=roles or None, disabled=disabled)
    echo(text("accounts.changed", lang, name=acc.name, roles=", ".join(acc.roles)))


@users.command("list")
@state_options
@lang_option
@handle_errors
def users_list(config_path: Path | None, db: str | None, state_dir: Path | None, schemas_dir: Path | None,
               rules_dir: Path | None, lang: str) -> None:
    """List the accounts with their roles; an account whose row was edited outside dq is marked."""
    from dataquality.approve.accounts import list_users

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open() as store:
        found = list_users(store)
    if not found:
        echo(text("accounts.none", lang))
    for u in found:
        flags = [text("accounts.disabled", lang)] if u["disabled"] else []
        flags += [] if u["sealed"] else [text("accounts.tampered_flag", lang)]
        echo(f"{u['name']} ({u['person_id']}): {u['roles']}" + (f"  [{', '.join(flags)}]" if flags else ""))


def register(main: click.Group) -> None:
    for command in (approvals, approve, reject, audit, users):
        main.add_command(command)
