"""dq rules (the rule catalogue) and dq demo (sample workbooks, validated)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dataquality.cli.engines import engines_label
from dataquality.cli.options import handle_errors, lang_option, quiet_option
from dataquality.errors import EXIT_USAGE
from dataquality.i18n import text
from dataquality.paths import shown
from dataquality.terminal import echo


@click.command()
@click.argument("code", required=False)
@lang_option
@handle_errors
def rules(code: str | None, lang: str) -> None:
    """List every rule, or explain one rule CODE (what, why, examples, how to fix)."""
    from dataquality.checks.plugins import load_plugins
    from dataquality.checks.registry import REGISTRY, active_rules, doc_sections
    from dataquality.i18n import has
    from dataquality.terminal import console as make_console

    load_plugins()  # company rules installed as packages (entry point group dataquality.rules)
    console = make_console(highlight=False)
    if code is None:
        _rule_list(console, list(active_rules()), lang)
        return
    rule = REGISTRY.get(code.upper())
    if rule is None:
        echo(f"dq: {text('cli.unknown_rule', lang, code=code)}", err=True)
        sys.exit(EXIT_USAGE)
    doc = doc_sections(rule.doc)

    # The docstring is the English; rule_doc.yaml holds the Chinese (a test keeps them in step).
    def said(part: str, english: str) -> str:
        key = f"rule_doc.{rule.code}.{part}"
        return text(key, lang) if has(key) else english

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
    echo("\n".join(lines))


RULES_TABLE_WIDTH = 150  # narrower (or no terminal: a CI log) and the table would fold its headers


def _rule_list(console: Any, found: list[Any], lang: str) -> None:
    """Every rule: a table on a wide terminal, else a line per rule and one of details."""
    from rich.markup import escape
    from rich.table import Table

    from dataquality.terminal import narrow, print_records

    title = text("cli.rules_header", lang, n=len(found))
    heads = ("Code", "Name", text("cli.rule_severity", lang), text("cli.rule_fixable", lang),
             text("engine.engines_header", lang), text("rules_list.origin", lang))
    if narrow(console, RULES_TABLE_WIDTH):
        records = []
        for rule in found:
            details = (rule.name, f"{heads[3]}: {text('cli.answer_yes' if rule.fixable else 'cli.answer_no', lang)}",
                       f"{heads[4]}: {engines_label(rule, lang)}", f"{heads[5]}: {rule.origin}")
            records.append((f"[bold]{rule.code}[/]  {escape(text(f'severity.{rule.severity.value}', lang))}  "
                            f"{escape(text(f'rules.{rule.code}.title', lang))}", ["  ·  ".join(details)]))
        print_records(console, title, records)
        return
    table = Table(title=title)
    for i, col in enumerate((*heads, "")):
        table.add_column(col, no_wrap=i in (0, 2, 3))
    for rule in found:
        table.add_row(rule.code, rule.name, text(f"severity.{rule.severity.value}", lang),
                      text("cli.answer_yes" if rule.fixable else "cli.answer_no", lang), engines_label(rule, lang),
                      rule.origin, text(f"rules.{rule.code}.title", lang))
    console.print(table)


@click.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False), default=Path("dq-demo"))
@lang_option
@quiet_option("Only write the sample files.")
@handle_errors
def demo(folder: Path, lang: str, quiet: bool) -> None:
    """Write realistic sample customer and product workbooks (problems planted) and validate them."""
    from dataquality.config import Config
    from dataquality.demo import write_demo
    from dataquality.pipeline import Reports, run_stages
    from dataquality.report import ReportOptions, write_reports, writers

    files = write_demo(folder)
    echo(text("cli.demo_written", lang, folder=shown(folder), files=", ".join(p.name for p in files)))
    if quiet:
        return
    # The console summary, and every other format too, so a newcomer can open the HTML report and
    # the annotated workbooks.
    formats = tuple(name for name in writers() if name != "console")
    done = run_stages(Config.load(), files, lang, reports=Reports(formats, ReportOptions(lang=lang, out=folder / "reports", quiet=True)))
    write_reports(done.result, ["console"], ReportOptions(lang=lang, limit=25))
    written = done.written
    echo(text("cli.demo_reports", lang, folder=shown(folder / "reports"), n=len(written)))
    echo(text("cli.demo_next", lang, file=shown(files[0])))


def register(main: click.Group) -> None:
    main.add_command(rules)
    main.add_command(demo)
