"""The shared options of every `dq` command: one name, one meaning, everywhere.

    -o/--out        the output location: a folder for commands that write several report files
                    (validate, corrections), a file for commands that write one (fix, template, map,
                    apply, audit export, export ...). Old spellings (--output) are hidden aliases.
    -f/--format     every choice of output format (--json is a hidden alias of `-f json`).
    -c/--config     the project's dq.yaml (or its folder); without it the nearest dq.yaml in the
                    current folder or above, as git finds its repository.
    -q/--quiet      no progress and no console report.
    -b/--baseline   the last approved master.
    --lang          zh or en; resolved once here (then DQ_LANG/LANG, or the project's lang).

A test walks the command tree and checks that each concept uses these decorators.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

F = Callable[..., Any]

# Request ids are SQL integers: a larger number is bad usage, never an OverflowError.
REQUEST_ID = click.IntRange(1, 2**63 - 1)
COUNT = click.IntRange(0, 2**31 - 1)

_PROJECT_KEY = "dq.project_path"
LIMITS_KEY = "dq.limits"  # the input limits given to `dq` (--max-cells ... or DQ_MAX_*)
_UNDECIDED = "dq.lang_from_data"  # no --lang, project lang or environment language: the data decides


# --- the input limits --------------------------------------------------------------------------

def input_limits() -> Any:
    """The input limits of this invocation (a load.limits.Limits): `dq --max-bytes/--max-cells/
    --max-columns/--max-strings` or DQ_MAX_*, the defaults for the rest."""
    from dataquality.load.limits import Limits

    return Limits(**click.get_current_context().find_root().meta.get(LIMITS_KEY, {}))


def started_sources(files: Sequence[Path]) -> Any:
    """The command's input files as load sources (load.source.start_all) within `input_limits()`,
    the first workbooks judged and loaded in the background while the rest of dq is imported."""
    from dataquality.load.source import start_all

    return start_all(files, input_limits())


# --- errors ------------------------------------------------------------------------------------

def handle_errors(fn: F) -> F:
    """Errors become one line and an exit code (see dataquality.safety): 2 ours, 3 a bug, 130 Ctrl-C."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from dataquality.safety import guarded

        if "lang" in kwargs:
            kwargs["lang"] = _language_of_data(kwargs) or kwargs["lang"]
        return guarded(lambda: fn(*args, **kwargs), kwargs.get("lang"))

    return wrapper


def _language_of_data(kwargs: dict[str, Any]) -> str | None:
    """When neither --lang, the project nor the environment names a language: that of the command's
    input files (or the project's data), so Chinese data gets Chinese messages in a bare CI shell."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or not ctx.meta.get(_UNDECIDED):
        return None
    from dataquality.load.language import DATA_SUFFIXES, data_language

    paths = [v for value in kwargs.values() for v in (value if isinstance(value, tuple) else (value,))
             if isinstance(v, Path)]
    paths = [p for p in paths if p.suffix.lower() in DATA_SUFFIXES]  # data, not dq.yaml or output folders
    if not paths and ctx.meta.get(_PROJECT_KEY) is not None:
        try:
            project = project_of(ctx)
            paths = [p for entity_paths in project.entities.values() for p in entity_paths]
        except Exception:  # noqa: BLE001 - a broken dq.yaml is reported by the command itself
            return None
    return data_language(paths)


def require_files(paths: Sequence[Path]) -> None:
    """A mistyped input name is one line and exit 2, before anything is read or reported."""
    from dataquality.errors import InputError

    for path in paths:
        if not path.exists():
            raise InputError("load.not_found", file=str(path))


# --- hidden, deprecated aliases -----------------------------------------------------------------

def _alias(primary: str, *decls: str, value: Any = None, **kw: Any) -> F:
    """A hidden option that stands for `primary` (kept so old scripts keep working). With `value`,
    a flag that sets `primary` to that value (--json for `-f json`)."""

    def remember(ctx: click.Context, _param: click.Parameter, given: Any) -> None:
        if given is None or given is False or given == ():
            return
        ctx.meta.setdefault("dq.alias", {})[primary] = value if value is not None else given

    if value is not None:
        return click.option(*decls, is_flag=True, default=False, hidden=True, expose_value=False, callback=remember)
    return click.option(*decls, hidden=True, expose_value=False, callback=remember, default=None, **kw)


def _aliased(primary: str, required: bool = False, convert: Callable[[Any], Any] | None = None) -> Callable[..., Any]:
    """The callback of an option that hidden aliases may stand in for; `required` is checked here,
    after the aliases had their say (click checks required options before callbacks run)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        source = ctx.get_parameter_source(param.name or primary)
        aliased = ctx.meta.get("dq.alias", {})
        if source in (click.core.ParameterSource.DEFAULT, None) and primary in aliased:
            value = aliased[primary]
        if required and value is None:
            raise click.MissingParameter(ctx=ctx, param=param)
        return convert(value) if convert is not None and value is not None else value

    return callback


