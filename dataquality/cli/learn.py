"""dq learn: a company's own conventions from its current master, written as schemas, rules and a mapping to review."""

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
    rules_options,
)
from dataquality.i18n import text
from dataquality.terminal import echo


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_option("folder", "the learned schemas/, rules/, mapping.yaml and LEARNED.md.", default=Path("learned"))
@config_option
@rules_options
@lang_option
@handle_errors
def learn(files: tuple[Path, ...], out: Path, config_path: Path | None, schemas_dir: Path | None, rules_dir: Path | None,
          lang: str) -> None:
    """Learn a company's own formats, value lists and layouts from its master, for a person to review."""
    from dataquality.learn import learn as learn_from
    from dataquality.learn import write
    from dataquality.track.workspace import configuration

    config = configuration(optional_project(), schemas_dir, rules_dir)
    learned = learn_from(list(files), config, lang, input_limits())
    write(learned, out, config, lang)
    for lesson in learned.lessons:
        echo(f"{lesson.entity}.{lesson.field}: {lesson.what[lang]}")
    echo(text("learn.done", lang, files=", ".join(str(f) for f in files), n=len(learned.lessons), folder=out), err=True)


def register(main: click.Group) -> None:
    main.add_command(learn)
