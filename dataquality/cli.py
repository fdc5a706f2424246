"""The `dq` command: thin click commands over the library; errors become one line and an exit code.

Exit codes: 0 nothing at or above --fail-on; 1 issues at or above --fail-on; 2 bad usage,
unreadable input, bad configuration or an output that cannot be written; 3 an internal error
(the traceback is saved to a file); 130 interrupted.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dataquality import __version__
from dataquality.cli_engines import engine_options, engines_label, export, run_any
from dataquality.config import Config
from dataquality.errors import EXIT_USAGE, DQError
from dataquality.i18n import normalise_lang, text
from dataquality.thresholds import CHECK_FAIL_ON, FAIL_ON

LANG_OPTION = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of messages and reports (default: from DQ_LANG or LANG)."
)


def run(*args: Any, **kwargs: Any) -> Any:
    """The pipeline's run, imported when a command runs: `dq --version` and `dq --help` stay quick."""
    from dataquality.pipeline import run as run_pipeline

    return run_pipeline(*args, **kwargs)


def config_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--schemas and --rules: where the entity schemas and rule settings live."""
    fn = click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None, help="Folder of rule settings and reference lists (default: the shipped rules/).")(fn)
    fn = click.option("--schemas", "schemas_dir", type=click.Path(path_type=Path), default=None, help="Folder of entity schemas (default: the shipped schemas/).")(fn)
    return fn


def report_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Shared output flags: formats, output folder, threshold, quiet."""
    fn = click.option("--quiet", "-q", is_flag=True, help="No progress and no console report.")(fn)
    fn = click.option("--limit", type=click.IntRange(0, 2**31 - 1), default=50, show_default=True, help="Issues shown on the console.")(fn)
    fn = click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True, help="Exit 1 when issues of this severity or worse are found.")(fn)
    fn = click.option("--out", "-o", type=click.Path(path_type=Path, file_okay=False), default=None, help="Folder for report files (without it JSON goes to standard output and other files to ./dq-report).")(fn)
    fn = click.option("--format", "-f", "formats", default="console", show_default=True, help="Comma-separated report formats: console, json, html, xlsx (annotated copy of each workbook), junit, corrections.")(fn)
    return fn


