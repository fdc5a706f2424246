"""Control characters and terminal escapes in data are shown, never obeyed: a cell holding
`ESC ] 0 ; PWNED BEL ESC [ 2 J` would retitle and clear the terminal of whoever runs dq on it."""

from __future__ import annotations

import ast
import os
import pty
import subprocess
import sys
from pathlib import Path

import orjson
from dq_cli import run_dq

ROOT = Path(__file__).resolve().parents[2]
PWNED = "\x1b]0;PWNED\x07\x1b[2J"
CSV_HEADER = "客户编码,客户名称,业务员,联系电话,详细地址\n"


def _evil_csv(path: Path, extra_rows: str = "") -> Path:
    path.write_text(CSV_HEADER + f"C000001,甲{PWNED}公司,张伟,1380{PWNED},上海\u202e市\r\n" + extra_rows, encoding="utf-8")
    return path


def _in_a_terminal(args: list[str], cwd: Path) -> bytes:
    """Run `dq ARGS` with a pseudo-terminal as stdout and stderr (colours on): all it wrote."""
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_LANG": "en", "TERM": "xterm-256color", "COLUMNS": "200"}
    env.pop("CI", None)
    proc = subprocess.Popen([sys.executable, "-m", "dataquality", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the follower side closed: dq has exited
            break
        if not chunk:
            break
        out += chunk
    proc.wait(120)
    os.close(leader)
    return out


def _obeyed(out: bytes) -> list[bytes]:
    return [seq for seq in (b"\x1b]0;PWNED", b"\x1b[2J", b"\x07", "\u202e".encode()) if seq in out]


def test_the_console_report_in_a_real_terminal(tmp_path) -> None:
    evil = _evil_csv(tmp_path / "customers.csv")
    named = _evil_csv(tmp_path / f"x{PWNED}.csv")
    out = _in_a_terminal(["validate", str(evil), str(named), "--lang", "en"], tmp_path)
    assert b"\x1b[" in out  # it is a terminal: rich colours the report
    assert not _obeyed(out) and b"1380\\x1b]0;PWNED\\a\\x1b[2J" in out and b"x\\x1b]0;PWNED" in out
    missing = _in_a_terminal(["validate", str(tmp_path / f"gone{PWNED}.xlsx")], tmp_path)  # an error line on stderr
    assert not _obeyed(missing) and b"gone\\x1b]0;PWNED" in missing


def test_dq_map_in_a_real_terminal(tmp_path) -> None:
    evil = tmp_path / "customers.csv"
    evil.write_text(f"客户编码,客户名称,业务员,联系电话,详细地址,[link=http://evil.example]备注[/link]{PWNED}\n"
                    "C000001,甲,张伟,13800000001,上海,1\n", encoding="utf-8")
    out = _in_a_terminal(["map", str(evil)], tmp_path)
    assert not _obeyed(out) and b"\x1b]8;" not in out  # no hyperlink made from a header either
    assert b"[link=http://evil.example]" in out


def test_dq_issues_and_dq_changes(tmp_path) -> None:
    env = {"DQ_LANG": "en", "DQ_DB": None, "DQ_AUDIT_KEY": None, "DQ_AUDIT_KEY_FILE": None, "COLUMNS": "250"}
    assert run_dq("init", "acme", cwd=tmp_path, env=env).returncode == 0
    project = tmp_path / "acme"
    config = project / "dq.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("[data/customers.xlsx]", "[data/customers.csv]")
                      .replace("  product: [data/products.xlsx]\n", ""), encoding="utf-8")
    _evil_csv(project / "data" / "customers.csv")
    assert run_dq("check", "--quiet", cwd=project, env=env).returncode == 1
    listed = run_dq("issues", "list", cwd=project, env=env)
    shown = run_dq("issues", "show", "DQ-000001", cwd=project, env=env)
    for done in (listed, shown):
        assert "\x1b" not in done.stdout + done.stderr and "PWNED" in done.stdout
    assert "\\x1b]0;PWNED" in listed.stdout
    as_json = run_dq("issues", "list", "--format", "json", cwd=project, env=env)
    assert "\u202e" not in as_json.stdout and PWNED in {i["value"] for i in orjson.loads(as_json.stdout)} | {
        i["value"][4:] for i in orjson.loads(as_json.stdout) if i["value"]}
    baseline = project / "baseline.csv"
    baseline.write_text(CSV_HEADER + "C000001,甲公司,张伟,13800000001,上海市\n", encoding="utf-8")
    changes = run_dq("changes", "show", "data/customers.csv", "--baseline", str(baseline), "--all", cwd=project, env=env)
    assert changes.returncode in (0, 1) and "PWNED" in changes.stdout, changes.stdout + changes.stderr
    assert "\x1b" not in changes.stdout + changes.stderr and "\\x1b]0;PWNED" in changes.stdout


def test_nothing_prints_but_through_the_terminal_module() -> None:
    """One obvious place: click.echo, print() and rich Consoles are used in dataquality/terminal.py only."""
    offenders = []
    for path in (ROOT / "dataquality").rglob("*.py"):
        if path.name == "terminal.py" and path.parent.name == "dataquality":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                if (owner == "click" and name in ("echo", "secho")) or name == "Console" or (
                            isinstance(f, ast.Name) and name == "print" and path.name != "docs.py"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], offenders
