"""The `dq` command: thin click commands over the library; errors become one line and an exit code.

Exit codes: 0 nothing at or above --fail-on; 1 issues at or above --fail-on; 2 bad usage,
unreadable input or bad configuration.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dataquality import __version__
from dataquality.config import Config
from dataquality.errors import EXIT_USAGE, DQError
from dataquality.i18n import normalise_lang, text
from dataquality.pipeline import CHECK_FAIL_ON, FAIL_ON, run

LANG_OPTION = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of messages and reports (default: from DQ_LANG or LANG)."
)


def config_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--schemas and --rules: where the entity schemas and rule settings live."""
    fn = click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None, help="Folder of rule settings and reference lists (default: the shipped rules/).")(fn)
    fn = click.option("--schemas", "schemas_dir", type=click.Path(path_type=Path), default=None, help="Folder of entity schemas (default: the shipped schemas/).")(fn)
    return fn


def report_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Shared output flags: formats, output folder, threshold, quiet."""
    fn = click.option("--quiet", "-q", is_flag=True, help="No progress and no console report.")(fn)
    fn = click.option("--limit", type=int, default=50, show_default=True, help="Issues shown on the console.")(fn)
    fn = click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True, help="Exit 1 when issues of this severity or worse are found.")(fn)
    fn = click.option("--out", "-o", type=click.Path(path_type=Path, file_okay=False), default=None, help="Folder for report files (without it JSON goes to standard output and other files to ./dq-report).")(fn)
    fn = click.option("--format", "-f", "formats", default="console", show_default=True, help="Comma-separated report formats: console, json, html, xlsx (annotated copy of each workbook), junit, corrections.")(fn)
    return fn


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our own errors into one line on stderr and exit code 2; bugs keep their traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DQError as exc:
            lang = normalise_lang(kwargs.get("lang"))
            click.echo(f"dq: {exc.message(lang)}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dq")
def main() -> None:
    """dq: check customer and product master data before it reaches your CRM/ERP."""


def _formats(raw: str, lang: str) -> list[str]:
    from dataquality.report import writers

    names = [f.strip() for f in raw.split(",") if f.strip()]
    known = writers()
    for name in names:
        if name not in known:
            raise click.UsageError(text("cli.unknown_format", lang, name=name, choices=", ".join(known)))
    return names


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@report_options
@config_options
@click.option("--reference", "references", multiple=True, metavar="LIST=FILE.xlsx#SHEET",
              help="Read a reference list (staff, departments, provinces) from a workbook sheet; repeatable.")
@LANG_OPTION
@handle_errors
def validate(files: tuple[Path, ...], formats: str, out: Path | None, fail_on: str, limit: int, quiet: bool,
             schemas_dir: Path | None, rules_dir: Path | None, references: tuple[str, ...], lang: str | None) -> None:
    """Check customer and/or product files (xlsx, xlsm, xls, csv) against the schemas and rules."""
    from dataquality import progress
    from dataquality.report import ReportOptions, write_reports

    lang = normalise_lang(lang)
    names = _formats(formats, lang)
    if quiet and names == ["console"]:
        names = []
    config = Config.load(schemas_dir, rules_dir)
    if references:
        from dataquality.references import with_reference_sheets

        config = with_reference_sheets(config, references)
    with progress.status(quiet) as say:
        result = run(config, list(files), lang, progress=say)
    written = write_reports(result, names, ReportOptions(lang=lang, out=out, limit=limit, quiet=quiet))
    if not quiet:
        for path in written:
            click.echo(text("cli.written", lang, path=path), err=True)
    sys.exit(result.exit_code(fail_on))


@main.command()
@click.argument("code", required=False)
@LANG_OPTION
@handle_errors
def rules(code: str | None, lang: str | None) -> None:
    """List every rule, or explain one rule CODE (what, why, examples, how to fix)."""
    from rich.console import Console
    from rich.table import Table

    from dataquality.checks.registry import REGISTRY, active_rules, doc_sections

    lang = normalise_lang(lang)
    console = Console(highlight=False)
    if code is None:
        table = Table(title=text("cli.rules_header", lang, n=len(list(active_rules()))))
        for col in ("Code", "Name", text("cli.rule_severity", lang), text("cli.rule_fixable", lang), ""):
            table.add_column(col)
        for rule in active_rules():
            table.add_row(rule.code, rule.name, text(f"severity.{rule.severity.value}", lang),
                          text("cli.answer_yes" if rule.fixable else "cli.answer_no", lang), text(f"rules.{rule.code}.title", lang))
        console.print(table)
        return
    found = REGISTRY.get(code.upper())
    if found is None:
        click.echo(f"dq: {text('cli.unknown_rule', lang, code=code)}", err=True)
        sys.exit(EXIT_USAGE)
    rule = found
    doc = doc_sections(rule.doc)
    lines = [
        f"{rule.code} {rule.name}: {text(f'rules.{rule.code}.title', lang)}",
        "",
        doc.summary,
        "",
        f"{text('cli.rule_severity', lang)}: {text(f'severity.{rule.severity.value}', lang)}",
        f"{text('cli.rule_scope', lang)}: {text(f'scope.{rule.scope}', lang)}",
        f"{text('cli.rule_fixable', lang)}: {text('cli.answer_yes' if rule.fixable else 'cli.answer_no', lang)}",
        f"{text('cli.rule_why', lang)}: {doc.why}",
        f"{text('cli.rule_bad', lang)}: {doc.bad}",
        f"{text('cli.rule_good', lang)}: {doc.good}",
        f"{text('cli.rule_message', lang)}: {text(f'rules.{rule.code}.message', lang)}",
        f"{text('cli.rule_hint', lang)}: {text(f'rules.{rule.code}.hint', lang)}",
    ]
    click.echo("\n".join(lines))


@main.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False), default=Path("dq-demo"))
@LANG_OPTION
@click.option("--quiet", "-q", is_flag=True, help="Only write the sample files.")
@handle_errors
def demo(folder: Path, lang: str | None, quiet: bool) -> None:
    """Write realistic sample customer and product workbooks (problems planted) and validate them."""
    from dataquality.demo import write_demo
    from dataquality.report import ReportOptions, write_reports

    lang = normalise_lang(lang)
    files = write_demo(folder)
    click.echo(text("cli.demo_written", lang, folder=folder, files=", ".join(p.name for p in files)))
    if quiet:
        return
    result = run(Config.load(), files, lang)
    write_reports(result, ["console"], ReportOptions(lang=lang, limit=25))
    click.echo(text("cli.demo_next", lang, file=files[0]))


# ---------------------------------------------------------------------------------------------
# Nightly checks of a project (issue 6): dq init, dq check, dq issues list/show, dq history.
# Exit codes of dq check: 0 nothing at or above --fail-on; 1 something is (new-error: an error
# new or reopened since the last run); 2 bad configuration or input, or the state database is
# held by another dq check for longer than lock.wait_seconds.
# ---------------------------------------------------------------------------------------------

PROJECT_OPTION = click.option(
    "--config", "-c", "config_path", type=click.Path(path_type=Path), default=Path("dq.yaml"), show_default=True,
    help="The project's dq.yaml (or its folder).",
)


def _project(config_path: Path):  # type: ignore[no-untyped-def]
    from dataquality.track.project import Project

    return Project.load(config_path)


def _today(project) -> Any:  # type: ignore[no-untyped-def]
    from dataquality.track.clock import run_time

    return run_time(project.timezone).date()


def _sla(project) -> Any:  # type: ignore[no-untyped-def]
    from dataquality.track.tracker import Sla

    return Sla(project.sla, project.calendar())


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--demo", is_flag=True, help="Also write the sample workbooks into FOLDER/data/.")
@click.option("--force", is_flag=True, help="Overwrite an existing dq.yaml.")
@LANG_OPTION
@handle_errors
def init(folder: Path, demo: bool, force: bool, lang: str | None) -> None:
    """Create a project in FOLDER: a commented dq.yaml and copies of the schemas and rules to edit."""
    from dataquality.track.scaffold import init_project

    lang = normalise_lang(lang)
    config = init_project(folder, lang=lang, force=force)
    click.echo(text("track.init_done", lang, folder=folder, config=config))
    if demo:
        from dataquality.demo import write_demo

        write_demo(folder / "data")
        click.echo(text("track.init_demo", lang, folder=folder / "data"))


@main.command()
@PROJECT_OPTION
@click.option("--fail-on", type=click.Choice(CHECK_FAIL_ON), default=None,
              help="Exit 1 on errors, on warnings or worse, only on errors new since the last run, or never (default: dq.yaml's fail_on, else new-error).")
@click.option("--format", "-f", "formats", default=None, help="Comma-separated report formats (default: dq.yaml's reports.formats, else every format but console).")
@click.option("--wait", "wait_seconds", type=float, default=None, help="Seconds to wait for another dq check on the same database (default: dq.yaml's lock.wait_seconds, 60).")
@click.option("--limit", type=int, default=20, show_default=True, help="Issues shown on the console.")
@click.option("--quiet", "-q", is_flag=True, help="Only the one-line summary.")
@LANG_OPTION
@handle_errors
def check(config_path: Path, fail_on: str | None, formats: str | None, wait_seconds: float | None, limit: int,
          quiet: bool, lang: str | None) -> None:
    """Nightly check of a project: all entities, approvals, issue numbers and ages, reports in reports/<time>/."""
    from dataquality import progress
    from dataquality.report import ReportOptions, write_reports
    from dataquality.track.check import run_check

    project = _project(config_path)
    lang = normalise_lang(lang or project.lang)
    names = _formats(formats, lang) if formats else None
    with progress.status(quiet) as say:
        outcome = run_check(project, fail_on=fail_on, lang=lang, formats=names, progress=say, lock_wait_seconds=wait_seconds)
    if not quiet:
        write_reports(outcome.result, ["console"], ReportOptions(lang=lang, limit=limit))
    if outcome.fallback_years:
        click.echo(text("track.calendar_fallback", lang, years=", ".join(map(str, outcome.fallback_years))), err=True)
    click.echo(text("track.summary", lang, run=outcome.run_id, **outcome.counts))
    if outcome.rerun_of:
        click.echo(text("track.rerun", lang, run=outcome.rerun_of))
    click.echo(text("track.reports_in", lang, path=outcome.run_dir))
    click.echo(text("track.exit", lang, code=outcome.exit_code, fail_on=outcome.fail_on))
    sys.exit(outcome.exit_code)


@main.group()
def issues() -> None:
    """Tracked issues: their numbers, statuses, ages and history."""


@issues.command("list")
@PROJECT_OPTION
@click.option("--status", type=click.Choice(["open", "new", "reopened", "resolved", "all"]), default="open",
              show_default=True, help="Which issues: open = not resolved (new, open or reopened).")
@click.option("--department", default=None, help="Only this department's issues, e.g. 财务部.")
@click.option("--overdue", is_flag=True, help="Only issues past their due date.")
@click.option("--json", "as_json", is_flag=True, help="JSON (the issue contract) instead of a table.")
@LANG_OPTION
@handle_errors
def issues_list(config_path: Path, status: str, department: str | None, overdue: bool, as_json: bool, lang: str | None) -> None:
    """List tracked issues with number, status, department, age in working days and due date."""
    import json

    from dataquality.track.check import open_project_store
    from dataquality.track.history import list_issues
    from dataquality.track.views import issues_table

    project = _project(config_path)
    lang = normalise_lang(lang or project.lang)
    store = open_project_store(project)
    try:
        found = list_issues(store, _sla(project), _today(project), status=status, department=department,
                            overdue=overdue, prefix=project.issue_prefix)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([i.to_dict(lang) for i in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(text("track.no_issues", lang))
        return
    issues_table(found, lang)


@issues.command("show")
@click.argument("number")
@PROJECT_OPTION
@LANG_OPTION
@handle_errors
def issues_show(number: str, config_path: Path, lang: str | None) -> None:
    """Show one issue (e.g. DQ-000123): what is wrong, where, its age and due date, and its history."""
    from dataquality.errors import DQError
    from dataquality.track.check import open_project_store
    from dataquality.track.history import issue_detail
    from dataquality.track.tracker import parse_number
    from dataquality.track.views import issue_view

    project = _project(config_path)
    lang = normalise_lang(lang or project.lang)
    n = parse_number(number)
    store = open_project_store(project)
    try:
        found = issue_detail(store, n, _sla(project), _today(project), project.issue_prefix) if n is not None else None
    finally:
        store.close()
    if found is None:
        raise DQError("track.unknown_issue", number=number)
    issue_view(*found, lang)


@main.command()
@PROJECT_OPTION
@click.option("--limit", type=int, default=30, show_default=True, help="The last N runs.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@LANG_OPTION
@handle_errors
def history(config_path: Path, limit: int, as_json: bool, lang: str | None) -> None:
    """The trend: issues per run by severity and department, oldest first."""
    import json

    from dataquality.track.check import open_project_store
    from dataquality.track.history import history as run_history
    from dataquality.track.views import history_table

    project = _project(config_path)
    lang = normalise_lang(lang or project.lang)
    store = open_project_store(project)
    try:
        runs = run_history(store, limit)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(runs, ensure_ascii=False, indent=2))
        return
    if not runs:
        click.echo(text("track.no_runs", lang))
        return
    history_table(runs, lang)


# ---------------------------------------------------------------- corrections (issue 5)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path, file_okay=False), default=Path("corrections"), show_default=True,
              help="Folder for the lists: one <department>.xlsx per department.")
@config_options
@LANG_OPTION
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary line.")
@handle_errors
def corrections(files: tuple[Path, ...], out: Path, schemas_dir: Path | None, rules_dir: Path | None, lang: str | None, quiet: bool) -> None:
    """Write one correction list per department (销售部.xlsx, 财务部.xlsx, ...) with its issues to fix."""
    from dataquality import progress
    from dataquality.report.corrections import write_lists

    lang = normalise_lang(lang)
    config = Config.load(schemas_dir, rules_dir)
    with progress.status(quiet) as say:
        result = run(config, list(files), lang, progress=say)
    written = write_lists(result, out, lang)
    if not quiet:
        key = "corrections.written" if written else "corrections.none"
        click.echo(text(key, lang, n=len(written), folder=out), err=True)
        for path in written:
            click.echo(text("cli.written", lang, path=path), err=True)

# --- issue 7: import templates and safe fixes (dq template, dq fix) ---------------------------


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Where to write the fixed copy (.xlsx for workbooks, .csv for CSV). The input is never modified.")
@click.option("--dry-run", is_flag=True, help="Only print what would change; write nothing.")
@config_options
@LANG_OPTION
@handle_errors
def fix(file: Path, output: Path | None, dry_run: bool, schemas_dir: Path | None, rules_dir: Path | None,
        lang: str | None) -> None:
    """Apply the corrections that are certain (spaces, full-width, synonyms, numbers as text, phone format)."""
    from rich.console import Console
    from rich.table import Table

    from dataquality import fix as fixing

    lang = normalise_lang(lang)
    if output is None and not dry_run:
        raise fixing.FixError("fix.need_output")
    config = Config.load(schemas_dir, rules_dir)
    if output is not None:
        fixing.check_output(file, output)
    plan = fixing.plan(file, config, lang)
    console = Console(highlight=False)
    if not plan.changes:
        click.echo(text("fix.nothing", lang, file=file.name))
    elif dry_run:
        table = Table(title=text("fix.title", lang, n=len(plan.changes), file=file.name))
        for key in ("cell", "field", "old", "new", "rule"):
            table.add_column(text(f"fix.column.{key}", lang))
        for c in plan.changes:
            label = config.schemas[c.entity].fields[c.field].label(lang)
            table.add_row(c.cell, label, c.old or "", c.new, ", ".join(c.rules))
        console.print(table)
    if dry_run:
        return
    assert output is not None
    written = fixing.write(plan, output, config, lang)
    if plan.changes:
        click.echo(text("fix.summary", lang, n=len(plan.changes), output=output))
    for extra in written[1:]:
        click.echo(text("fix.changes_csv", lang, path=extra))
    counts = {s: sum(1 for i in plan.remaining if i.severity == s) for s in ("error", "warning", "info")}
    if any(counts.values()):
        click.echo(text("fix.remaining", lang, errors=counts["error"], warnings=counts["warning"],
                        infos=counts["info"], output=output))
    else:
        click.echo(text("fix.remaining_none", lang))


@main.command()
@click.argument("entity")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The workbook to write (.xlsx).")
@click.option("--rows", type=click.IntRange(1, 20_000), default=1000, show_default=True, help="Rows that carry drop-downs and checks.")
@config_options
@LANG_OPTION
@handle_errors
def template(entity: str, output: Path, rows: int, schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """Write an import template for ENTITY (customer, product) generated from its schema."""
    from dataquality import template as templates

    lang = normalise_lang(lang)
    config = Config.load(schemas_dir, rules_dir)
    path = templates.write(entity, config, output, lang, rows)
    click.echo(text("template.written", lang, path=path, n=len(config.schemas[entity].fields)))
