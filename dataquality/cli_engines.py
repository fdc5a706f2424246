"""CLI pieces of the Ibis engine: --engine/--source/--entity for `dq validate`, the engines
column of `dq rules`, and `dq export` (Great Expectations, Frictionless, cleaned values)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from dataquality.config import Config
from dataquality.errors import EXIT_USAGE, InputError
from dataquality.i18n import normalise_lang, text

ENGINE_CHOICES = ("pandas", "duckdb", "spark")


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--engine, --source and --entity for `dq validate`."""
    fn = click.option("--entity", default=None, help="The entity of the --source tables (default: from their column names).")(fn)
    fn = click.option("--source", "sources", multiple=True, metavar="URL#SCHEMA.TABLE",
                      help="Check a database table where it lives, e.g. 'postgresql+psycopg://user@host/erp#public.product_master'; repeatable.")(fn)
    fn = click.option("--engine", type=click.Choice(ENGINE_CHOICES), default="pandas", show_default=True,
                      help="Where the rules run: pandas (reference), duckdb (in-process, for large files, CSV and Parquet), spark (needs the 'spark' extra).")(fn)
    return fn


def run_any(config: Config, files: Sequence[Path], lang: str, progress: Any, baseline: Path | None, db: str | None,
            engine: str = "pandas", sources: Sequence[str] = (), entity: str | None = None, mappings: Any = None,
            reports: Any = None) -> Any:
    """The pipeline's run for `dq validate`: every stage, on the engine asked for."""
    from dataquality import pipeline

    if not files and not sources:
        raise InputError("engine.no_input")
    if baseline is not None and (engine != "pandas" or sources):
        raise InputError("engine.no_baseline")
    approval = pipeline.Approval((Path(baseline),), db=db) if baseline is not None else None
    return pipeline.run_stages(config, list(files), lang, progress=progress, mappings=mappings, engine=engine,
                               sources=tuple(sources), source_entity=entity, approval=approval, reports=reports)


def engines_label(rule: Any, lang: str) -> str:
    """The `dq rules` column: which engines a rule runs on, and how."""
    from dataquality.engines.compiled import engines_of

    return text(f"engine.{engines_of(rule)}", lang)


# --- dq export ------------------------------------------------------------------------------------

LANG_OPTION = click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of messages.")


def _config_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None, help="Folder of rule settings (default: the shipped rules/).")(fn)
    fn = click.option("--schemas", "schemas_dir", type=click.Path(path_type=Path), default=None, help="Folder of entity schemas (default: the shipped schemas/).")(fn)
    return fn


def _fail(exc: Any, lang: str | None) -> None:
    click.echo(f"dq: {exc.message(normalise_lang(lang))}", err=True)
    sys.exit(exc.exit_code if hasattr(exc, "exit_code") else EXIT_USAGE)


@click.group()
def export() -> None:
    """Export the rules (Great Expectations, Frictionless) or the cleaned values (Parquet)."""


def _entities(config: Config, entity: str | None) -> list[str]:
    if entity is None:
        return sorted(config.schemas)
    if entity not in config.schemas:
        raise InputError("export.bad_entity", entity=entity, known=", ".join(sorted(config.schemas)))
    return [entity]


def _write_per_entity(output: Path, entity: str | None, schemas_dir: Path | None, rules_dir: Path | None,
                      lang: str | None, build: Callable[[Config, str], tuple[dict, list[str]]], counted: str) -> None:
    """Write `build(config, entity)` as JSON for one entity, or NAME.ENTITY.json beside `output` for each."""
    from dataquality.errors import DQError
    from dataquality.export import write_json

    try:
        config = Config.load(schemas_dir, rules_dir)
        names = _entities(config, entity)
        for name in names:
            document, skipped = build(config, name)
            path = output if len(names) == 1 else output.with_name(f"{output.stem}.{name}{output.suffix or '.json'}")
            write_json(path, document)
            click.echo(text("export.written", normalise_lang(lang), path=path, n=len(document[counted]),
                            skipped=", ".join(skipped) or "-"), err=True)
    except DQError as exc:
        _fail(exc, lang)


@export.command("gx")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The suite to write (.json).")
@click.option("--entity", default=None, help="One entity (default: every entity, one suite each, NAME.ENTITY.json beside -o when several).")
@_config_options
@LANG_OPTION
def export_gx(output: Path, entity: str | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """A Great Expectations 1.x ExpectationSuite per entity, to run on `dq export cleaned` values."""
    from dataquality.export import gx_suite

    _write_per_entity(output, entity, schemas_dir, rules_dir, lang, gx_suite, "expectations")


@export.command("frictionless")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The Table Schema to write (.json).")
@click.option("--entity", default=None, help="One entity (default: every entity, NAME.ENTITY.json beside -o when several).")
@_config_options
@LANG_OPTION
def export_frictionless(output: Path, entity: str | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """A Frictionless Table Schema per entity, for dq's cleaned values."""
    from dataquality.export import frictionless_schema

    _write_per_entity(output, entity, schemas_dir, rules_dir, lang, frictionless_schema, "fields")


@export.command("cleaned")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The Parquet file to write.")
@click.option("--entity", default=None, help="Which entity when the file holds several.")
@_config_options
@LANG_OPTION
def export_cleaned(file: Path, output: Path, entity: str | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
    """dq's cleaned values of FILE (one column per field, plus the Excel row) as Parquet."""
    from dataquality.errors import DQError
    from dataquality.export import cleaned_frame, write_parquet
    from dataquality.load import load_file

    try:
        config = Config.load(schemas_dir, rules_dir)
        tables = load_file(file, config, normalise_lang(lang))
        if entity is not None:
            _entities(config, entity)
            tables = [t for t in tables if t.entity == entity]
        if len({t.entity for t in tables}) > 1:
            raise InputError("export.one_entity", file=str(file), entities=", ".join(sorted({t.entity for t in tables})))
        frame = cleaned_frame(tables, config)
        write_parquet(output, frame)
        click.echo(text("export.cleaned_written", normalise_lang(lang), path=output, n=len(frame)), err=True)
    except DQError as exc:
        _fail(exc, lang)
