"""Everything dq prints to a terminal goes through here: data shown, never obeyed.

A cell value or a file name may hold control characters: `ESC ] 0 ; … BEL` retitles a terminal,
`ESC [ 2 J` clears it, a carriage return overwrites what was printed before it, bidi overrides
reorder a line. `terminal_text` shows each of them visibly as an escape (`\\x1b`, `\\r`, `\\u202e`)
instead; every printer uses it: the rich console (`console`, each text segment it renders, so
tables, markup and progress alike) and `echo` (one line of text). Line feeds and tabs stay: they
lay text out and cannot take over the terminal. `json_text` does the same for a JSON document
without changing what it says.

The console also survives the reader going away: rich ends the program with exit code 1 when
standard output is a closed pipe (`dq rules | head`); 1 means "issues found" for dq. This console
sends further output to /dev/null and raises BrokenPipeError instead, which dq's last line of
defence (safety.guarded) turns into exit 0.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.segment import Segment

# C0 controls but line feed and tab, DEL, C1 controls (CSI U+009B acts like ESC [ on some
# terminals), and the bidi embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\r": "\\r", "\x0b": "\\v", "\x0c": "\\f", "\x08": "\\b", "\x07": "\\a", "\x00": "\\0"}


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def terminal_text(value: str) -> str:
    """`value` with every control character a terminal would act on shown as a visible escape."""
    return _CONTROL.sub(_visible, value) if _CONTROL.search(value) else value


def json_text(document: str) -> str:
    """A JSON document fit for a terminal and meaning the same: control characters (only ever
    inside strings) written as \\u escapes."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", document) if _CONTROL.search(document) else document


def echo(message: Any = "", err: bool = False, nl: bool = True) -> None:
    """click.echo of `message` made safe for a terminal (`terminal_text`)."""
    import click

    click.echo(terminal_text(str(message)), err=err, nl=nl)


def echo_json(document: str | bytes) -> None:
    """A JSON document on standard output (`json_text`)."""
    import click

    click.echo(json_text(document.decode() if isinstance(document, bytes) else document))


@functools.cache
def _console_class() -> type[Console]:
    """The Console class of dq, made on first use: importing dq's commands imports no rich."""
    from rich.console import Console
    from rich.segment import Segment

    class _Console(Console):
        def render_str(self, text: str, **options: Any) -> Any:
            # Before rich's Text silently drops some controls (BEL, CR ...): shown instead, like the rest.
            return super().render_str(terminal_text(text), **options)

        def _render_buffer(self, buffer: Iterable[Segment]) -> str:
            # The one place every rendered text passes before it is written: data segments made safe;
            # rich's own control segments (cursor moves of a spinner) and styles are left as they are.
            return super()._render_buffer(
                segment if segment.control else Segment(terminal_text(segment.text), segment.style)
                for segment in buffer
            )

        def on_broken_pipe(self) -> None:
            self.quiet = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):  # no real file descriptor (an in-process test's captured output)
                pass
            finally:
                os.close(devnull)
            raise BrokenPipeError(32, "Broken pipe")

    return _Console


def console(**options: Any) -> Console:
    """A rich Console (same options) that shows control characters of data visibly; a closed pipe
    is BrokenPipeError, not exit 1."""
    return _console_class()(**options)