# --- the shared options --------------------------------------------------------------------------

def _lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    """--lang, else the project's lang, else the environment's (DQ_LANG, LANG); when none names one
    (LANG unset or C.UTF-8), English until the command's data says otherwise (handle_errors)."""
    from dataquality.i18n import env_lang, normalise_lang

    if value is None and ctx.meta.get(_PROJECT_KEY) is not None:
        project_lang = _project_lang(ctx)
        if project_lang:
            return normalise_lang(project_lang)
    if value is None and env_lang() is None:
        ctx.meta[_UNDECIDED] = True
    return normalise_lang(value)


def lang_asked(ctx: click.Context | None = None) -> bool:
    """Whether --lang, the project or the environment named the language (else the data decides)."""
    ctx = ctx or click.get_current_context()
    return not ctx.meta.get(_UNDECIDED)


def _project_lang(ctx: click.Context) -> str | None:
    """The `lang:` of the project's dq.yaml (loaded once per command, kept for the command)."""
    try:
        return project_of(ctx).lang
    except Exception:  # noqa: BLE001 - a broken dq.yaml is reported by the command itself, in the env's language
        return None


lang_option = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default=None, callback=_lang,
    help="Language of messages and reports: zh or en (default: the project's lang, else DQ_LANG or LANG).",
)


def quiet_option(help: str = "No progress and no console report.") -> F:
    return click.option("--quiet", "-q", is_flag=True, help=help)


def out_option(kind: str, help: str, *, required: bool = False, default: Path | None = None,
               aliases: Sequence[str] = ()) -> F:
    """-o/--out: the output location; kind 'folder' or 'file' (documented in each help text)."""
    where = "Output folder" if kind == "folder" else "Output file"
    if default is not None:
        help = f"{help} [default: {default}]"

    def deco(fn: F) -> F:
        fn = click.option("--out", "-o", "out", type=click.Path(path_type=Path, file_okay=kind != "folder",
                                                                dir_okay=kind == "folder"),
                          default=None, metavar="FOLDER" if kind == "folder" else "FILE",
                          callback=_aliased("out", required=required,
                                            convert=None) if default is None else _default(default),
                          help=f"{where}: {help}" + (" (required)" if required else ""))(fn)
        for alias in aliases:
            fn = _alias("out", alias, type=click.Path(path_type=Path))(fn)
        return fn

    return deco


def _default(default: Path) -> Callable[..., Any]:
    inner = _aliased("out")

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        value = inner(ctx, param, value)
        return default if value is None else value

    return callback


def format_option(choices: Sequence[str] | None, default: str | None, help: str, *, several: bool = False,
                  json_alias: bool = False) -> F:
    """-f/--format; `several`: a comma-separated list (the command checks it with report_formats)."""

    def deco(fn: F) -> F:
        kind: Any = click.Choice(list(choices)) if choices and not several else str
        fn = click.option("--format", "-f", "fmt", type=kind, default=None, show_default=False,
                          callback=_format_callback(default, several),
                          help=help + (f" [default: {default}]" if default else ""))(fn)
        if json_alias:
            fn = _alias("fmt", "--json", value="json")(fn)
        return fn

    return deco


