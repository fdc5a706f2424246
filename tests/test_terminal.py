"""terminal_text and json_text: every control character shown visibly, line layout kept, JSON unchanged in meaning."""

from __future__ import annotations

import io

import orjson

from dataquality.terminal import console, json_text, terminal_text

PWNED = "\x1b]0;PWNED\x07\x1b[2J"


def test_terminal_text_shows_every_control_visibly() -> None:
    assert terminal_text(PWNED) == "\\x1b]0;PWNED\\a\\x1b[2J"
    assert terminal_text("a\rb\x00c\x7fd\x9be\u202ef\u2066") == "a\\rb\\0c\\x7fd\\x9be\\u202ef\\u2066"
    assert terminal_text("多行\n文本\t制表") == "多行\n文本\t制表"  # layout stays
    document = orjson.dumps({"v": "a\x9b31mb\u202ec"}).decode()
    assert orjson.loads(json_text(document)) == {"v": "a\x9b31mb\u202ec"} and "\x9b" not in json_text(document)


def test_the_console_shows_controls_of_data_but_keeps_its_own_colours() -> None:
    from rich.table import Table

    out = io.StringIO()
    shown = console(file=out, force_terminal=True, color_system="standard", width=120, highlight=False)
    table = Table(title=f"file {PWNED}")
    table.add_column("value")
    table.add_row(f"[red]cell[/] {PWNED}\rend")
    shown.print(table)
    shown.print(f"[bold]x[/] {PWNED}")
    written = out.getvalue()
    assert "\x1b[31m" in written and "\x1b[1m" in written  # rich's own styles
    assert "\x1b]0;" not in written and "\x1b[2J" not in written and "\r" not in written and "\x07" not in written
    assert written.count("\\x1b]0;PWNED\\a\\x1b[2J") == 3 and "\\rend" in written
