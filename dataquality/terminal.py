"""The console dq prints tables and reports to: rich, except when the reader goes away.

rich ends the program with exit code 1 when standard output is a closed pipe (`dq rules | head`);
1 means "issues found" for dq. This console sends further output to /dev/null and raises
BrokenPipeError instead, which dq's last line of defence (safety.guarded) turns into exit 0.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from rich.console import Console


class _Console(Console):
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


def console(**options: Any) -> Console:
    """A rich Console (same options); a closed pipe is BrokenPipeError, not exit 1."""
    return _Console(**options)


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