def _format_callback(default: str | None, _several: bool) -> Callable[..., Any]:
    inner = _aliased("fmt")

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        value = inner(ctx, param, value)
        if value is None:
            value = default
        return value

    return callback


def report_formats(raw: str, lang: str) -> list[str]:
    """A comma-separated -f list of report formats, each one a report writer."""
    from dataquality.i18n import text
    from dataquality.report import writers

    names = [f.strip() for f in raw.split(",") if f.strip()]
    known = writers()
    for name in names:
        if name not in known:
            raise click.UsageError(text("cli.unknown_format", lang, name=name, choices=", ".join(known)))
    return names


def baseline_option(help: str = "The last approved master.", required: bool = False) -> F:
    return click.option("--baseline", "-b", type=click.Path(path_type=Path, dir_okay=False), required=required,
                        default=None, help=help)


def _remember_project(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    from dataquality.track.discovery import project_path

    path = project_path(value)
    ctx.meta[_PROJECT_KEY] = path
    ctx.meta["dq.project_given"] = value is not None
    return path


config_option = click.option(
    "--config", "-c", "config_path", type=click.Path(path_type=Path), default=None, is_eager=True,
    callback=_remember_project,
    help="The project's dq.yaml (or its folder); default: the nearest dq.yaml here or in a folder above.",
)


def project_of(ctx: click.Context | None = None) -> Any:
    """The command's project (required): an error naming dq.yaml when there is none."""
    from dataquality.track.workspace import load_project

    ctx = ctx or click.get_current_context()
    if "dq.project" not in ctx.meta:
        ctx.meta["dq.project"] = load_project(ctx.meta.get(_PROJECT_KEY))
    return ctx.meta["dq.project"]


def optional_project(ctx: click.Context | None = None) -> Any:
    """The command's project, or None outside any project."""
    ctx = ctx or click.get_current_context()
    if ctx.meta.get(_PROJECT_KEY) is None:
        return None
    return project_of(ctx)


def rules_options(fn: F) -> F:
    """--schemas and --rules: where the entity schemas and rule settings live."""
    fn = click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None,
                      help="Folder of rule settings and reference lists (default: the project's, else the shipped rules/).")(fn)
    fn = click.option("--schemas", "schemas_dir", type=click.Path(path_type=Path), default=None,
                      help="Folder of entity schemas (default: the project's, else the shipped schemas/).")(fn)
    return fn


def db_options(fn: F) -> F:
    """--db URL and --state-dir: which approval database."""
    fn = click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                      help="State folder holding dq.db (default: the project's state folder, else .dq here).")(fn)
    fn = click.option("--db", envvar="DQ_DB", default=None,
                      help="SQLAlchemy URL of the approval database, e.g. postgresql+psycopg://user@host/db "
                           "(env DQ_DB; default: the project's database, else .dq/dq.db).")(fn)
    return fn


def state_options(fn: F) -> F:
    """Everything that says where project state lives: -c/--config, --db, --state-dir, --schemas, --rules."""
    return config_option(db_options(rules_options(fn)))


def workspace(db: str | None, state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None) -> Any:
    """The command's configuration, policy and database (see dataquality.track.workspace)."""
    from dataquality.track.workspace import workspace as resolve

    return resolve(optional_project(), db, state_dir, schemas_dir, rules_dir)


# --- output helpers ----------------------------------------------------------------------------------

def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from dataquality.terminal import console as make_console

    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(escape("" if v is None else str(v)) for v in row))
    console = make_console(highlight=False)
    if not console.is_terminal:
        console.width = 200  # piped or redirected: keep whole values rather than fold them to 80 columns
    console.print(table)