# Request ids are SQL integers: a larger number is bad usage, never an OverflowError.
REQUEST_ID = click.IntRange(1, 2**63 - 1)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Errors become one line and an exit code (see dataquality.safety): 2 ours, 3 a bug, 130 Ctrl-C."""
    from dataquality.safety import guarded

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return guarded(lambda: fn(*args, **kwargs), kwargs.get("lang"))

    return wrapper


class _Guarded(click.Group):
    """The top-level group: whatever escapes a command (Ctrl-C while parsing, a bug) gets an exit code too."""

    def invoke(self, ctx: click.Context) -> Any:
        from dataquality.safety import guarded

        return guarded(lambda: super(_Guarded, self).invoke(ctx), None)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dq")
@click.option("--max-bytes", type=click.IntRange(1), envvar="DQ_MAX_BYTES", default=None,
              help="Largest CSV file, or what a workbook may expand to, in bytes (default 1 GiB; env DQ_MAX_BYTES).")
@click.option("--max-cells", type=click.IntRange(1), envvar="DQ_MAX_CELLS", default=None,
              help="Most cells (rows x columns) one sheet may span (default 20,000,000; env DQ_MAX_CELLS).")
@click.option("--max-columns", type=click.IntRange(1), envvar="DQ_MAX_COLUMNS", default=None,
              help="Most columns one sheet or CSV line may span (default 16,384; env DQ_MAX_COLUMNS).")
@click.option("--max-strings", type=click.IntRange(1), envvar="DQ_MAX_STRINGS", default=None,
              help="Most shared text values in one workbook (default 10,000,000; env DQ_MAX_STRINGS).")
def main(max_bytes: int | None, max_cells: int | None, max_columns: int | None, max_strings: int | None) -> None:
    """dq: check customer, supplier and product master data before it reaches your CRM/ERP."""
    chosen = {"max_bytes": max_bytes, "max_cells": max_cells, "max_columns": max_columns, "max_strings": max_strings}
    if any(v is not None for v in chosen.values()):  # the defaults need no import (dq --help stays quick)
        from dataquality.load import limits

        limits.configure(limits.Limits(**{k: v for k, v in chosen.items() if v is not None}))
    elif "dataquality.load.limits" in sys.modules:  # an earlier command in this process set limits: reset
        loaded = sys.modules["dataquality.load.limits"]
        loaded.configure(loaded.Limits.from_env())


def _formats(raw: str, lang: str) -> list[str]:
    from dataquality.report import writers

    names = [f.strip() for f in raw.split(",") if f.strip()]
    known = writers()
    for name in names:
        if name not in known:
            raise click.UsageError(text("cli.unknown_format", lang, name=name, choices=", ".join(known)))
    return names


@main.command()
@click.argument("files", nargs=-1, required=False, type=click.Path(path_type=Path))
@report_options
@config_options
@engine_options
@click.option("--reference", "references", multiple=True, metavar="LIST=FILE.xlsx#SHEET",
              help="Read a reference list (staff, departments, provinces) from a workbook sheet; repeatable.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The last approved master: report unapproved sensitive changes against it (APR001).")
@click.option("--db", envvar="DQ_DB", default=None, help="Approval database URL (default: .dq/dq.db; env DQ_DB).")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A mapping file (dq map FILE -o mapping.yaml) saying which column holds which field; repeatable.")
@LANG_OPTION
@handle_errors
def validate(files: tuple[Path, ...], formats: str, out: Path | None, fail_on: str, limit: int, quiet: bool,
             schemas_dir: Path | None, rules_dir: Path | None, references: tuple[str, ...], baseline: Path | None,
             db: str | None, mapping_files: tuple[Path, ...], lang: str | None, engine: str, sources: tuple[str, ...],
             entity: str | None) -> None:
    """Check customer, supplier and product files (xlsx, xlsm, xls, csv, parquet) or database tables (--source) against the schemas and rules."""
    from dataquality import progress
    from dataquality.pipeline import Reports
    from dataquality.report import ReportOptions, write_reports

    lang = normalise_lang(lang)
    names = _formats(formats, lang)
    if quiet and names == ["console"]:
        names = []
    config = Config.load(schemas_dir, rules_dir)
    if references:
        from dataquality.references import with_reference_sheets

        config = with_reference_sheets(config, references)
    mappings = None
    if mapping_files:
        from dataquality.load.mapping import read_mappings

        mappings = read_mappings(list(mapping_files), config)
    options = ReportOptions(lang=lang, out=out, limit=limit, quiet=quiet)
    files_first = Reports(tuple(n for n in names if n != "console"), options)
    with progress.status(quiet) as say:
        done = run_any(config, list(files), lang, say, baseline, db, engine, sources, entity, mappings, files_first)
    result, written = done.result, done.written
    # The console report prints after the spinner has gone, so the two never interleave.
    written += write_reports(result, [n for n in names if n == "console"], options)
    if not quiet:
        for path in written:
            click.echo(text("cli.written", lang, path=path), err=True)
    _say_unreadable(result, lang)
    sys.exit(result.exit_code(fail_on))


def _say_unreadable(result: Any, lang: str) -> None:
    """One line on stderr for each input that could not be read (it is in the reports too)."""
    for issue in result.issues:
        if issue.rule == "FIL005":
            problem = issue.params.get("problem")
            said = problem.get(lang, problem.get("en")) if isinstance(problem, dict) else str(problem)
            click.echo(f"dq: {said}", err=True)


@main.command("map")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the mapping as a YAML file to edit, then use it with dq validate --mapping.")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Apply an existing mapping file first (to review it).")
@config_options
@LANG_OPTION
@handle_errors
def map_columns(files: tuple[Path, ...], out: Path | None, mapping_files: tuple[Path, ...], schemas_dir: Path | None,
                rules_dir: Path | None, lang: str | None) -> None:
    """Show how each sheet's columns map to fields (entity, header row, how each matched, suggestions)."""
    from rich.console import Console
    from rich.table import Table as RichTable

    from dataquality.errors import InputError
    from dataquality.fileio import atomic_open
    from dataquality.load import read_file
    from dataquality.load.mapping import mapping_yaml, read_mappings, sheet_entries

    lang = normalise_lang(lang)
    config = Config.load(schemas_dir, rules_dir)
    mappings = read_mappings(list(mapping_files), config) if mapping_files else None
    entries = []
    failed = False
    for path in files:
        try:
            read = read_file(path, config, lang, mappings=mappings)
        except InputError as exc:
            click.echo(f"dq: {exc.message(lang)}", err=True)
            failed = True
            continue
        for problem in read.problems:
            said = problem.params["problem"]
            click.echo(f"dq: {said.get(lang, said['en'])}", err=True)
            failed = failed or not read.tables
        entries += [dict(e, path=str(path)) for e in sheet_entries(read.tables, config)]
    console = Console(highlight=False)
    for e in entries:
        title = text("cli.map_title", lang, file=e["file"], sheet=e["sheet"] or "-", entity=config.schemas[e["entity"]].label(lang),
                     row=e["header_row"], records=e["records"])
        table = RichTable(title=title, title_justify="left")
        for head in ("cli.map_column", "cli.map_header", "cli.map_field", "cli.map_how"):
            table.add_column(text(head, lang))
        for c in e["columns"]:
            table.add_row(c["letter"], c["header"].replace("\n", " / "), c["field"] or "-", c["note"])
        console.print(table)
        if e["missing"]:
            console.print(text("cli.map_missing", lang, fields=", ".join(e["missing"])))
    if out is not None:
        try:
            with atomic_open(out) as fh:
                fh.write(mapping_yaml(entries))
        except OSError as exc:
            raise InputError("cli.cannot_write", path=str(out), error=exc.strerror or str(exc)) from None
        click.echo(text("cli.written", lang, path=out), err=True)
    sys.exit(2 if failed else 0)


