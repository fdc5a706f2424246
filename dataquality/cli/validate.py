"""dq validate, dq map, dq corrections: check files and write what was found."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dataquality.cli.changes import DefaultGroup
from dataquality.cli.engines import engine_options, run_any
from dataquality.cli.options import (
    COUNT,
    baseline_option,
    config_option,
    format_option,
    handle_errors,
    input_limits,
    lang_option,
    optional_project,
    out_option,
    quiet_option,
    report_formats,
    require_files,
    rules_options,
    started_sources,
)
from dataquality.i18n import text
from dataquality.paths import shown
from dataquality.terminal import echo
from dataquality.thresholds import FAIL_ON

FORMATS_HELP = "Comma-separated report formats: console, json, html, xlsx (annotated copy of each workbook), junit, corrections."


@click.command()
@click.argument("files", nargs=-1, required=False, type=click.Path(path_type=Path))
@format_option(None, "console", FORMATS_HELP, several=True)
@out_option("folder", "where the report files go (without it JSON goes to standard output and other files to ./dq-report).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True, help="Exit 1 when issues of this severity or worse are found.")
@click.option("--limit", type=COUNT, default=50, show_default=True, help="Issues shown on the console.")
@quiet_option()
@config_option
@rules_options
@engine_options
@click.option("--reference", "references", multiple=True, metavar="LIST=FILE.xlsx#SHEET",
              help="Read a reference list (staff, departments, provinces) from a workbook sheet; repeatable.")
@baseline_option("The last approved master: report unapproved sensitive changes against it (APR001).")
@click.option("--db", envvar="DQ_DB", default=None, help="Approval database URL (default: the project's database, else .dq/dq.db; env DQ_DB).")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A mapping file (dq map FILE -o mapping.yaml) saying which column holds which field; repeatable.")
@lang_option
@handle_errors
def validate(files: tuple[Path, ...], fmt: str, out: Path | None, fail_on: str, limit: int, quiet: bool,
             config_path: Path | None, schemas_dir: Path | None, rules_dir: Path | None, references: tuple[str, ...],
             baseline: Path | None, db: str | None, mapping_files: tuple[Path, ...], lang: str, engine: str,
             sources: tuple[str, ...], entity: str | None) -> None:
    """Check customer, supplier and product files (xlsx, xlsm, xls, csv, parquet) or database tables (--source) against the schemas and rules."""
    # The workbooks are judged and loaded while the rest of dq is imported.
    workbooks = started_sources(files) if engine == "pandas" and not sources else {}
    from dataquality import progress
    from dataquality.pipeline import Reports
    from dataquality.report import ReportOptions, write_reports
    from dataquality.track.workspace import configuration, workspace

    names = report_formats(fmt, lang)
    if quiet and names == ["console"]:
        names = []
    project = optional_project()
    config = configuration(project, schemas_dir, rules_dir)
    require_files(files)  # after the configuration: a broken rules.yaml is said first
    if baseline is not None and project is not None:  # the approvals of the project's database
        db = workspace(project, db, None, schemas_dir, rules_dir).url
    if references:
        from dataquality.references import with_reference_sheets

        config = with_reference_sheets(config, references, input_limits())
    mappings = None
    if mapping_files:
        from dataquality.load.mapping import read_mappings

        mappings = read_mappings(list(mapping_files), config)
    options = ReportOptions(lang=lang, out=out, limit=limit, quiet=quiet, fail_on=fail_on)
    files_first = Reports(tuple(n for n in names if n != "console"), options)
    with progress.status(quiet) as say:
        done = run_any(config, list(files), lang, say, baseline, db, engine, sources, entity, mappings, files_first,
                       workbooks)
    result, written = done.result, done.written
    # The console report prints after the spinner has gone, so the two never interleave.
    written += write_reports(result, [n for n in names if n == "console"], options)
    if not quiet:
        for path in written:
            echo(text("cli.written", lang, path=shown(path)), err=True)
        if "console" not in names:  # the counts, which the console report would have headed
            echo(text("console.headline", lang, errors=result.count("error"), warnings=result.count("warning"),
                            infos=result.count("info")), err=True)
    say_unreadable(result, lang)
    sys.exit(result.exit_code(fail_on))


def say_unreadable(result: Any, lang: str) -> None:
    """One line on stderr for each input that could not be read (it is in the reports too)."""
    for issue in result.issues:
        if issue.rule == "FIL005":
            problem = issue.params.get("problem")
            said = problem.get(lang, problem.get("en")) if isinstance(problem, dict) else str(problem)
            echo(f"dq: {said}", err=True)


@click.command("map")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_option("file", "the mapping as a YAML file to edit, then use it with dq validate --mapping.")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Apply an existing mapping file first (to review it).")
@config_option
@rules_options
@lang_option
@handle_errors
def map_columns(files: tuple[Path, ...], out: Path | None, mapping_files: tuple[Path, ...], config_path: Path | None,
                schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Show how each sheet's columns map to fields (entity, header row, how each matched, suggestions)."""
    from rich.markup import escape
    from rich.table import Table as RichTable

    from dataquality.errors import InputError
    from dataquality.fileio import atomic_open
    from dataquality.load import read_file
    from dataquality.load.mapping import file_pattern, mapping_yaml, read_mappings, sheet_entries
    from dataquality.load.source import WorkbookSource
    from dataquality.terminal import console as make_console
    from dataquality.track.workspace import configuration

    config = configuration(optional_project(), schemas_dir, rules_dir)
    mappings = read_mappings(list(mapping_files), config) if mapping_files else None
    limits = input_limits()
    entries = []
    failed = False
    for path in files:
        try:
            read = read_file(WorkbookSource(path, limits), config, lang, mappings=mappings)
        except InputError as exc:
            echo(f"dq: {exc.message(lang)}", err=True)
            failed = True
            continue
        for problem in read.problems:
            said = problem.params["problem"]
            echo(f"dq: {said.get(lang, said['en'])}", err=True)
            failed = failed or not read.tables
        # The mapping is written for the file's layout in every period: its date generalised.
        entries += [dict(e, path=str(path), name=e["file"], file=file_pattern(e["file"]))
                    for e in sheet_entries(read.tables, config, lang)]
    console = make_console(highlight=False)
    for e in entries:
        title = text("cli.map_title", lang, file=e["name"], sheet=e["sheet"] or "-", entity=config.schemas[e["entity"]].label(lang),
                     row=e["header_row"], records=e["records"])
        table = RichTable(title=escape(title), title_justify="left")
        for head in ("cli.map_column", "cli.map_header", "cli.map_field", "cli.map_how"):
            table.add_column(text(head, lang))
        for c in e["columns"]:
            # Headers are data: shown as written, never read as rich markup ([link=...]).
            table.add_row(c["letter"], escape(c["header"].replace("\n", " / ")), c["field"] or "-", escape(c["note"]))
        console.print(table)
        if e["missing"]:
            console.print(escape(text("cli.map_missing", lang, fields=", ".join(e["missing"]))))
        if out is not None:
            console.print(escape(text("cli.map_pattern", lang, pattern=e["file"])))
    if out is not None:
        try:
            with atomic_open(out) as fh:
                fh.write(mapping_yaml(entries))
        except OSError as exc:
            raise InputError("cli.cannot_write", path=str(out), error=exc.strerror or str(exc)) from None
        echo(text("cli.written", lang, path=shown(out)), err=True)
    sys.exit(2 if failed else 0)


