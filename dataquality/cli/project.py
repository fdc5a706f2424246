"""A project's nightly checks (issue 6): dq init, dq check, dq issues list/show, dq history.

Exit codes of dq check: 0 nothing at or above --fail-on; 1 something is (new-error: an error new or
reopened since the last run); 2 bad configuration or input, or the state database is held by
another dq check for longer than lock.wait_seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dataquality.cli.options import (
    COUNT,
    config_option,
    format_option,
    handle_errors,
    input_limits,
    lang_asked,
    lang_option,
    project_of,
    quiet_option,
    report_formats,
    started_sources,
)
from dataquality.i18n import text
from dataquality.paths import shown
from dataquality.terminal import echo, echo_json
from dataquality.thresholds import CHECK_FAIL_ON

JSON_HELP = "console (a table) or json (the issue contract)."


def _today(project: Any) -> Any:
    from dataquality.track.clock import run_time

    return run_time(project.timezone).date()


def _sla(project: Any) -> Any:
    from dataquality.track.tracker import Sla

    return Sla(project.sla, project.calendar())


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--demo", is_flag=True, help="Also write the sample workbooks into FOLDER/data/.")
@click.option("--force", is_flag=True, help="Overwrite an existing dq.yaml.")
@click.option("--from", "learn_from", multiple=True, type=click.Path(path_type=Path),
              help="Learn the company's own conventions from this master (repeatable): the schemas, rules and mapping of dq learn.")
@click.option("--admin", default=None, metavar="NAME",
              help="The first administrator (a person of the staff list); the password is asked twice. "
                   "Asked on a terminal when not given.")
@lang_option
@handle_errors
def init(folder: Path, demo: bool, force: bool, learn_from: tuple[Path, ...], admin: str | None, lang: str) -> None:
    """Create a project in FOLDER: a commented dq.yaml, copies of the schemas and rules to edit, the
    state database with its audit key (kept outside the project), and the first administrator."""
    from dataquality.track.scaffold import init_project

    config = init_project(folder, lang=lang if lang_asked() else None, force=force)
    echo(text("track.init_done", lang, folder=shown(folder), config=shown(config)))
    echo(text("track.init_git", lang, gitignore=shown(folder / ".gitignore")))
    if demo:
        from dataquality.demo import write_demo

        write_demo(folder / "data")
        echo(text("track.init_demo", lang, folder=shown(folder / "data")))
    if learn_from:
        from dataquality.learn import adopt_in_project

        learned = adopt_in_project(folder, list(learn_from), lang)
        for lesson in learned.lessons:
            echo(f"{lesson.entity}.{lesson.field}: {lesson.what[lang]}")
        echo(text("learn.done", lang, files=", ".join(str(f) for f in learn_from), n=len(learned.lessons), folder=folder),
             err=True)
    # Last: the staff list the first administrator is found in is the project's final one.
    _init_state(Path(folder), admin, lang)


def _init_state(folder: Path, admin: str | None, lang: str) -> None:
    """The new project's database and audit key, and its first administrator (the key holder runs dq init)."""
    from dataquality.approve.accounts import ADMIN, add_user
    from dataquality.approve.commands import prepare_state
    from dataquality.cli.service import read_password
    from dataquality.track.workspace import load_project, workspace

    ws = workspace(load_project(folder / "dq.yaml"))
    created = prepare_state(ws.url, ws.state_dir)
    if created is not None:
        echo(text("keys.created", lang, file=shown(created)))
    if admin is None and sys.stdin.isatty():
        admin = click.prompt(text("accounts.first_admin_prompt", lang), default="", show_default=False, err=True) or None
    if admin is None:
        echo(text("accounts.no_admin_yet", lang, folder=shown(folder)))
        return
    person = ws.policy.directory().person(admin)
    password = read_password(text("accounts.new_password_prompt", lang, name=person.name), lang,
                             text("accounts.repeat_prompt", lang))
    with ws.open() as store:
        acc = add_user(store, ws.policy, person.id, (ADMIN,), password, bootstrap=True)
    echo(text("accounts.added", lang, name=acc.name, id=acc.person_id, roles=", ".join(acc.roles)))


@click.command()
@config_option
@click.option("--fail-on", type=click.Choice(CHECK_FAIL_ON), default=None,
              help="Exit 1 on errors, on warnings or worse, only on errors new since the last run, or never (default: dq.yaml's fail_on, else new-error).")
@format_option(None, None, "Comma-separated report formats (default: dq.yaml's reports.formats, else every format but console).",
               several=True)
@click.option("--wait", "wait_seconds", type=float, default=None, help="Seconds to wait for another dq check on the same database (default: dq.yaml's lock.wait_seconds, 60).")
@click.option("--limit", type=COUNT, default=20, show_default=True, help="Issues shown on the console.")
@click.option("--accept-open", is_flag=True,
              help="Accept every issue found as the known backlog: open, not new, so new-error fails only on errors that come later (a project's first run).")
