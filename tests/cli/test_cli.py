"""The command line as a user meets it: exit codes, JSON contract, languages, rules, demo."""

from __future__ import annotations

import json

import pytest
from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows
from click.testing import CliRunner

from dataquality.cli import main

SPEC_FIELDS = {"rule", "severity", "entity", "file", "sheet", "row", "key", "field", "value", "message",
               "department", "fingerprint", "status", "first_seen"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def clean_file(write_xlsx):
    return write_xlsx("clean.xlsx", {"客户": sheet_rows([customer(i) for i in range(1, 6)], CUSTOMER_HEADERS_ZH)})


@pytest.fixture
def warning_file(write_xlsx):
    recs = [customer(i) for i in range(1, 6)]
    recs[0]["customer_name"] = " 上海华东机电1号有限公司"
    return write_xlsx("warn.xlsx", {"客户": sheet_rows(recs, CUSTOMER_HEADERS_ZH)})


@pytest.fixture
def error_file(write_xlsx):
    recs = [customer(i) for i in range(1, 6)]
    recs[2]["grade"] = "Z"
    return write_xlsx("err.xlsx", {"客户": sheet_rows(recs, CUSTOMER_HEADERS_ZH)})


def test_exit_codes(runner, clean_file, warning_file, error_file):
    assert runner.invoke(main, ["validate", str(clean_file)]).exit_code == 0
    assert runner.invoke(main, ["validate", str(warning_file)]).exit_code == 0
    assert runner.invoke(main, ["validate", str(warning_file), "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(main, ["validate", str(error_file)]).exit_code == 1
    assert runner.invoke(main, ["validate", str(error_file), "--fail-on", "never"]).exit_code == 0
    assert runner.invoke(main, ["validate", str(error_file), "--format", "nope"]).exit_code == 2


def test_json_contract_on_stdout(runner, error_file):
    res = runner.invoke(main, ["validate", str(error_file), "--format", "json", "--lang", "en"])
    data = json.loads(res.stdout)
    assert data["summary"]["by_severity"] == {"error": 1, "warning": 0, "info": 0}
    assert data["summary"]["by_rule"] == {"ENM001": 1}
    assert set(data["summary"]) >= {"by_severity", "by_entity", "by_rule", "by_department"}
    [issue] = data["issues"]
    assert SPEC_FIELDS <= set(issue)
    assert (issue["rule"], issue["row"], issue["field"], issue["value"], issue["sheet"]) == ("ENM001", 4, "grade", "Z", "客户")
    assert issue["key"] == "C100003" and issue["status"] == "new" and issue["department"] == "销售部"
    assert issue["message"] == "Grade 'Z' is not an allowed value."
    assert issue["cell"] == "客户!E4"


def test_json_to_folder_and_chinese(runner, error_file, tmp_path):
    out = tmp_path / "reports"
    res = runner.invoke(main, ["validate", str(error_file), "--format", "json", "--out", str(out), "--lang", "zh"])
    assert res.exit_code == 1
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["issues"][0]["message"] == "客户等级“Z”不是允许的取值。"
    assert not list(out.glob("*.tmp"))


def test_fingerprint_ignores_row_moves(runner, write_xlsx):
    recs = [customer(i) for i in range(1, 6)]
    recs[1]["grade"] = "Z"
    a = write_xlsx("a.xlsx", {"客户": sheet_rows(recs, CUSTOMER_HEADERS_ZH)})
    b = write_xlsx("b.xlsx", {"客户": sheet_rows(list(reversed(recs)), CUSTOMER_HEADERS_ZH)})
    fa = json.loads(runner.invoke(main, ["validate", str(a), "-f", "json"]).stdout)["issues"][0]
    fb = json.loads(runner.invoke(main, ["validate", str(b), "-f", "json"]).stdout)["issues"][0]
    assert fa["row"] != fb["row"] and fa["fingerprint"] == fb["fingerprint"]


def test_console_report(runner, error_file):
    res = runner.invoke(main, ["validate", str(error_file), "--lang", "en"])
    assert "1 error, 0 warnings" in res.stdout
    assert "ENM001" in res.stdout and "客户!E4" in res.stdout


def test_quiet_prints_nothing(runner, error_file):
    res = runner.invoke(main, ["validate", str(error_file), "--quiet"])
    assert res.exit_code == 1 and res.stdout == ""


def test_rules_list_and_explain(runner):
    res = runner.invoke(main, ["rules", "--lang", "en"])
    assert res.exit_code == 0
    for code in ("REQ001", "FMT001", "ENM001", "UNQ001"):
        assert code in res.stdout
    one = runner.invoke(main, ["rules", "fmt001", "--lang", "zh"])
    assert one.exit_code == 0
    assert "FMT001 pattern-mismatch" in one.stdout and "为什么重要" in one.stdout and "错误示例" in one.stdout
    assert runner.invoke(main, ["rules", "XYZ999"]).exit_code == 2


def test_every_command_has_help(runner):
    for name, command in main.commands.items():
        assert command.help, f"dq {name} has no help text"
        assert runner.invoke(main, [name, "--help"]).exit_code == 0


def test_demo_writes_samples_and_validates(runner, tmp_path):
    res = runner.invoke(main, ["demo", str(tmp_path / "demo"), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "demo" / "customers.xlsx").exists() and (tmp_path / "demo" / "products.xlsx").exists()
    assert "errors" in res.stdout and "FMT001" in res.stdout
    reports = tmp_path / "demo" / "reports"
    for name in ("report.html", "report.json", "junit.xml", "customers.annotated.xlsx", "products.annotated.xlsx"):
        assert (reports / name).is_file(), name
    lists = sorted(p.name for p in (reports / "corrections").glob("*.xlsx"))
    assert "销售部.xlsx" in lists and all(not n.startswith("(") for n in lists)


def test_unknown_columns_have_distinct_fingerprints(runner, write_xlsx):
    rows = sheet_rows([customer(1)], CUSTOMER_HEADERS_ZH, extra={"备注一": ["a"], "备注二": ["b"]})
    path = write_xlsx("c.xlsx", {"客户": rows})
    issues = json.loads(runner.invoke(main, ["validate", str(path), "-f", "json"]).stdout)["issues"]
    prints = [i["fingerprint"] for i in issues if i["rule"] == "FIL001"]
    assert len(prints) == 2 and len(set(prints)) == 2
