"""Department correction lists, JUnit XML, and several formats written by one dq validate."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from dq_cli import run_dq
from openpyxl import load_workbook
from report_helpers import demo_result

from dataquality.issue import Issue, Severity
from dataquality.pipeline import Result
from dataquality.report import ReportOptions, corrections, junit


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_dq(*args, cwd=cwd)


def test_dq_corrections_writes_one_list_per_department(tmp_path: Path) -> None:
    _cli("demo", "demo", "-q", cwd=tmp_path)
    done = _cli("corrections", "demo/customers.xlsx", "demo/products.xlsx", "--out", "lists", "--lang", "zh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = {p.name for p in (tmp_path / "lists").iterdir()}
    assert {"销售部.xlsx", "财务部.xlsx", "生产部.xlsx"} <= names
    ws = load_workbook(tmp_path / "lists" / "财务部.xlsx").active
    header = [c.value for c in ws[3]]
    assert header[:4] == ["问题编号", "级别", "实体", "主键"]
    assert header[-3:] == ["更正后的值", "处理人", "处理日期"]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=4)]
    fields = {r["字段"] for r in rows}
    assert fields <= {"信用额度", "银行账号", "付款条件", "统一社会信用代码", "标准售价", "标准成本", "币种"}
    credit = next(r for r in rows if r["当前值"] == "五十万")
    assert credit["单元格"] == "客户主数据!L29" and credit["主键"] == "C100026" and credit["更正后的值"] is None
    sales = load_workbook(tmp_path / "lists" / "销售部.xlsx").active
    phone = next(row for row in sales.iter_rows(min_row=4, values_only=True) if row[7] == "１３８１２３４５６７８")
    assert phone[9] == "13812345678"  # auto-fixable: the suggestion is the corrected value itself


def test_department_names_from_data_cannot_leave_the_folder(tmp_path: Path) -> None:
    issue = Issue(rule="REQ001", severity=Severity.ERROR, entity="customer", file="c.xlsx", sheet="S", row=2,
                  key="C1", field="salesperson", column="F", department="../../evil")
    issue = issue.with_tracking(tracking={"issue_number": "DQ-000007"})
    [path] = corrections.write_lists(Result([issue]), tmp_path / "lists", "en")
    assert path.parent == (tmp_path / "lists").resolve()
    ws = load_workbook(path).active
    assert ws["A4"].value == "DQ-000007"


def test_junit_has_a_case_per_issue_and_a_passed_case_per_clean_rule(tmp_path: Path, config) -> None:
    result = demo_result(tmp_path / "demo", config, "en")
    path = junit.write(result, ReportOptions(lang="en", out=tmp_path / "out"))
    root = ET.parse(path).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"dataquality customer", "dataquality product"}
    cases = [(c.get("classname"), c) for c in root.iter("testcase")]
    enm = [c for name, c in cases if name == "dataquality.customer.ENM001"]
    assert len(enm) == 2 and all(c.find("failure") is not None for c in enm)
    assert any("客户主数据!E15" in c.find("failure").text for c in enm)
    [passed] = [c for name, c in cases if name == "dataquality.product.TYP001"]
    assert passed.find("failure") is None and passed.find("skipped") is None
    [warning_only] = [c for name, c in cases if name == "dataquality.customer.FMT003"]
    skipped = warning_only.find("skipped")
    assert skipped is not None and "客户主数据!H13" in skipped.text and "--fail-on error" in skipped.get("message")
    # Failed test cases are exactly the issues that fail the run: the dashboard agrees with the exit code.
    failing = {i.fingerprint for i in result.issues if i.severity == Severity.ERROR}
    assert int(root.get("failures")) == len(failing) and result.exit_code("error") == 1
    never = ET.fromstring(junit.xml(result, "en", "never"))
    assert never.get("failures") == "0" and result.exit_code("never") == 0


def test_validate_writes_several_formats_at_once(tmp_path: Path) -> None:
    _cli("demo", "demo", "-q", cwd=tmp_path)
    done = _cli("validate", "demo/customers.xlsx", "demo/products.xlsx", "--format", "console,json,html,xlsx,junit",
                "--out", "out", "--lang", "en", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the demo has errors
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert names == {"report.json", "report.html", "junit.xml", "customers.annotated.xlsx", "products.annotated.xlsx"}
    assert "errors" in done.stdout  # the console report still prints
    bad = _cli("validate", "demo/customers.xlsx", "--format", "html,pdf", cwd=tmp_path)
    assert bad.returncode == 2 and "pdf" in bad.stderr
