"""One vocabulary: every command has help, and each shared concept is the same option everywhere;
project discovery gives every command the project's database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from dq_cli import run_dq

from dataquality.cli import main


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _walk(command, (*path, name))


COMMANDS = list(_walk(main))
LEAVES = [(p, c) for p, c in COMMANDS if not isinstance(c, click.Group)]

# The commands that read or write project state (the approval database, tracked issues).
STATEFUL = {("check",), ("issues", "list"), ("issues", "show"), ("history",), ("changes", "show"), ("changes", "submit"),
            ("approvals", "list"), ("approvals", "import"), ("approve",), ("reject",), ("apply",), ("audit", "verify"),
            ("audit", "export"), ("users", "add"), ("users", "passwd"), ("users", "roles"), ("users", "list"), ("serve",),
            ("changes", "withdraw"), ("approvals", "entries"), ("approvals", "confirm"), ("approvals", "decline"),
            ("audit", "seal-legacy"), ("users", "token"), ("users", "bootstrap")}
# Of those, the commands by which a person acts: they sign in and act through dq serve, which holds
# the audit key (issue 23); the service, not the command, decides which database.
THROUGH_SERVICE = {("changes", "submit"), ("changes", "withdraw"), ("approvals", "import"), ("approvals", "confirm"),
                   ("approvals", "decline"), ("approve",), ("reject",), ("users", "add"), ("users", "passwd"),
                   ("users", "roles"), ("users", "token")}


def _option(command: click.Command, name: str) -> click.Option | None:
    for p in command.params:
        if isinstance(p, click.Option) and name in p.opts:
            return p
    return None


def _visible(command: click.Command) -> set[str]:
    return {o for p in command.params if isinstance(p, click.Option) and not p.hidden for o in [*p.opts, *p.secondary_opts]}


def test_the_tree_is_what_the_readme_names() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"validate", "check", "approvals list", "changes show", "audit verify", "users add", "serve", "export gx"} <= names
    assert len(LEAVES) >= 29


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    res = run_dq(*path, "--help")
    assert res.returncode == 0 and res.stdout.startswith("Usage: dq " + " ".join(path)), res.stdout
    summary = res.stdout.split("\n\n")[1].strip()
    assert len(summary) > 20, res.stdout
    for opt in (p for p, c in LEAVES if p == path for p in c.params):
        if isinstance(opt, click.Option) and not opt.hidden:
            assert opt.help or opt.is_flag and opt.secondary_opts, (path, opt.opts)


@pytest.mark.parametrize("path,command", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_shared_concepts_use_the_shared_options(path: tuple[str, ...], command: click.Command) -> None:
    visible = _visible(command)
    # --lang everywhere, resolved once (a callback), never a raw string left to the command.
    lang = _option(command, "--lang")
    assert lang is not None and lang.callback is not None and lang.callback.__name__ == "_lang", path
    # -o is always --out, the output location, and says whether it is a folder or a file.
    out = _option(command, "-o")
    if out is not None:
        assert out.opts == ["--out", "-o"] and out.name == "out", (path, out.opts)
        assert out.help.startswith(("Output folder:", "Output file:")), (path, out.help)
    assert "--output" not in visible, path  # kept only as a hidden alias
    # -f is always --format, every format choice; --json only as a hidden alias.
    fmt = _option(command, "-f")
    if fmt is not None:
        assert fmt.opts == ["--format", "-f"] and fmt.name == "fmt", path
    assert "--json" not in visible, path
    for flag, long in (("-q", "--quiet"), ("-b", "--baseline"), ("-c", "--config")):
        opt = _option(command, flag)
        assert opt is None or opt.opts[0] == long, (path, flag, opt and opt.opts)
        if long in visible:
            assert flag in visible, (path, long)
    # Every command on project state finds the project (and so its database) the same way.
    if path in STATEFUL:
        config = _option(command, "-c")
        assert config is not None and config.callback is not None and config.callback.__name__ == "_remember_project", path
        if path in THROUGH_SERVICE:
            assert {"--server", "--user"} <= visible and "--db" not in visible, path
        elif path not in {("check",), ("issues", "list"), ("issues", "show"), ("history",)}:
            assert {"--db", "--state-dir", "--schemas", "--rules"} <= visible, path


def test_old_spellings_still_work(tmp_path: Path) -> None:
    """--output (fix, template, export) and --json (issues list, history, approvals list) are hidden aliases."""
    out = tmp_path / "t.xlsx"
    res = run_dq("template", "customer", "--output", out, "--lang", "en")
    assert res.returncode == 0 and out.is_file(), res.stderr
    res = run_dq("fix", str(out), "--lang", "en")
    assert res.returncode == 2 and "-o" in res.stderr  # dq fix still needs to be told where the copy goes


def test_approvals_list_from_a_subfolder_uses_the_projects_database(tmp_path: Path, write_xlsx) -> None:  # type: ignore[no-untyped-def]
    from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows

    proj = tmp_path / "proj"
    assert run_dq("init", proj, "--lang", "en").returncode == 0
    base = customer(1)
    changed = dict(base, credit_limit=float(base["credit_limit"] or 0) * 10 + 1000)
    baseline = write_xlsx("baseline.xlsx", {"客户主数据": sheet_rows([base], CUSTOMER_HEADERS_ZH)})
    incoming = write_xlsx("incoming.xlsx", {"客户主数据": sheet_rows([changed], CUSTOMER_HEADERS_ZH)})
    deep = proj / "data" / "incoming" / "2026-11"
    deep.mkdir(parents=True)
    env = {"DQ_DB": None, "DQ_LANG": "en"}

    # Submitted from the project folder itself, signed in through the project's service ...
    from served import PASSWORD, project_service

    with project_service(proj, {"王芳": ()}) as url:
        sub = run_dq("changes", "submit", incoming, "-b", baseline, "--requested-by", "王芳", "--user", "王芳", cwd=proj,
                     env={**env, "DQ_SERVER": url}, input=PASSWORD + "\n")
    assert sub.returncode == 0, sub.stdout + sub.stderr
    assert (proj / ".dq" / "dq.db").is_file()
    # ... listed from a folder three levels down: the same database, not a new .dq there.
    listed = run_dq("approvals", "list", "-f", "json", cwd=deep, env=env)
    assert listed.returncode == 0, listed.stderr
    requests = json.loads(listed.stdout)
    assert [(r["entity"], r["field"], r["status"]) for r in requests] == [("customer", "credit_limit", "pending")]
    assert not (deep / ".dq").exists()
    # dq check reads that same database: its store is the file the approvals went to.
    from dataquality.track.workspace import load_project

    project = load_project(None, deep)
    assert project.path == (proj / "dq.yaml").resolve()
    assert (project.state_url or "") == "" and (project.state_dir / "dq.db").resolve() == (proj / ".dq" / "dq.db").resolve()
    # The hidden --json alias and -c from outside the project give the same list.
    again = run_dq("approvals", "list", "--json", "-c", proj, cwd=tmp_path, env=env)
    assert json.loads(again.stdout) == requests
    # Outside any project (no dq.yaml above): the standalone .dq of the current folder, and none there.
    outside = run_dq("approvals", "list", cwd=tmp_path, env=env)
    assert outside.returncode == 2 and "no approval database" in outside.stderr


def test_lang_comes_from_the_project(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    assert run_dq("init", proj, "--lang", "zh").returncode == 0
    assert "lang: zh" in (proj / "dq.yaml").read_text(encoding="utf-8")
    res = run_dq("history", cwd=proj, env={"DQ_LANG": "en", "LANG": "C"})
    assert res.returncode == 0, res.stderr
    zh = run_dq("history", "--lang", "zh", cwd=proj).stdout
    en = run_dq("history", "--lang", "en", cwd=proj).stdout
    assert res.stdout == zh and zh != en
