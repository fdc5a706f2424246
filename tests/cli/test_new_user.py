"""What a new user meets (issue 11): each bug seen, with the behaviour now expected."""

from __future__ import annotations

import shutil
from pathlib import Path

from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows
from dq_cli import ROOT, assert_one_line_error, dq
from openpyxl import Workbook

from dataquality.i18n import text


def _customers(path: Path, records: list[dict]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for row in sheet_rows(records, CUSTOMER_HEADERS_ZH):
        ws.append(row)
    wb.save(path)
    return path


def test_english_plurals_and_translated_entity(tmp_path):
    path = _customers(tmp_path / "c.xlsx", [customer(1, phone="12")])
    en = dq("validate", str(path), "--lang", "en")
    assert "1 customer record," in en.stdout and "1 error," in en.stdout and "0 warnings, 0 notes" in en.stdout
    assert "1 errors" not in en.stdout and "1 notes" not in en.stdout
    zh = dq("validate", str(path), "--lang", "zh")
    assert "1 条客户记录" in zh.stdout and "customer" not in zh.stdout.split("\n")[0]


def test_plural_placeholder():
    assert text("console.headline", "en", errors=1, warnings=2, infos=1) == "1 error, 2 warnings, 1 note"
    assert text("console.headline", "zh", errors=1, warnings=2, infos=1) == "1 个错误，2 个警告，1 个提示"


def test_excel_lock_file_is_named_as_such(tmp_path):
    lock = tmp_path / "~$customers.xlsx"
    lock.write_bytes(b"\x05user " + b"\x00" * 150)
    proc = dq("validate", str(lock))
    assert_one_line_error(proc, lock, "lock file", "customers.xlsx")
    assert "CSV" not in proc.stderr


def test_unknown_rule_code_in_rules_yaml_is_exit_2(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "rules.yaml").write_text("rules:\n  FTM002: {enabled: false}\n", encoding="utf-8")
    path = _customers(tmp_path / "c.xlsx", [customer(1)])
    proc = dq("validate", str(path), "--rules", str(rules))
    assert_one_line_error(proc, rules / "rules.yaml", "FTM002", "FMT002")


def test_state_dir_that_does_not_exist_is_not_created(tmp_path):
    missing = tmp_path / "nope"
    proc = dq("approvals", "list", "--state-dir", str(missing))
    assert_one_line_error(proc, missing, "does not exist")
    assert not missing.exists()


def test_read_only_commands_create_no_empty_database(tmp_path):
    for args in (["approvals", "list"], ["audit", "verify"], ["audit", "export", "-o", "a.csv"]):
        proc = dq(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "no approval database" in proc.stderr and "intact" not in proc.stdout
        assert not (tmp_path / ".dq").exists(), args


def test_issue_list_and_show_say_what_is_wrong_and_counts_agree(tmp_path):
    import json
    import subprocess

    from dq_cli import run_dq

    def run(*args: str, now: str = "2026-11-23T02:00:00") -> subprocess.CompletedProcess:
        return run_dq(*args, env={"DQ_LANG": "en", "DQ_NOW": now})

    proj = tmp_path / "proj"
    assert run("init", str(proj), "--demo").returncode == 0
    check = run("check", "-c", str(proj), "-q")
    assert check.returncode == 1, check.stderr
    listed = json.loads(run("issues", "list", "-c", str(proj), "--json").stdout)
    assert f"Run 1: {len(listed)} new," in check.stdout
    assert "1 notes" not in check.stdout and "1 errors" not in check.stdout
    groups = [i for i in listed if i["rule"] in ("UNQ001", "CUS003", "PRD003")]
    assert groups
    for lang in ("en", "zh"):
        for issue in json.loads(run("issues", "list", "-c", str(proj), "--json", "--lang", lang).stdout):
            assert "{" not in issue["message"], issue["message"]
    for issue in groups:
        assert issue["cell"] and issue["cell"].split("!")[1][0].isalpha(), issue["cell"]
    shown = run("issues", "show", groups[0]["issue_number"], "-c", str(proj))
    assert shown.returncode == 0 and "{" not in shown.stdout and groups[0]["cell"] in shown.stdout
    table = run("issues", "list", "-c", str(proj), "--lang", "zh")
    assert "{" not in table.stdout
    # Weeks later: the overdue count of the run equals what --overdue lists.
    later = run("check", "-c", str(proj), "-q", now="2026-12-20T02:00:00")
    overdue = json.loads(run("issues", "list", "-c", str(proj), "--json", "--overdue", now="2026-12-20T02:00:00").stdout)
    assert f"{len(overdue)} overdue" in later.stdout, later.stdout


def test_rules_code_in_chinese_describes_the_rule_in_chinese():
    from click.testing import CliRunner

    from dataquality.checks.registry import active_rules, doc_sections
    from dataquality.cli import main
    from dataquality.i18n import has

    for rule in active_rules():
        doc = doc_sections(rule.doc)
        # The English of rule_doc.yaml is the docstring itself, so the two never drift apart.
        assert text(f"rule_doc.{rule.code}.summary", "en") == doc.summary, rule.code
        assert text(f"rule_doc.{rule.code}.why", "en") == doc.why, rule.code
        assert has(f"rule_doc.{rule.code}.summary")
    out = CliRunner().invoke(main, ["rules", "UNQ001", "--lang", "zh"]).output
    assert "必须唯一的值出现在多行中" in out and "appears on more than one row" not in out
    en = CliRunner().invoke(main, ["rules", "UNQ001", "--lang", "en"]).output
    assert "appears on more than one row" in en
