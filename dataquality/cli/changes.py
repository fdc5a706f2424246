"""Tiered approval, the change side (issue 4): dq changes [show|submit] and dq apply.
The library is dataquality/approve/; the database is the project's (see options.state_options)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dataquality.cli.options import (
    REQUEST_ID,
    baseline_option,
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


def _change_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--requested-by", default=None, help="Requester of the changes when the file has no 申请人 (requested_by) column.")(fn)
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
    from dataquality.load.prefetch import prefetch

    prefetch([incoming, baseline])  # calamine reads both while the rest of dq is imported
    from dataquality.approve.commands import change_rows
    from dataquality.approve.workflow import decide_for_changes
    from dataquality.pipeline import change_set
    from dataquality.report.json_report import encode

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    found = change_set(ws.config, incoming, baseline, lang, policy=ws.policy, requested_by=requested_by).result.changes
    store = ws.open(create=False)
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
@_change_options
@state_options
@lang_option
@handle_errors
def changes_submit(incoming: Path, baseline: Path, requested_by: str | None, config_path: Path | None, db: str | None,
                   state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Record the change set as change requests (each needing approval), with an audit row each."""
    from dataquality.load.prefetch import prefetch

    prefetch([incoming, baseline])  # calamine reads both while the rest of dq is imported
    from dataquality.approve.apply import sha256_of
    from dataquality.approve.workflow import submit
    from dataquality.pipeline import change_set

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    done = change_set(ws.config, incoming, baseline, lang, policy=ws.policy, requested_by=requested_by)
    found, inc = done.result.changes, done.result.tables
    info = {"incoming_path": str(incoming.resolve()), "incoming_sha256": sha256_of(incoming),
            "baseline_path": str(baseline.resolve()), "baseline_sha256": sha256_of(baseline),
            "entities": sorted({t.entity for t in inc})}
    with ws.open() as store:
        res = submit(store, found, info, by=requested_by, directory=ws.policy.directory())
    echo(text("changes.submitted", lang, id=res.submission_id, created=len(res.created), revised=len(res.revised),
              unchanged=len(res.unchanged), withdrawn=len(res.withdrawn), free=res.no_approval))


@click.command("apply")
@click.argument("incoming", required=False, type=click.Path(path_type=Path, dir_okay=False))
@baseline_option("The last approved master (with INCOMING; default: the files of the latest submission).")
@out_option("file", "the new approved master (.xlsx).", required=True)
@click.option("--submission", type=REQUEST_ID, default=None, help="Apply this submission's files instead of the latest.")
@click.option("--by", default=None, help="Who applies, a person of the staff list (kept in the audit log).")
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
        res = apply(store, ws.policy, ws.config, out, incoming, baseline, by=by, lang=lang)
    records = ", ".join(f"{ws.config.schemas[e].label(lang)} {n}" for e, n in res.records.items())
    echo(text("apply.done", lang, file=res.out, records=records, applied=len(res.applied), held=len(res.held),
              sheet=text("apply.held_sheet", lang)))


def register(main: click.Group) -> None:
    main.add_command(changes)
    main.add_command(apply_cmd)
