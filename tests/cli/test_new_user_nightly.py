"""What a new user met trying dq from a fresh clone (issue 25, "Others"): each point as seen, with
the behaviour now expected, in Chinese and English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from dq_cli import run_dq
from openpyxl import load_workbook
from rich.cells import cell_len

from dataquality.i18n import text
from dataquality.terminal import wrap

NO_LANG = {"LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "DQ_LANG": None}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert run_dq("demo", "d", "-q", cwd=folder).returncode in (0, 1)
    return folder / "d"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("project")
    run_dq("init", "p", "--demo", "--lang", "en", cwd=folder)
    for night in ("2026-11-23T02:00:00", "2026-11-24T02:00:00"):
        run_dq("check", "-q", cwd=folder / "p", env={"DQ_NOW": night})
    return folder / "p"


@pytest.mark.parametrize(("lang", "price", "date"), [
    ("en", "List price '0' must be greater than 0.", "Created on '2099-01-01' is later than today ("),
    ("zh", "标准售价“0”必须大于 0。", "创建日期“2099-01-01”晚于今天（"),
])
def test_an_exclusive_minimum_and_a_date_after_today_are_worded_as_they_are(demo: Path, lang: str, price: str,
                                                                            date: str) -> None:
    done = run_dq("validate", str(demo / "products.xlsx"), str(demo / "customers.xlsx"), "-f", "json", "--lang", lang)
    said = {i["rule"] + ":" + i["message"] for i in json.loads(done.stdout)["issues"]}
    assert f"RNG001:{price}" in said
    assert any(s.startswith(f"RNG002:{date}") for s in said)
    assert not any("below the minimum 0" in s or "低于最小值 0" in s for s in said if "标准售价" in s or "List price" in s)
    hints = {i["hint"] for i in json.loads(done.stdout)["issues"] if i["rule"] == "RNG001"}
    assert any(("greater than 0" if lang == "en" else "大于 0") in h for h in hints)


def test_grammar_of_three_messages() -> None:
    assert text("rules.FIL004.hint", "en", field="Address").startswith("Add the column Address")
    said = text("changes.submitted", "en", id=1, created=0, revised=0, unchanged=0, withdrawn=0, free=1)
    assert said.endswith("1 change needs no approval.")
    assert text("changes.submitted", "en", id=1, created=0, revised=0, unchanged=0, withdrawn=0, free=2).endswith(
        "2 changes need no approval.")


@pytest.mark.parametrize("terminal", [False, True], ids=["ci-log", "80-column-terminal"])
def test_issues_list_history_and_rules_read_well_at_80_columns_and_in_a_log(project: Path, terminal: bool) -> None:
    env = {"COLUMNS": "80", "DQ_LANG": "en", **({"FORCE_COLOR": "1", "TERM": "xterm"} if terminal else {"TERM": "dumb"})}
    listed = run_dq("issues", "list", cwd=project, env=env).stdout
    history = run_dq("history", cwd=project, env=env).stdout
    rules = run_dq("rules", env=env).stdout
    plain = re.sub(r"\x1b\[[0-9;]*m", "", listed + history + rules)
    assert "┃" not in plain and "│" not in plain  # no boxes folding their headers
    assert "Severit\n" not in plain and "Auto-fix…" not in plain
    heads = [line for line in plain.splitlines() if line.startswith("DQ-")]
    assert len(heads) == 32 and all(re.search(r"Due (\d{4}-\d{2}-\d{2}|-)", h) for h in heads)
    assert re.search(r"^Run 2  2026-11-24 02:00$", plain, flags=re.M)  # a date on one line, to the minute
    if terminal:
        assert max(len(line) for line in plain.splitlines()) <= 80
    else:  # a log: a record's lines are never broken
        assert "REQ002 Unified social credit code is required when Customer type is enterprise" in plain


def test_problems_on_an_80_column_console_never_cut_a_code() -> None:
    said = "统一社会信用代码“91330100F87QCXX5KG”同时被其他客户编码使用（第 32 行）。"
    lines = wrap(said, 30).split("\n")
    assert any("91330100F87QCXX5KG" in line for line in lines) and max(cell_len(line) for line in lines) <= 30
    assert wrap("Customer code 'C12345' does not have the required format", 20).split("\n") == [
        "Customer code", "'C12345' does not", "have the required", "format"]


def test_zh_console_report_keeps_codes_whole(demo: Path) -> None:
    done = run_dq("validate", str(demo / "customers.xlsx"), "--lang", "zh", "--limit", "40", env={"COLUMNS": "80"})
    assert "91330100F87QCXX5KG" in done.stdout
    assert "C000123" in done.stdout and "→ 每个客户编码" in done.stdout  # the arrow stays with its hint


@pytest.mark.parametrize("locale", [None, "C.UTF-8"])
def test_without_a_language_chinese_data_and_a_zh_template_speak_chinese(tmp_path: Path, locale: str | None) -> None:
    env = {**NO_LANG, "LANG": locale}
    assert run_dq("template", "customer", "--lang", "zh", "-o", "t.xlsx", cwd=tmp_path).returncode == 0
    wb = load_workbook(tmp_path / "t.xlsx")
    ws = wb.worksheets[0]
    ws.append(["C1"])  # a customer code in the wrong format, the rest empty
    wb.save(tmp_path / "t.xlsx")
    done = run_dq("validate", "t.xlsx", cwd=tmp_path, env=env)
    assert "个错误" in done.stdout and "errors" not in done.stdout
    run_dq("demo", "d", "-q", cwd=tmp_path)
    lists = run_dq("corrections", "d/customers.xlsx", "-o", "lists", cwd=tmp_path, env=env)
    assert "份更正清单" in lists.stderr
    assert load_workbook(tmp_path / "lists" / "销售部.xlsx").active["A3"].value == "问题编号"


def test_without_a_language_english_data_stays_english(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("customer_code,customer_name\nC1,Acme Trading\n", encoding="utf-8")
    done = run_dq("validate", "c.csv", cwd=tmp_path, env=NO_LANG)
    assert "error" in done.stdout and "错误" not in done.stdout


def test_dq_fix_says_which_changes_validate_does_not_report(demo: Path) -> None:
    reported = json.loads(run_dq("validate", str(demo / "products.xlsx"), "-f", "json").stdout)["issues"]
    fixable = sum(1 for i in reported if i["fixable"])
    dry = run_dq("fix", str(demo / "products.xlsx"), "--dry-run", "--lang", "en")
    assert re.search(r"\d+ of these changes are not reported by dq validate: ENM002", dry.stdout)
    assert "--only-reported" in dry.stdout
    only = run_dq("fix", str(demo / "products.xlsx"), "--dry-run", "--only-reported", "--lang", "en")
    assert re.search(rf"^{fixable} cells would be changed", only.stdout.strip(), flags=re.M)
    assert "not reported by dq validate" not in only.stdout


def test_template_without_out_writes_a_named_file_and_help_lists_supplier(tmp_path: Path) -> None:
    zh = run_dq("template", "customer", "--lang", "zh", cwd=tmp_path)
    assert zh.returncode == 0 and (tmp_path / "客户导入模板.xlsx").is_file()
    en = run_dq("template", "supplier", "--lang", "en", cwd=tmp_path)
    assert en.returncode == 0 and (tmp_path / "Supplier-import-template.xlsx").is_file()
    assert "supplier" in run_dq("template", "--help").stdout


def test_a_mistyped_file_name_is_one_line_and_no_report(demo: Path) -> None:
    for args in (("validate", str(demo / "customer.xlsx"), str(demo / "products.xlsx")),
                 ("fix", str(demo / "customer.xlsx"), "--dry-run"), ("corrections", str(demo / "customer.xlsx"))):
        done = run_dq(*args, "--lang", "en")
        assert done.returncode == 2 and done.stdout == "", args
        assert done.stderr.strip().splitlines() == [f"dq: {demo / 'customer.xlsx'}: file not found; check the path."]


def test_counts_are_shown_when_the_console_is_not_a_format(demo: Path, tmp_path: Path) -> None:
    done = run_dq("validate", str(demo / "customers.xlsx"), "-f", "json,html", "-o", str(tmp_path / "o"), "--lang", "en")
    assert re.search(r"^\d+ errors, \d+ warnings, \d+ notes?$", done.stderr, flags=re.M)


def test_paths_are_shown_relative_under_the_current_folder(tmp_path: Path) -> None:
    made = run_dq("init", "p", "--demo", "--lang", "en", cwd=tmp_path)
    done = run_dq("check", "-q", cwd=tmp_path / "p", env={"DQ_NOW": "2026-11-23T02:00:00"})
    said = made.stdout + made.stderr + done.stdout + done.stderr
    assert str(tmp_path) not in said
    assert "Reports: reports/2026-11-23T020000" in done.stdout
    missing = run_dq("check", "-q", "--lang", "en", cwd=tmp_path / "p", env={"DQ_NOW": "2026-11-24T02:00:00"})
    assert str(tmp_path) not in missing.stderr


def test_a_run_on_the_duckdb_engine_raises_no_warning(demo: Path, recwarn: pytest.WarningsRecorder) -> None:
    """The test summary's 2,355 warnings came from this path: ours are fixed at their cause, and
    pyproject's filterwarnings names only third-party noise (ibis, duckdb, GX), each with its reason."""
    done = run_dq("validate", str(demo / "products.xlsx"), "--engine", "duckdb", "-f", "json")
    assert done.returncode == 1 and json.loads(done.stdout)["issues"]
    import tomllib

    from dq_cli import ROOT

    filters = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]["filterwarnings"]
    filtered = [f.split(":")[1] for f in filters if f.startswith("ignore:")]
    ours = [w for w in recwarn if "/dataquality/" in w.filename.replace("\\", "/")]
    unknown = [w for w in recwarn if not any(re.match(pattern, str(w.message)) for pattern in filtered)]
    assert [str(w.message)[:80] for w in ours + unknown] == []
