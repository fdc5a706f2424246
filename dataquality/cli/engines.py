"""CLI pieces of the Ibis engine: --engine/--source/--entity for `dq validate`, the engines column of
`dq rules`, and `dq export` (Great Expectations, Frictionless, cleaned values)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from dataquality.cli.options import (
    config_option,
    handle_errors,
    input_limits,
    lang_option,
    optional_project,
    out_option,
    rules_options,
)
from dataquality.errors import InputError
from dataquality.i18n import text
from dataquality.terminal import echo

ENGINE_CHOICES = ("pandas", "duckdb", "spark")


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--engine, --source and --entity for `dq validate`."""
    fn = click.option("--entity", default=None, help="The entity of the --source tables (default: from their column names).")(fn)
    fn = click.option("--source", "sources", multiple=True, metavar="URL#SCHEMA.TABLE",
                      help="Check a database table where it lives, e.g. 'postgresql+psycopg://user@host/erp#public.product_master'; repeatable.")(fn)
    fn = click.option("--engine", type=click.Choice(ENGINE_CHOICES), default="pandas", show_default=True,
                      help="Where the rules run: pandas (reference), duckdb (in-process, for large files, CSV and Parquet), spark (needs the 'spark' extra).")(fn)
    return fn


def run_any(config: Any, files: Sequence[Path], lang: str, progress: Any, baseline: Path | None, db: str | None,
            engine: str = "pandas", sources: Sequence[str] = (), entity: str | None = None, mappings: Any = None,
            reports: Any = None, workbooks: Any = None) -> Any:
    """The pipeline's run for `dq validate`: every stage, on the engine asked for (the whole `Run`);
    `workbooks`: the inputs' load sources, started early (within the invocation's input limits)."""
    from dataquality import pipeline

    if not files and not sources:
        raise InputError("engine.no_input")
    if baseline is not None and (engine != "pandas" or sources):
        raise InputError("engine.no_baseline")
    approval = pipeline.Approval((Path(baseline),), db=db) if baseline is not None else None
    return pipeline.run_stages(config, list(files), lang, progress=progress, mappings=mappings, engine=engine,
                               sources=tuple(sources), source_entity=entity, approval=approval, reports=reports,
                               limits=input_limits(), workbooks=dict(workbooks or {}))


def engines_label(rule: Any, lang: str) -> str:
    """The `dq rules` column: which engines a rule runs on, and how."""
    form = rule.engine
    shown = text(f"engine.{form.label}", lang)
    return f"{shown} ({text(f'engine.why.{form.reason}', lang)})" if form.reason else shown


# --- dq export ------------------------------------------------------------------------------------

@click.group()
def export() -> None:
    """Export the rules (Great Expectations, pandera, Frictionless) or the cleaned values (Parquet)."""


def _config(schemas_dir: Path | None, rules_dir: Path | None) -> Any:
    from dataquality.track.workspace import configuration

    return configuration(optional_project(), schemas_dir, rules_dir)


def _entities(config: Any, entity: str | None) -> list[str]:
    if entity is None:
        return sorted(config.schemas)
    if entity not in config.schemas:
        raise InputError("export.bad_entity", entity=entity, known=", ".join(sorted(config.schemas)))
    return [entity]


def _write_per_entity(out: Path, entity: str | None, schemas_dir: Path | None, rules_dir: Path | None,
                      lang: str, build: Callable[[Any, str], tuple[dict, list[str]]], counted: str) -> None:
    """Write `build(config, entity)` as JSON (YAML for a .yaml path) for one entity, or NAME.ENTITY.json beside `out` for each."""
    from dataquality.export import write_document

    config = _config(schemas_dir, rules_dir)
    names = _entities(config, entity)
    for name in names:
        document, skipped = build(config, name)
        path = out if len(names) == 1 else out.with_name(f"{out.stem}.{name}{out.suffix or '.json'}")
        write_document(path, document)
        echo(text("export.written", lang, path=path, n=len(document[counted]), skipped=", ".join(skipped) or "-"), err=True)


@export.command("gx")
@out_option("file", "the suite to write (.json).", required=True, aliases=("--output",))
@click.option("--entity", default=None, help="One entity (default: every entity, one suite each, NAME.ENTITY.json beside -o when several).")
@config_option
@rules_options
@lang_option
@handle_errors
def export_gx(out: Path, entity: str | None, config_path: Path | None, schemas_dir: Path | None,
              rules_dir: Path | None, lang: str) -> None:
    """A Great Expectations 1.x ExpectationSuite per entity, to run on `dq export cleaned` values."""
    from dataquality.export import gx_suite

    _write_per_entity(out, entity, schemas_dir, rules_dir, lang, gx_suite, "expectations")


@export.command("pandera")
@out_option("file", "the schema to write (.yaml, or .json).", required=True, aliases=("--output",))
@click.option("--entity", default=None, help="One entity (default: every entity, NAME.ENTITY.yaml beside -o when several).")
@config_option
@rules_options
@lang_option
@handle_errors
def export_pandera(out: Path, entity: str | None, config_path: Path | None, schemas_dir: Path | None,
                   rules_dir: Path | None, lang: str) -> None:
    """A pandera DataFrameSchema per entity (DataFrameSchema.from_yaml), to run on `dq export cleaned` values."""
    from dataquality.export import pandera_schema

    _write_per_entity(out, entity, schemas_dir, rules_dir, lang, pandera_schema, "columns")


@export.command("frictionless")
@out_option("file", "the Table Schema to write (.json).", required=True, aliases=("--output",))
@click.option("--entity", default=None, help="One entity (default: every entity, NAME.ENTITY.json beside -o when several).")
@config_option
@rules_options
@lang_option
@handle_errors
def export_frictionless(out: Path, entity: str | None, config_path: Path | None, schemas_dir: Path | None,
                        rules_dir: Path | None, lang: str) -> None:
    """A Frictionless Table Schema per entity, for dq's cleaned values."""
    from dataquality.export import frictionless_schema

    _write_per_entity(out, entity, schemas_dir, rules_dir, lang, frictionless_schema, "fields")


@export.command("cleaned")
@click.argument("file", type=click.Path(path_type=Path))
@out_option("file", "the Parquet file to write.", required=True, aliases=("--output",))
@click.option("--entity", default=None, help="Which entity when the file holds several.")
@config_option
@rules_options
@lang_option
@handle_errors
def export_cleaned(file: Path, out: Path, entity: str | None, config_path: Path | None, schemas_dir: Path | None,
                   rules_dir: Path | None, lang: str) -> None:
    """dq's cleaned values of FILE (one column per field, plus the Excel row) as Parquet."""
    from dataquality.export import cleaned_frame, write_parquet
    from dataquality.load import load_file
    from dataquality.load.source import WorkbookSource

    config = _config(schemas_dir, rules_dir)
    tables = load_file(WorkbookSource(file, input_limits()), config, lang)
    if entity is not None:
        _entities(config, entity)
        tables = [t for t in tables if t.entity == entity]
    if len({t.entity for t in tables}) > 1:
        raise InputError("export.one_entity", file=str(file), entities=", ".join(sorted({t.entity for t in tables})))
    frame = cleaned_frame(tables, config)
    write_parquet(out, frame)
    echo(text("export.cleaned_written", lang, path=out, n=len(frame)), err=True)


def register(main: click.Group) -> None:
    main.add_command(export)
