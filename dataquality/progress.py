"""Progress on a terminal for long work; silent in CI, when piped, or with --quiet."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def enabled(quiet: bool = False) -> bool:
    """Show progress only to a person at a terminal."""
    return not quiet and not os.environ.get("CI") and sys.stderr.isatty()


@contextmanager
def status(quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr whose text the callback updates; a no-op callback when disabled."""
    if not enabled(quiet):
        yield lambda _msg: None
        return
    from dataquality.terminal import (
        console as make_console,  # only when there is a terminal to show it on
    )

    console = make_console(stderr=True)  # file names in the messages: shown, never obeyed
    with console.status("") as spinner:
        yield lambda msg: spinner.update(msg)