class _WriteByDefault(DefaultGroup):
    """`dq corrections FILES` means `dq corrections write FILES` (as before `import` came)."""

    default = "write"


@click.group(cls=_WriteByDefault)
def corrections() -> None:
    """Correction lists per department: write them (the default: dq corrections FILES) and import them when they come back filled in."""


@corrections.command("write")
@click.argument("files", nargs=-1, required=False, type=click.Path(path_type=Path))
@out_option("folder", "one <department>.xlsx per department.", default=Path("corrections"))
@config_option
@rules_options
@lang_option
@quiet_option("No progress and no summary line.")
@handle_errors
def corrections_write(files: tuple[Path, ...], out: Path, config_path: Path | None, schemas_dir: Path | None,
                      rules_dir: Path | None, lang: str, quiet: bool) -> None:
    """Write one correction list per department (销售部.xlsx, 财务部.xlsx, ...) with its issues to fix; inside a project FILES default to its data and the issues carry their DQ numbers."""
    from dataquality import progress
    from dataquality.errors import DQError
    from dataquality.pipeline import run
    from dataquality.report.corrections import index_path, write_lists
    from dataquality.track.workspace import configuration

    project = optional_project()
    config = configuration(project, schemas_dir, rules_dir)
    if not files and project is None:
        raise click.UsageError(text("corrections.need_files", lang))
    require_files(files)
    inputs = list(files) or [f for found in project.input_files().values() for f in found]
    with progress.status(quiet) as say:
        result = run(config, inputs, lang, progress=say, limits=input_limits())
    if project is not None:
        from dataquality.track.history import number_issues
        from dataquality.track.project import open_project_store

        with open_project_store(project) as store:
            result.issues, unknown = number_issues(store, result.issues, project.issue_prefix)
        if unknown:
            raise DQError("corrections.not_numbered", n=len(unknown), config=str(project.path))
    elif not quiet:
        echo(text("corrections.untracked", lang), err=True)
    written = write_lists(result, out, lang)
    if not quiet:
        key = "corrections.written" if written else "corrections.none"
        echo(text(key, lang, n=len(written), folder=shown(out)), err=True)
        for path in written:
            echo(text("cli.written", lang, path=shown(path)), err=True)
        if written:
            echo(text("cli.written", lang, path=shown(index_path(out))), err=True)


@corrections.command("import")
@click.argument("lists", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_option("folder", "the corrected masters, the proposed copies behind change requests (requests/) and import-outcome.csv.",
            default=Path("corrected"))
@config_option
@lang_option
@handle_errors
def corrections_import(lists: tuple[Path, ...], out: Path, config_path: Path | None, lang: str) -> None:
    """Read filled correction lists back: values that pass the rules go into a corrected master, sensitive ones become change requests (the department head as requester), the rest are refused with the reason."""
    from dataquality.errors import DQError
    from dataquality.returned.apply import import_lists
    from dataquality.track.tracker import format_number
    from dataquality.track.workspace import workspace

    project = optional_project()
    if project is None:
        raise DQError("returned.needs_project")
    done = import_lists(project, list(lists), out, lang, workspace(project), input_limits())
    echo(text("returned.summary", lang, rows=len(done.corrections) + done.skipped, applied=done.count("applied"),
                    requested=done.count("requested"), refused=done.count("refused"), skipped=done.skipped))
    for c in done.corrections:
        number = format_number(c.number, project.issue_prefix) if c.number is not None else c.row.number
        if c.outcome == "refused":
            echo(text("returned.refused_line", lang, number=number, where=c.row.where, reason=c.reason))
        elif c.outcome == "requested":
            echo(text("returned.requested_line", lang, number=number, request=c.request_id, head=c.requester))
    for path in done.written:
        echo(text("cli.written", lang, path=shown(path)), err=True)
    sys.exit(1 if done.count("refused") else 0)


def register(main: click.Group) -> None:
    for command in (validate, map_columns, corrections):
        main.add_command(command)
