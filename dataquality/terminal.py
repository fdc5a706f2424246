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



# Where a line may break in text that mixes Chinese and codes: between two Chinese characters, at
# spaces, never inside a run of letters, digits and code punctuation (C000123, 客户主数据!A8, 2026-12-07).
# Chinese closing punctuation stays with what it closes, opening punctuation with what it opens.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CLOSING = "，。、；：！？）》」』】〕”’…,.;:!?)]}"
_OPENING = "（《「『【〔“‘([{"
_C, _O = re.escape(_CLOSING), re.escape(_OPENING)
_TOKEN = re.compile(rf"[{_O}]*(?:[{_HAN}]|[^\s{_HAN}{_C}{_O}]+)[{_C}]*|\s+|[{_C}{_O}]")


def wrap(said: str, width: int) -> str:
    """`said` with line breaks so no line is wider than `width` cells (a Chinese character is two),
    breaking between Chinese characters and at spaces but never inside a code; a code wider than a
    whole line is the only thing ever cut. Existing line breaks are kept."""
    from rich.cells import cell_len, chop_cells

    width = max(width, 8)
    out: list[str] = []
    for paragraph in said.split("\n"):
        line, used = "", 0
        for token in _TOKEN.findall(paragraph):
            size = cell_len(token)
            if token.isspace():
                if line:
                    line, used = line + token, used + size
                continue
            if used + size > width and line.strip():
                out.append(line.rstrip())
                line, used = "", 0
            if size > width:  # a code longer than a line: cut it, the one case there is no choice
                pieces = chop_cells(token, width)
                out.extend(pieces[:-1])
                token, size = pieces[-1], cell_len(pieces[-1])
            line, used = line + token, used + size
        out.append(line.rstrip())
    return "\n".join(out)


def narrow(console: Console, needed: int) -> bool:
    """Whether a table `needed` cells wide would fold on this console: a narrow terminal, or output
    that is not a terminal at all (a CI log, a pipe), where a table of boxes helps no one."""
    return not console.is_terminal or console.width < needed


def print_records(console: Console, title: str, records: list[tuple[str, list[str]]]) -> None:
    """A list for a narrow terminal or a log: per record a head line (rich markup, data escaped by the
    caller) and indented lines of plain text, broken to the terminal's width (never in a log)."""
    from rich.markup import escape

    log = not console.is_terminal  # a log: one record's line is as long as it is, never broken
    width = 10_000 if log else console.width - 4
    fit: dict[str, Any] = {"soft_wrap": True} if log else {"overflow": "fold"}
    console.print(f"[bold]{escape(title)}[/]", **fit)
    for head, lines in records:
        console.print(head, **fit)
        for line in lines:
            for part in wrap(line, width).split("\n"):
                console.print("    " + escape(part), **fit)
