"""Every approval command has help, and the issue's `dq changes INCOMING --baseline B` syntax works."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dataquality.cli import main

COMMANDS = [["changes"], ["changes", "show"], ["changes", "submit"], ["changes", "withdraw"], ["approvals"],
            ["approvals", "list"], ["approvals", "entries"], ["approvals", "import"], ["approvals", "confirm"],
            ["approvals", "decline"], ["approve"], ["reject"], ["apply"], ["audit"], ["audit", "verify"], ["audit", "export"],
            ["audit", "seal-legacy"], ["users"], ["users", "add"], ["users", "passwd"], ["users", "roles"], ["users", "token"],
            ["users", "list"], ["users", "bootstrap"], ["serve"]]


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_command_has_help(words: list[str]) -> None:
    res = CliRunner().invoke(main, [*words, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output
    summary = res.output.split("\n\n")[1].strip()
    assert len(summary) > 20, res.output


def test_default_subcommand_and_bad_input(tmp_path) -> None:
    res = CliRunner().invoke(main, ["changes", str(tmp_path / "nope.xlsx"), "--baseline", str(tmp_path / "b.xlsx")])
    assert res.exit_code == 2 and "file not found" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["changes", "--baseline", str(tmp_path / "b.xlsx"), str(tmp_path / "nope.xlsx")])
    assert res.exit_code == 2 and "file not found" in res.output


def test_unknown_role_is_one_line(tmp_path) -> None:
    # Refused before a password is asked or the service is called.
    res = CliRunner().invoke(main, ["approve", "1", "--by", "赵敏", "--role", "boss", "--server", "http://127.0.0.1:9"])
    assert res.exit_code == 2 and "Unknown role 'boss'" in res.output


def test_bad_anchor_and_no_service_are_one_line(tmp_path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--state-dir", str(tmp_path)]
    for head in ("latest", "3:0123abcd", "0:0123456789abcdef"):  # an 8-hex seal is too short (issue 23)
        res = CliRunner().invoke(main, ["audit", "verify", "--expect-head", head, *db])
        assert res.exit_code == 2 and "SEQ:SEAL" in res.output, res.output
    res = CliRunner().invoke(main, ["approve", "1", "--user", "Mallory", "--server", "http://127.0.0.1:9"], input="whatever\n")
    assert res.exit_code == 2 and "No dq serve answers at http://127.0.0.1:9" in res.output and "Traceback" not in res.output
