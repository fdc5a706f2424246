"""dq fix (the corrections that are certain) and dq template (an import template from a schema)."""

from __future__ import annotations

from pathlib import Path

import click

from dataquality.cli.options import (
    config_option,
    handle_errors,
    input_limits,
    lang_option,
    optional_project,
    out_option,
    require_files,
    rules_options,
    started_sources,
)
from dataquality.i18n import text
from dataquality.paths import shown
from dataquality.terminal import echo


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@out_option("file", "the fixed copy (.xlsx for workbooks, .csv for CSV); the input is never modified.",
            aliases=("--output",))
@click.option("--dry-run", is_flag=True, help="Only print what would change; write nothing.")
@click.option("--only-reported", is_flag=True,
              help="Change only what dq validate reports as fixable (leave synonyms and numbers typed as text, ENM002/TYP005, as they are).")
@config_option
@rules_options
@lang_option
@handle_errors
def fix(file: Path, out: Path | None, dry_run: bool, only_reported: bool, config_path: Path | None,
        schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Apply the corrections that are certain (spaces, full-width, synonyms, numbers as text, phone format)."""
    require_files([file])
    workbooks = started_sources([file])  # judged and loaded while the rest of dq is imported
    from rich.markup import escape
    from rich.table import Table

    from dataquality import fix as fixing
    from dataquality.load.columns import base_field
    from dataquality.terminal import console
    from dataquality.track.workspace import configuration

    if out is None and not dry_run:
        raise fixing.FixError("fix.need_output")
    config = configuration(optional_project(), schemas_dir, rules_dir)
    if out is not None:
        fixing.check_output(file, out)
    plan = fixing.plan(file, config, lang, tidy=not only_reported, limits=input_limits(), workbooks=workbooks)
    if not plan.changes:
        echo(text("fix.nothing", lang, file=file.name))
    elif dry_run:
        table = Table(title=escape(text("fix.title", lang, n=len(plan.changes), file=file.name)))
        for key in ("cell", "field", "old", "new", "rule"):
            table.add_column(text(f"fix.column.{key}", lang))
        for c in plan.changes:
            label = config.schemas[c.entity].fields[base_field(c.field)].label(lang)
            table.add_row(c.cell, escape(label), escape(c.old or ""), escape(c.new), ", ".join(c.rules))  # data, not markup
        console(highlight=False).print(table)
    _say_tidied(plan, config, lang)
    if dry_run or out is None:
        return
    written = fixing.write(plan, out, config, lang)
    if plan.changes:
        echo(text("fix.summary", lang, n=len(plan.changes), output=shown(out)))
    for extra in written[1:]:
        echo(text("fix.changes_csv", lang, path=shown(extra)))
    counts = {s: sum(1 for i in plan.remaining if i.severity == s) for s in ("error", "warning", "info")}
    if any(counts.values()):
        echo(text("fix.remaining", lang, errors=counts["error"], warnings=counts["warning"],
                        infos=counts["info"], output=shown(out)))
    else:
        echo(text("fix.remaining_none", lang))


def _say_tidied(plan: object, config: object, lang: str) -> None:
    """Which changes dq validate does not report (rules it has off), and why dq fix makes them."""
    from dataquality import fix as fixing

    tidied = fixing.tidied_only(plan.changes, config)  # type: ignore[attr-defined]
    if tidied:
        rules = ", ".join(f"{code} ({text(f'rules.{code}.title', lang)}) {n}" for code, n in sorted(tidied.items()))
        echo(text("fix.tidied", lang, n=sum(tidied.values()), rules=rules))


@click.command()
@click.argument("entity")
@out_option("file", "the workbook to write (.xlsx); default 客户导入模板.xlsx (zh) or Customer-import-template.xlsx (en) here.",
            aliases=("--output",))
@click.option("--rows", type=click.IntRange(1, 20_000), default=1000, show_default=True, help="Rows that carry drop-downs and checks.")
@config_option
@rules_options
@lang_option
@handle_errors
def template(entity: str, out: Path | None, rows: int, config_path: Path | None, schemas_dir: Path | None,
             rules_dir: Path | None, lang: str) -> None:
    """Write an import template for ENTITY (customer, supplier, product, or another entity of your schemas) generated from its schema."""
    from dataquality import template as templates
    from dataquality.track.workspace import configuration

    config = configuration(optional_project(), schemas_dir, rules_dir)
    path = templates.write(entity, config, out or templates.default_name(entity, config, lang), lang, rows)
    echo(text("template.written", lang, path=shown(path), n=len(config.schemas[entity].fields)))


def register(main: click.Group) -> None:
    main.add_command(fix)
    main.add_command(template)
