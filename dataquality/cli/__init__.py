"""The `dq` command: thin click command groups over the library; errors become one line and an exit code.

Exit codes: 0 nothing at or above --fail-on; 1 issues at or above --fail-on; 2 bad usage,
unreadable input, bad configuration or an output that cannot be written; 3 an internal error
(the traceback is saved to a file); 130 interrupted.

Each command group lives in its own module (validate, rules, fix, project, changes, approve,
serve, engines); the shared options are in options.py. Nothing here imports a heavy library:
`dq --version` and `dq --help` stay quick.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from dataquality import __version__
from dataquality.cli.options import LIMITS_KEY


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
@click.pass_context
def main(ctx: click.Context, max_bytes: int | None, max_cells: int | None, max_columns: int | None,
         max_strings: int | None) -> None:
    """dq: check customer, supplier and product master data before it reaches your CRM/ERP."""
    # The commands read them with options.input_limits() (no import here: dq --help stays quick).
    chosen = {"max_bytes": max_bytes, "max_cells": max_cells, "max_columns": max_columns, "max_strings": max_strings}
    ctx.meta[LIMITS_KEY] = {k: v for k, v in chosen.items() if v is not None}


def _register() -> None:
    from dataquality.cli import (
        approve,
        changes,
        engines,
        fix,
        learn,
        project,
        rules,
        serve,
        validate,
    )

    for module in (validate, rules, fix, learn, project, changes, approve, serve, engines):
        module.register(main)


_register()


def prefer_system_allocator() -> None:
    """Arrow's memory from the C library's malloc, unless ARROW_DEFAULT_MEMORY_POOL says otherwise.

    pyarrow's default pool (mimalloc) hands freed pages back to the system and faults them in
    again: on the benchmark machine a 200k-row validation spent 1.5 s in the kernel with it and
    0.6 s without, 0.65 s of wall time, with a higher peak. Set before pyarrow is imported; the
    loading children inherit it."""
    import os

    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def run() -> None:
    """The `dq` program (console script and `python -m dataquality`): `main`, then a quick exit.

    When the command is done (every report written and closed, the database closed, the output
    flushed), the process leaves without the interpreter freeing every object of the run one by
    one, which takes a noticeable part of a second after a large file. Library callers and tests
    call `main` and keep the ordinary exit."""
    import os

    prefer_system_allocator()
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): said on stderr, exit 1, as the interpreter would
            from dataquality.terminal import echo

            echo(exc.code, err=True)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader went away (dq ... | head) or the stream is closed
            pass
    os._exit(code)
