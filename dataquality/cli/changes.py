"""Tiered approval, the change side (issues 4 and 23): dq changes [show|submit|withdraw] and dq apply.
The library is dataquality/approve/; the database is the project's (see options.state_options).
Submitting and withdrawing are done by a signed-in person through dq serve (cli/service.py);
dq apply runs where the audit key is (as dq serve's user)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dataquality.cli.options import (
    REQUEST_ID,
    baseline_option,
    config_option,
    format_option,
    handle_errors,
    input_limits,
    lang_option,
    out_option,
    print_table,
    started_sources,
    state_options,
    workspace,
)
from dataquality.cli.service import connect, service_options, upload
from dataquality.i18n import text
from dataquality.terminal import echo, echo_json


class DefaultGroup(click.Group):
    """A group whose `default` subcommand runs when the first argument is not a subcommand name,
    so `dq changes INCOMING --baseline B` means `dq changes show INCOMING --baseline B`."""

    default = "show"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup)
def changes() -> None:
    """The change set between the approved master (--baseline) and an incoming file; submit it for approval."""


REQUESTED_BY_HELP = ("Who asked for the changes, where the file has no 申请人 (requested_by) column: information "
                     "recorded with each request, never who you are (the submitter is the person signed in).")


def _change_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--requested-by", default=None, help=REQUESTED_BY_HELP)(fn)
    fn = baseline_option(required=True)(fn)
    fn = click.argument("incoming", type=click.Path(path_type=Path, dir_okay=False))(fn)
    return fn


@changes.command("show")
@_change_options
@format_option(["console", "json"], "console", "console (a table) or json.", json_alias=True)
@click.option("--all", "show_all", is_flag=True, help="Also list tier-0 changes (needing no approval) in the table.")
@state_options
@lang_option
@handle_errors
def changes_show(incoming: Path, baseline: Path, requested_by: str | None, fmt: str, show_all: bool,
                 config_path: Path | None, db: str | None, state_dir: Path | None, schemas_dir: Path | None,
                 rules_dir: Path | None, lang: str) -> None:
    """Show each change: old and new value, tier, required roles, approvals present and status."""
    workbooks = started_sources([incoming, baseline])  # both judged and loaded while dq is imported
    from dataquality.approve.commands import change_rows
    from dataquality.approve.workflow import decide_for_changes
    from dataquality.pipeline import change_set
    from dataquality.report.json_report import encode

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    found = change_set(ws.config, incoming, baseline, lang, policy=ws.policy, requested_by=requested_by,
                       limits=input_limits(), workbooks=workbooks).result.changes
    store = ws.open(create=False, write=False)
    if store is None:
        states = decide_for_changes(None, ws.policy, found)
    else:
        with store:
            states = decide_for_changes(store, ws.policy, found)
    records = change_rows(found, states, ws.policy)
    if fmt == "json":
        echo_json(encode(records))
        return
    if not records:
        echo(text("changes.none_found", lang))
        return
    shown = [r for r in records if show_all or r["tier"] > 0 or r["kind"] != "change"]
    cols = ["entity", "key", "field", "kind", "old", "new", "tier", "required", "present", "status"]
    print_table(text("changes.title", lang, n=len(records), sensitive=sum(1 for r in records if r["tier"] > 0)),
                [text(f"changes.col.{c}", lang) for c in cols],
                [[r["entity"], r["key"], r["field"], text(f"changes.kind.{r['kind']}", lang), r["old"], r["new"], r["tier"],
                  ", ".join(r["required"]), ", ".join(r["present"]), text(f"changes.status.{r['status']}", lang)] for r in shown])


@changes.command("submit")
@click.argument("incoming", type=click.Path(path_type=Path, dir_okay=False))
@baseline_option(required=True)
@click.option("--requested-by", default=None, help=REQUESTED_BY_HELP)
@service_options
@config_option
@lang_option
@handle_errors
def changes_submit(incoming: Path, baseline: Path, requested_by: str | None, user: str | None, server: str | None,
                   config_path: Path | None, lang: str) -> None:
    """Submit the change set as change requests through dq serve, signed in as --user (your password is
    asked): the service keeps both files and records a request, with an audit row, for each change
    that needs approval. Your own pending requests the file no longer holds are withdrawn."""
    (inc_name, inc), (base_name, base) = upload(incoming), upload(baseline)  # before any password is asked
    with inc, base:
        client, _ = connect(server, user, lang)
        with client:
            res = client.call("POST", "/submissions", files={"incoming": (inc_name, inc), "baseline": (base_name, base)},
                              data={"requested_by": requested_by} if requested_by else None)
    echo(text("changes.submitted", lang, id=res["submission"], created=len(res["created"]),
                    revised=len(res["revised"]), unchanged=len(res["unchanged"]), withdrawn=len(res["withdrawn"]),
                    free=res["no_approval"]))
    if res["kept_open"]:
        echo(text("changes.kept_open", lang, n=len(res["kept_open"]),
                        ids=", ".join(map(str, res["kept_open"][:20])) + (" ..." if len(res["kept_open"]) > 20 else "")))


@changes.command("withdraw")
@click.argument("request_ids", nargs=-1, required=True, type=REQUEST_ID)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@service_options
@config_option
@lang_option
@handle_errors
def changes_withdraw(request_ids: tuple[int, ...], reason: str, user: str | None, server: str | None,
                     config_path: Path | None, lang: str) -> None:
    """Withdraw open change requests through dq serve, signed in as their submitter or an administrator."""
    client, _ = connect(server, user, lang)
    with client:
        for rid in request_ids:
            done = client.call("POST", f"/requests/{rid}/withdraw", json={"reason": reason})
            echo(text("changes.withdrawn_one", lang, id=done["id"]))


@click.command("apply")
@click.argument("incoming", required=False, type=click.Path(path_type=Path, dir_okay=False))
@baseline_option("The last approved master (with INCOMING; default: the files of the latest submission).")
@out_option("file", "the new approved master (.xlsx).", required=True)
@click.option("--submission", type=REQUEST_ID, default=None, help="Apply this submission's files instead of the latest.")
@click.option("--by", default=None, help="Who asked for this apply, a person of the staff list (information kept in the audit log).")
@state_options
@lang_option
@handle_errors
def apply_cmd(incoming: Path | None, baseline: Path | None, out: Path, submission: int | None, by: str | None,
              config_path: Path | None, db: str | None, state_dir: Path | None, schemas_dir: Path | None,
              rules_dir: Path | None, lang: str) -> None:
    """Write the new approved master: approved changes applied, the rest kept at the baseline value and listed."""
    from dataquality.approve.apply import ApplyError, apply, latest_submission

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    with ws.open() as store:
        if incoming is None:
            sub = latest_submission(store, submission)
            incoming, baseline = Path(sub["incoming_path"]), Path(sub["baseline_path"])
        elif baseline is None:
            raise ApplyError("apply.need_baseline")
        by = ws.policy.directory().person(by).name if by else None
        res = apply(store, ws.policy, ws.config, out, incoming, baseline, by=by, lang=lang, limits=input_limits())
    records = ", ".join(f"{ws.config.schemas[e].label(lang)} {n}" for e, n in res.records.items())
    echo(text("apply.done", lang, file=res.out, records=records, applied=len(res.applied), held=len(res.held),
                    sheet=text("apply.held_sheet", lang)))


def register(main: click.Group) -> None:
    main.add_command(changes)
    main.add_command(apply_cmd)
