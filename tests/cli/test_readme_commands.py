"""Every `dq ...` line of the README and docs/ names a real command with options that command has
(the visible ones: the old spellings are hidden aliases, not what the documentation teaches)."""

from __future__ import annotations

import re
import shlex

import click
import pytest
from dq_cli import ROOT

from dataquality.cli import main

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _lines() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        in_block = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                in_block = not in_block
                continue
            if in_block and re.match(r"^\s*dq [a-z]", line):
                found.append((f"{page.name}: {line.strip()[:60]}", line.strip()))
    return found


LINES = _lines()


def _command(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = main
    rest = list(words)
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    if isinstance(command, click.Group) and getattr(command, "default", None):  # dq changes INCOMING ...
        command = command.commands[command.default]  # type: ignore[attr-defined]
    return command, rest


def test_the_pages_have_commands() -> None:
    assert len(LINES) > 40


@pytest.mark.parametrize("line", [line for _, line in LINES], ids=[i for i, _ in LINES])
def test_each_documented_command_and_option_exists(line: str) -> None:
    line = line.split("  #")[0].split(" # ")[0]
    first = line.split("&&")[0].split(" | ")[0]
    words = shlex.split(first.replace("[", " ").replace("]", " "))[1:]
    command, rest = _command(words)
    assert not isinstance(command, click.Group), (line, "names a group, not a command")
    known = {o for p in command.params if isinstance(p, click.Option) and not p.hidden for o in [*p.opts, *p.secondary_opts]}
    for word in rest:
        if word.startswith("-"):
            assert word.split("=")[0] in known, (line, word, sorted(known))