@main.command()
@click.argument("code", required=False)
@LANG_OPTION
@handle_errors
def rules(code: str | None, lang: str | None) -> None:
    """List every rule, or explain one rule CODE (what, why, examples, how to fix)."""
    from rich.console import Console
    from rich.table import Table

    from dataquality.checks.plugins import load_plugins
    from dataquality.checks.registry import REGISTRY, active_rules, doc_sections

    lang = normalise_lang(lang)
    load_plugins()  # company rules installed as packages (entry point group dataquality.rules)
    console = Console(highlight=False)
    if code is None:
        table = Table(title=text("cli.rules_header", lang, n=len(list(active_rules()))))
        for col in ("Code", "Name", text("cli.rule_severity", lang), text("cli.rule_fixable", lang), text("engine.engines_header", lang),
                    text("rules_list.origin", lang), ""):
            table.add_column(col)
        for rule in active_rules():
            table.add_row(rule.code, rule.name, text(f"severity.{rule.severity.value}", lang),
                          text("cli.answer_yes" if rule.fixable else "cli.answer_no", lang), engines_label(rule, lang),
                          rule.origin, text(f"rules.{rule.code}.title", lang))
        console.print(table)
        return
    found = REGISTRY.get(code.upper())
    if found is None:
        click.echo(f"dq: {text('cli.unknown_rule', lang, code=code)}", err=True)
        sys.exit(EXIT_USAGE)
    rule = found
    doc = doc_sections(rule.doc)
    from dataquality.i18n import has

    # The docstring is the English; rule_doc.yaml holds the Chinese (a test keeps them in step).
    said = lambda part, english: text(f"rule_doc.{rule.code}.{part}", lang) if has(f"rule_doc.{rule.code}.{part}") else english  # noqa: E731
    lines = [
        f"{rule.code} {rule.name}: {text(f'rules.{rule.code}.title', lang)}",
        "",
        said("summary", doc.summary),
        "",
        f"{text('cli.rule_severity', lang)}: {text(f'severity.{rule.severity.value}', lang)}",
        f"{text('cli.rule_scope', lang)}: {text(f'scope.{rule.scope}', lang)}",
        f"{text('cli.rule_fixable', lang)}: {text('cli.answer_yes' if rule.fixable else 'cli.answer_no', lang)}",
        f"{text('engine.line', lang)}: {engines_label(rule, lang)}",
        f"{text('rules_list.origin', lang)}: {rule.origin}",
        f"{text('cli.rule_why', lang)}: {said('why', doc.why)}",
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
    from dataquality.pipeline import Reports, run_stages
    from dataquality.report import writers

    # The console summary, and every other format too, so a newcomer can open the HTML report and
    # the annotated workbooks.
    formats = tuple(name for name in writers() if name != "console")
    done = run_stages(Config.load(), files, lang, reports=Reports(formats, ReportOptions(lang=lang, out=folder / "reports", quiet=True)))
    write_reports(done.result, ["console"], ReportOptions(lang=lang, limit=25))
    written = done.written
    click.echo(text("cli.demo_reports", lang, folder=folder / "reports", n=len(written)))
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
    from dataquality.cli_approve import init_key

    init_key(folder, lang)
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
@click.option("--limit", type=click.IntRange(0, 2**31 - 1), default=20, show_default=True, help="Issues shown on the console.")
@click.option("--quiet", "-q", is_flag=True, help="Only the one-line summary.")
@LANG_OPTION
@handle_errors
def check(config_path: Path, fail_on: str | None, formats: str | None, wait_seconds: float | None, limit: int,
          quiet: bool, lang: str | None) -> None:
    """Nightly check of a project: all entities, approvals, issue numbers and ages, reports in reports/<time>/."""
    from dataquality import progress
    from dataquality.check import run_check
    from dataquality.report import ReportOptions, write_reports

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
    from dataquality.cli_approve import check_head

    check_head(project, outcome.run_dir, lang)
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

    from dataquality.track.history import list_issues
    from dataquality.track.project import open_project_store
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
    from dataquality.track.history import issue_detail
    from dataquality.track.project import open_project_store
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
@click.option("--limit", type=click.IntRange(0, 2**31 - 1), default=30, show_default=True, help="The last N runs.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@LANG_OPTION
@handle_errors
def history(config_path: Path, limit: int, as_json: bool, lang: str | None) -> None:
    """The trend: issues per run by severity and department, oldest first."""
    import json

    from dataquality.track.history import history as run_history
    from dataquality.track.project import open_project_store
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
        if written:
            from dataquality.report.corrections import index_path

            click.echo(text("cli.written", lang, path=index_path(out)), err=True)

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


# Tiered approval (issue 4): dq changes [show|submit], dq approvals [list|import], dq approve,
# dq reject, dq apply, dq audit [verify|export]. The library is dataquality/approve/.
# ---------------------------------------------------------------------------------------------


def db_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--db URL and --state-dir: which approval database (SQLite in .dq/ unless a URL is given)."""
    fn = click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                      help="State folder holding dq.db (default: .dq in the current folder).")(fn)
    fn = click.option("--db", envvar="DQ_DB", default=None,
                      help="SQLAlchemy URL of the approval database, e.g. postgresql+psycopg://user@host/db (env DQ_DB; default: .dq/dq.db).")(fn)
    return fn


USER_OPTION = click.option("--user", "--by", "-u", "user", required=True, envvar="DQ_USER",
                           help="Who you are: a person of the staff list with a dq account (dq users add); your password is asked (env DQ_USER).")


def _policy_and_config(schemas_dir: Path | None, rules_dir: Path | None) -> tuple[Config, Any]:
    from dataquality.approve.tiers import ApprovalPolicy

    config = Config.load(schemas_dir, rules_dir)
    return config, ApprovalPolicy.load(config=config)


def _store(db: str | None, state_dir: Path | None, policy: Any, create: bool = True, read_only: bool = False,
           write: bool = True) -> Any:
    """The opened approval store; with create=False, None when the default SQLite file does not exist yet."""
    from dataquality.approve.issues import resolve_url
    from dataquality.approve.stores import open_approval_store
    from dataquality.store import DEFAULT_STATE_DIR

    if state_dir is not None and not state_dir.is_dir():  # a typo must not create a second, empty state
        raise DQError("state.no_state_dir", path=str(state_dir))
    url = resolve_url(db, policy, state_dir or DEFAULT_STATE_DIR)
    missing = url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()
    if missing and not create:
        return None
    if missing and read_only:  # reading an approval database that is not there: say so, create nothing
        raise DQError("state.no_database", path=url.removeprefix("sqlite:///"))
    return open_approval_store(url, state_dir or DEFAULT_STATE_DIR, write=write and not read_only)


def _print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(escape("" if v is None else str(v)) for v in row))
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 200  # piped or redirected: keep whole values rather than fold them to 80 columns
    console.print(table)


def _view_dict(v: Any, lang: str) -> dict[str, Any]:
    return {
        "id": v.id, "entity": v.entity, "key": v.key, "field": v.field, "kind": v.kind, "old": v.old, "new": v.new,
        "tier": v.tier, "requested_by": v.requested_by, "required": list(v.required),
        "present": [f"{p} ({r})" for p, r in v.present], "stale": [f"{p} ({r})" for p, r in v.stale],
        "missing": list(v.missing), "status": v.status, "status_text": text(f"changes.status.{v.status}", lang),
    }


class _DefaultGroup(click.Group):
    """A group whose `default` subcommand runs when the first argument is not a subcommand name,
    so `dq changes INCOMING --baseline B` means `dq changes show INCOMING --baseline B`."""

    default = "show"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@main.group(cls=_DefaultGroup)
def changes() -> None:
    """The change set between the approved master (--baseline) and an incoming file; submit it for approval."""


def _change_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--requested-by", default=None, help="Requester of the changes when the file has no 申请人 (requested_by) column.")(fn)
    fn = click.option("--baseline", "-b", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The last approved master.")(fn)
    fn = click.argument("incoming", type=click.Path(path_type=Path, dir_okay=False))(fn)
    return fn


@changes.command("show")
@_change_options
@click.option("--format", "-f", "fmt", type=click.Choice(["console", "json"]), default="console", show_default=True)
@click.option("--all", "show_all", is_flag=True, help="Also list tier-0 changes (needing no approval) in the table.")
@db_options
@config_options
@LANG_OPTION
@handle_errors
def changes_show(incoming: Path, baseline: Path, requested_by: str | None, fmt: str, show_all: bool, db: str | None,
                 state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """Show each change: old and new value, tier, required roles, approvals present and status."""
    import json

    from dataquality.approve.workflow import decide_for_changes
    from dataquality.pipeline import change_set

    lang = normalise_lang(lang)
    config, policy = _policy_and_config(schemas_dir, rules_dir)
    found = change_set(config, incoming, baseline, lang, policy=policy, requested_by=requested_by).result.changes
    store = _store(db, state_dir, policy, create=False)
    try:
        states = decide_for_changes(store, policy, found)
    finally:
        if store is not None:
            store.close()
    records: list[dict[str, Any]] = []
    for c in found:
        state = states.get(c.ident)
        status = "none" if c.tier == 0 else (state.status if state else "pending")
        records.append({
            "entity": c.entity, "key": c.key, "field": c.field, "kind": c.kind, "old": c.old, "new": c.new, "tier": c.tier,
            "required": [r.code for r in policy.required_roles(c.tier)],
            "present": [f"{p} ({r})" for p, r in state.present] if state else [],
            "missing": list(state.missing) if state else [r.code for r in policy.required_roles(c.tier)],
            "status": status, "request": state.id if state else None, "requested_by": c.requested_by,
            "file": c.file, "sheet": c.sheet, "row": c.row,
        })
    if fmt == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        click.echo(text("changes.none_found", lang))
        return
    shown = [r for r in records if show_all or r["tier"] > 0 or r["kind"] != "change"]
    cols = ["entity", "key", "field", "kind", "old", "new", "tier", "required", "present", "status"]
    _print_table(text("changes.title", lang, n=len(records), sensitive=sum(1 for r in records if r["tier"] > 0)),
                 [text(f"changes.col.{c}", lang) for c in cols],
                 [[r["entity"], r["key"], r["field"], text(f"changes.kind.{r['kind']}", lang), r["old"], r["new"], r["tier"],
                   ", ".join(r["required"]), ", ".join(r["present"]), text(f"changes.status.{r['status']}", lang)] for r in shown])


@changes.command("submit")
@_change_options
@db_options
@config_options
@LANG_OPTION
@handle_errors
def changes_submit(incoming: Path, baseline: Path, requested_by: str | None, db: str | None, state_dir: Path | None,
                   schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """Record the change set as change requests (each needing approval), with an audit row each."""
    from dataquality.approve.apply import sha256_of
    from dataquality.approve.workflow import submit
    from dataquality.pipeline import change_set

    lang = normalise_lang(lang)
    config, policy = _policy_and_config(schemas_dir, rules_dir)
    done = change_set(config, incoming, baseline, lang, policy=policy, requested_by=requested_by)
    found, inc = done.result.changes, done.result.tables
    info = {"incoming_path": str(incoming.resolve()), "incoming_sha256": sha256_of(incoming),
            "baseline_path": str(baseline.resolve()), "baseline_sha256": sha256_of(baseline),
            "entities": sorted({t.entity for t in inc})}
    store = _store(db, state_dir, policy)
    try:
        res = submit(store, found, info, by=requested_by, directory=policy.directory())
    finally:
        store.close()
    click.echo(text("changes.submitted", lang, id=res.submission_id, created=len(res.created), revised=len(res.revised),
                    unchanged=len(res.unchanged), withdrawn=len(res.withdrawn), free=res.no_approval))


@main.group()
def approvals() -> None:
    """Change requests and their approvals: list them, or import decisions from an approvals sheet."""


@approvals.command("list")
@click.option("--pending", is_flag=True, help="Only requests still waiting for approval.")
@click.option("--role", default=None, help="Only pending requests still missing this role (L1, L2, L3 or 部门经理/财务总监/总经理).")
@click.option("--entity", default=None, help="Only requests of this entity (customer, product).")
@click.option("--format", "-f", "fmt", type=click.Choice(["console", "json"]), default="console", show_default=True)
@db_options
@config_options
@LANG_OPTION
@handle_errors
def approvals_list(pending: bool, role: str | None, entity: str | None, fmt: str, db: str | None, state_dir: Path | None,
                   schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """List change requests with tier, required roles, approvals present and status."""
    import json

    from dataquality.approve.workflow import list_requests

    lang = normalise_lang(lang)
    _, policy = _policy_and_config(schemas_dir, rules_dir)
    store = _store(db, state_dir, policy, read_only=True)
    try:
        found = list_requests(store, policy, pending=pending, role=role, entity=entity)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps([_view_dict(v, lang) for v in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(text("approvals.none", lang))
        return
    stale = text("approvals.stale", lang)
    cols = ["id", "entity", "key", "field", "old", "new", "tier", "requester", "required", "present", "missing", "status"]
    _print_table(text("approvals.title", lang, n=len(found)), [text(f"changes.col.{c}", lang) for c in cols], [
        [v.id, v.entity, v.key, v.field, v.old, v.new, v.tier, v.requested_by, ", ".join(v.required),
         ", ".join([f"{p} ({r})" for p, r in v.present] + [f"{p} ({r}, {stale})" for p, r in v.stale]),
         ", ".join(v.missing), text(f"changes.status.{v.status}", lang)] for v in found])


@approvals.command("import")
@click.argument("sheet", type=click.Path(path_type=Path, dir_okay=False))
@USER_OPTION
@db_options
@config_options
@LANG_OPTION
@handle_errors
def approvals_import(sheet: Path, user: str, db: str | None, state_dir: Path | None, schemas_dir: Path | None,
                     rules_dir: Path | None, lang: str | None) -> None:
    """Record an approvals sheet's decisions (entity, key, field, new value, approver, role, decision, date)
    as entered by you (--user, signed in) on the approvers' behalf; refused lines are listed."""
    from dataquality.approve.sheet import import_sheet

    lang = normalise_lang(lang)
    config, policy = _policy_and_config(schemas_dir, rules_dir)
    store = _store(db, state_dir, policy)
    try:
        importer = sign_in(store, policy, user, lang)
        outcomes = import_sheet(store, policy, config, sheet, lang, importer=importer)
    finally:
        store.close()
    for o in outcomes:
        line = text("sheet.line", lang, row=o.row, id=o.request_id or "-", text=text(o.key, lang, **o.params))
        click.echo(("  " if o.ok else "! ") + line)
    refused = sum(1 for o in outcomes if not o.ok)
    click.echo(text("sheet.summary", lang, ok=len(outcomes) - refused, refused=refused))


def sign_in(store: Any, policy: Any, user: str, lang: str) -> Any:
    """The signed-in account of --user: the password is read from the terminal (or one line of stdin)."""
    from dataquality.approve.accounts import authenticate

    password = click.prompt(text("accounts.password_prompt", lang, name=user), hide_input=True, err=True,
                            default="", show_default=False)
    return authenticate(store, policy, user, password)


def _echo_view(v: Any, lang: str) -> None:
    none = text("approve.nothing", lang)
    click.echo(text("approve.done", lang, id=v.id, status=text(f"changes.status.{v.status}", lang),
                    present=", ".join(f"{p} ({r})" for p, r in v.present) or none, missing=", ".join(v.missing) or none))


@main.command()
@click.argument("request_id", type=REQUEST_ID)
@USER_OPTION
@click.option("--role", default=None, help="The level approved as: L1, L2, L3 (or 部门经理 / 财务总监 / 总经理); default: your account's only role.")
@click.option("--comment", default=None, help="A note kept in the audit log.")
@db_options
@config_options
@LANG_OPTION
@handle_errors
def approve(request_id: int, user: str, role: str | None, comment: str | None, db: str | None, state_dir: Path | None,
            schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """Approve change request ID at one level, signed in as --user (your password is asked)."""
    from dataquality.approve import acting

    lang = normalise_lang(lang)
    _, policy = _policy_and_config(schemas_dir, rules_dir)
    store = _store(db, state_dir, policy)
    try:
        acting.known_role(policy, role)
        account = sign_in(store, policy, user, lang)
        _echo_view(acting.approve_as(store, policy, account, request_id, role, comment, source="cli"), lang)
    finally:
        store.close()


@main.command()
@click.argument("request_id", type=REQUEST_ID)
@USER_OPTION
@click.option("--reason", required=True, help="Why (kept in the audit log and the held-back sheet).")
@click.option("--role", default=None, help="The level rejecting (default: your account's only role).")
@db_options
@config_options
@LANG_OPTION
@handle_errors
def reject(request_id: int, user: str, reason: str, role: str | None, db: str | None, state_dir: Path | None,
           schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """Reject change request ID, signed in as --user: final; the change never reaches the master."""
    from dataquality.approve import acting

    lang = normalise_lang(lang)
    _, policy = _policy_and_config(schemas_dir, rules_dir)
    store = _store(db, state_dir, policy)
    try:
        acting.known_role(policy, role)
        account = sign_in(store, policy, user, lang)
        _echo_view(acting.reject_as(store, policy, account, request_id, reason, role, source="cli"), lang)
    finally:
        store.close()


@main.command("apply")
@click.argument("incoming", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--baseline", "-b", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The last approved master (with INCOMING; default: the files of the latest submission).")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The new approved master (.xlsx).")
@click.option("--submission", type=REQUEST_ID, default=None, help="Apply this submission's files instead of the latest.")
@click.option("--by", default=None, help="Who applies, a person of the staff list (kept in the audit log).")
@db_options
@config_options
@LANG_OPTION
@handle_errors
def apply_cmd(incoming: Path | None, baseline: Path | None, out: Path, submission: int | None, by: str | None,
              db: str | None, state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """Write the new approved master: approved changes applied, the rest kept at the baseline value and listed."""
    from dataquality.approve.apply import ApplyError, apply, latest_submission

    lang = normalise_lang(lang)
    config, policy = _policy_and_config(schemas_dir, rules_dir)
    store = _store(db, state_dir, policy)
    try:
        if incoming is None:
            sub = latest_submission(store, submission)
            incoming, baseline = Path(sub["incoming_path"]), Path(sub["baseline_path"])
        elif baseline is None:
            raise ApplyError("apply.need_baseline")
        by = policy.directory().person(by).name if by else None
        res = apply(store, policy, config, out, incoming, baseline, by=by, lang=lang)
    finally:
        store.close()
    records = ", ".join(f"{config.schemas[e].label(lang)} {n}" for e, n in res.records.items())
    click.echo(text("apply.done", lang, file=res.out, records=records, applied=len(res.applied), held=len(res.held),
                    sheet=text("apply.held_sheet", lang)))


@main.group()
def audit() -> None:
    """The append-only, hash-chained audit log of requests, approvals, rejections and applies."""


@audit.command("verify")
@click.option("--expect-head", default=None, metavar="SEQ:SEAL",
              help="The head printed by an earlier dq check or dq audit verify: fail if the log no longer reaches it (truncated, rolled back, deleted).")
@db_options
@config_options
@LANG_OPTION
@handle_errors
def audit_verify(expect_head: str | None, db: str | None, state_dir: Path | None, schemas_dir: Path | None,
                 rules_dir: Path | None, lang: str | None) -> None:
    """Check the keyed chain, the state tables against it and the triggers; exit 1 and name every problem."""
    from dataquality.approve import audit as audit_log
    from dataquality.cli_approve import print_head

    lang = normalise_lang(lang)
    if expect_head is not None:
        audit_log.parse_head(expect_head)
    _, policy = _policy_and_config(schemas_dir, rules_dir)
    store = _store(db, state_dir, policy, read_only=True, write=False)
    try:
        with store.transaction() as conn:
            count, problems = audit_log.verify(conn, expect_head=expect_head)
        print_head(store, lang)
    finally:
        store.close()
    if not problems:
        click.echo(text("audit.ok", lang, n=count))
        return
    click.echo(text("audit.bad", lang, n=len(problems), rows=count))
    for p in problems:
        click.echo("  " + p.message(lang))
    sys.exit(1)


@audit.command("export")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path, dir_okay=False), help="An .xlsx or .csv file.")
@db_options
@config_options
@LANG_OPTION
@handle_errors
def audit_export(out: Path, db: str | None, state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None,
                 lang: str | None) -> None:
    """Write the whole audit log to an .xlsx or .csv file."""
    from dataquality.approve import audit as audit_log

    lang = normalise_lang(lang)
    _, policy = _policy_and_config(schemas_dir, rules_dir)
    store = _store(db, state_dir, policy, read_only=True)
    try:
        with store.transaction() as conn:
            n = audit_log.export(conn, out)
    finally:
        store.close()
    click.echo(text("audit.exported", lang, n=n, file=out))


# Accounts and the web inbox (issue 14): dq users, dq serve.
from dataquality.cli_approve import register as _register_approval_web  # noqa: E402

_register_approval_web(main)

main.add_command(export)
