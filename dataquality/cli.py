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
from dataquality.pipeline import FAIL_ON, run

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
    fn = click.option("--out", "-o", type=click.Path(path_type=Path, file_okay=False), default=None, help="Folder for report files (JSON goes to standard output without it).")(fn)
    fn = click.option("--format", "-f", "formats", default="console", show_default=True, help="Comma-separated report formats.")(fn)
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
@LANG_OPTION
@handle_errors
def validate(files: tuple[Path, ...], formats: str, out: Path | None, fail_on: str, limit: int, quiet: bool,
             schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """Check customer and/or product files (xlsx, xlsm, xls, csv) against the schemas and rules."""
    from dataquality import progress
    from dataquality.report import ReportOptions, write_reports

    lang = normalise_lang(lang)
    names = _formats(formats, lang)
    if quiet and names == ["console"]:
        names = []
    config = Config.load(schemas_dir, rules_dir)
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
                          text("cli.yes" if rule.fixable else "cli.no", lang), text(f"rules.{rule.code}.title", lang))
        console.print(table)
        return
    rule = REGISTRY.get(code.upper())
    if rule is None:
        click.echo(f"dq: {text('cli.unknown_rule', lang, code=code)}", err=True)
        sys.exit(EXIT_USAGE)
    doc = doc_sections(rule.doc)
    lines = [
        f"{rule.code} {rule.name}: {text(f'rules.{rule.code}.title', lang)}",
        "",
        doc.summary,
        "",
        f"{text('cli.rule_severity', lang)}: {text(f'severity.{rule.severity.value}', lang)}",
        f"{text('cli.rule_scope', lang)}: {text(f'scope.{rule.scope}', lang)}",
        f"{text('cli.rule_fixable', lang)}: {text('cli.yes' if rule.fixable else 'cli.no', lang)}",
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