@quiet_option("Only the one-line summary.")
@lang_option
@handle_errors
def check(config_path: Path | None, fail_on: str | None, fmt: str | None, wait_seconds: float | None, limit: int,
          accept_open: bool, quiet: bool, lang: str) -> None:
    """Nightly check of a project: all entities, approvals, issue numbers and ages, reports in reports/<time>/."""
    from dataquality import progress
    from dataquality.approve.commands import audit_head, head_line
    from dataquality.check import run_check
    from dataquality.errors import DQError
    from dataquality.fileio import atomic_open
    from dataquality.report import ReportOptions, write_reports
    from dataquality.track.project import open_project_store

    project = project_of()
    try:  # the inputs judged and loaded while the run starts (a missing one is the run's to report)
        workbooks = started_sources([f for found in project.input_files().values() for f in found])
    except (DQError, OSError):
        workbooks = {}
    names = report_formats(fmt, lang) if fmt else None
    with progress.status(quiet) as say:
        outcome = run_check(project, fail_on=fail_on, lang=lang, formats=names, progress=say, lock_wait_seconds=wait_seconds,
                            accept_open=accept_open, limits=input_limits(), workbooks=workbooks)
    if not quiet:
        write_reports(outcome.result, ["console"], ReportOptions(lang=lang, limit=limit))
    if outcome.fallback_years:
        echo(text("track.calendar_fallback", lang, years=", ".join(map(str, outcome.fallback_years))), err=True)
    echo(text("track.summary", lang, run=outcome.run_id, **outcome.counts))
    if outcome.rerun_of:
        echo(text("track.rerun", lang, run=outcome.rerun_of))
    if accept_open:
        echo(text("track.accepted", lang, n=outcome.counts.get("accepted", 0)))
    if outcome.counts.get("fixed_by_department"):
        echo(text("track.fixed_by_department", lang, n=outcome.counts["fixed_by_department"]))
    echo(text("track.reports_in", lang, path=shown(outcome.run_dir)))
    # The audit head, kept beside the run's reports (audit-head.txt) as an anchor outside the database.
    with open_project_store(project) as store:
        head = audit_head(store, project.state_dir)
    with atomic_open(Path(outcome.run_dir) / "audit-head.txt") as fh:
        fh.write(head.head + "\n")
    echo(head_line(head.head, lang))
    if head.problems:
        echo(text("audit.check_broken", lang, n=len(head.problems), first=head.problems[0].message(lang)), err=True)
    echo(text("track.exit", lang, code=outcome.exit_code, fail_on=outcome.fail_on))
    if outcome.exit_code == 1 and outcome.fail_on == "new-error" and not outcome.counts.get("open"):
        echo(text("track.accept_hint", lang))  # every issue is new: a first run, not a regression
    sys.exit(outcome.exit_code)


@click.group()
def issues() -> None:
    """Tracked issues: their numbers, statuses, ages and history."""


@issues.command("list")
@config_option
@click.option("--status", type=click.Choice(["open", "new", "reopened", "resolved", "all"]), default="open",
              show_default=True, help="Which issues: open = not resolved (new, open or reopened).")
@click.option("--department", default=None, help="Only this department's issues, e.g. 财务部.")
@click.option("--overdue", is_flag=True, help="Only issues past their due date.")
@format_option(["console", "json"], "console", JSON_HELP, json_alias=True)
@lang_option
@handle_errors
def issues_list(config_path: Path | None, status: str, department: str | None, overdue: bool, fmt: str, lang: str) -> None:
    """List tracked issues with number, status, department, age in working days and due date."""
    from dataquality.report.json_report import encode
    from dataquality.track.history import list_issues
    from dataquality.track.project import open_project_store
    from dataquality.track.views import issues_table

    project = project_of()
    with open_project_store(project) as store:
        found = list_issues(store, _sla(project), _today(project), status=status, department=department,
                            overdue=overdue, prefix=project.issue_prefix)
    if fmt == "json":
        echo_json(encode([i.to_dict(lang) for i in found]))
        return
    if not found:
        echo(text("track.no_issues", lang))
        return
    issues_table(found, lang)


@issues.command("show")
@click.argument("number")
@config_option
@lang_option
@handle_errors
def issues_show(number: str, config_path: Path | None, lang: str) -> None:
    """Show one issue (e.g. DQ-000123): what is wrong, where, its age and due date, and its history."""
    from dataquality.errors import DQError
    from dataquality.track.history import issue_detail
    from dataquality.track.project import open_project_store
    from dataquality.track.tracker import parse_number
    from dataquality.track.views import issue_view

    project = project_of()
    n = parse_number(number)
    with open_project_store(project) as store:
        found = issue_detail(store, n, _sla(project), _today(project), project.issue_prefix) if n is not None else None
    if found is None:
        raise DQError("track.unknown_issue", number=number)
    issue_view(*found, lang)


@click.command()
@config_option
@click.option("--limit", type=COUNT, default=30, show_default=True, help="The last N runs.")
@format_option(["console", "json"], "console", "console (a table) or json.", json_alias=True)
@lang_option
@handle_errors
def history(config_path: Path | None, limit: int, fmt: str, lang: str) -> None:
    """The trend: issues per run by severity and department, oldest first."""
    from dataquality.report.json_report import encode
    from dataquality.track.history import history as run_history
    from dataquality.track.project import open_project_store
    from dataquality.track.views import history_table

    project = project_of()
    with open_project_store(project) as store:
        runs = run_history(store, limit)
    if fmt == "json":
        echo_json(encode(runs))
        return
    if not runs:
        echo(text("track.no_runs", lang))
        return
    history_table(runs, lang)


def register(main: click.Group) -> None:
    for command in (init, check, issues, history):
        main.add_command(command)
