"""Correction lists that come back (issue 25): DQ numbers in the lists, errors first, and
`dq corrections import` reading the filled columns: applied, a change request, or refused."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from dq_cli import run_dq
from openpyxl import load_workbook

from dataquality.issue import Issue, Severity
from dataquality.report import corrections

NIGHT1, IMPORT, NIGHT2 = "2026-11-23T02:00:00", "2026-11-23T15:00:00", "2026-11-24T02:00:00"


def _dq(project: Path, *args: str, now: str = NIGHT1, lang: str = "en"):  # type: ignore[no-untyped-def]
    return run_dq(*args, cwd=project, env={"DQ_NOW": now, "DQ_LANG": lang})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    run_dq("init", "p", "--demo", "--lang", "en", cwd=tmp_path)
    project = tmp_path / "p"
    assert _dq(project, "check", "-q", "--accept-open").returncode == 0
    return project


def _fill(project: Path, department: str, values: dict[str, str], into: Path) -> Path:
    """The department's list from the last run, with the yellow columns filled for `values` (number -> value)."""
    wb = load_workbook(project / "reports" / "latest" / "corrections" / f"{department}.xlsx")
    ws = wb.active
    head = [c.value for c in ws[3]]
    number, value, by, on = (head.index(h) for h in ("Issue no.", "Corrected value", "Done by", "Date"))
    filled = 0
    for row in ws.iter_rows(min_row=4):
        if row[number].value in values:
            row[value].value, row[by].value, row[on].value = values[row[number].value], "王芳", "2026-11-23"
            filled += 1
    assert filled == len(values)
    into.mkdir(exist_ok=True)
    wb.save(into / f"{department}.xlsx")
    return into / f"{department}.xlsx"


def _numbers(project: Path) -> dict[tuple[str, str], str]:
    """(key, field) -> DQ number of the open issues."""
    listed = json.loads(_dq(project, "issues", "list", "-f", "json").stdout)
    return {(i["key"], i["field"]): i["issue_number"] for i in listed}


def test_lists_put_errors_before_warnings_before_notes() -> None:
    def issue(severity: Severity, row: int) -> Issue:
        return Issue(rule="REQ001", severity=severity, entity="customer", file="c.xlsx", sheet="S", row=row, key=f"C{row}",
                     field="salesperson", column="F", department="销售部")

    found = corrections.by_department([issue(Severity.INFO, 2), issue(Severity.WARNING, 3), issue(Severity.ERROR, 9)], "en")
    assert [i.severity for i in found["销售部"]] == [Severity.ERROR, Severity.WARNING, Severity.INFO]


def test_lists_made_outside_a_project_carry_no_number_and_say_so(tmp_path: Path) -> None:
    run_dq("demo", "demo", "-q", cwd=tmp_path)
    done = run_dq("corrections", "demo/customers.xlsx", "--out", "lists", "--lang", "en", cwd=tmp_path)
    assert done.returncode == 0 and "Run inside a project" in done.stderr
    ws = load_workbook(tmp_path / "lists" / "销售部.xlsx").active
    assert "Run inside a project" in ws["A2"].value
    assert {row[0] for row in ws.iter_rows(min_row=4, values_only=True)} == {None}  # no fingerprint posing as a number
    ws.cell(row=4, column=[c.value for c in ws[3]].index("Corrected value") + 1).value = "X"  # such a list cannot come back
    ws.parent.save(tmp_path / "lists" / "销售部.xlsx")
    run_dq("init", "p", "--lang", "en", cwd=tmp_path)
    back = run_dq("corrections", "import", str(tmp_path / "lists" / "销售部.xlsx"), cwd=tmp_path / "p", env={"DQ_LANG": "en"})
    assert back.returncode == 2 and "made outside a project" in back.stderr


def test_import_outside_a_project_says_to_run_inside_one(tmp_path: Path) -> None:
    done = run_dq("corrections", "import", "x.xlsx", "--lang", "zh", cwd=tmp_path)
    assert done.returncode == 2 and "需要在项目中运行" in done.stderr


def test_lists_inside_a_project_carry_dq_numbers_or_ask_for_a_check_first(project: Path) -> None:
    done = _dq(project, "corrections", "--out", "lists", "-q")
    assert done.returncode == 0, done.stderr
    numbers = {row[0] for row in load_workbook(project / "lists" / "销售部.xlsx").active.iter_rows(min_row=4, values_only=True)}
    assert numbers and all(n.startswith("DQ-") for n in numbers)
    book = project / "data" / "customers.xlsx"
    wb = load_workbook(book)
    wb.worksheets[0]["E5"] = "Z"  # a new issue no dq check has numbered yet
    wb.save(book)
    again = _dq(project, "corrections", "--out", "lists", "-q")
    assert again.returncode == 2 and "run dq check first" in again.stderr


def test_filled_lists_come_back_applied_requested_or_refused(project: Path) -> None:
    n = _numbers(project)
    code, grade, created = n[("C12345", "customer_code")], n[("C100012", "grade")], n[("C100021", "created_on")]
    credit = n[("C100014", "credit_limit")]
    back = project.parent / "back"
    lists = [_fill(project, "销售部", {code: "C012345", grade: "B", created: "2024-01-05"}, back),
             _fill(project, "财务部", {credit: "-1"}, back)]
    done = _dq(project, "corrections", "import", *map(str, lists), "-o", "corrected", now=IMPORT)
    assert done.returncode == 1, done.stdout + done.stderr  # one value was refused: reported back
    assert "4 rows read back: 2 applied to the corrected master, 1 change request for approval, 1 refused" in done.stdout
    assert f"Refused {credit}" in done.stdout and "still breaks RNG001" in done.stdout

    # Applied: the corrected master holds the two values, marked; the input is untouched.
    ws = load_workbook(project / "corrected" / "customers.xlsx")["客户主数据"]
    assert ws["A8"].value == "C012345" and ws["P24"].value is not None and str(ws["P24"].value).startswith("2024-01-05")
    assert ws["E15"].value == "E" and ws["L17"].value != -1  # the sensitive and the refused values are not in it
    assert load_workbook(project / "data" / "customers.xlsx")["客户主数据"]["A8"].value == "C12345"

    # Requested: a change request for the grade, the sales department's head as requester.
    pending = json.loads(_dq(project, "approvals", "list", "-f", "json").stdout)
    [request] = [r for r in pending if r["field"] == "grade"]
    assert request["requested_by"] == "张伟" and request["new"] == "B" and request["status"] == "pending"
    assert load_workbook(project / "corrected" / "requests" / "customers.xlsx")["客户主数据"]["E15"].value == "B"

    with (project / "corrected" / "import-outcome.csv").open(encoding="utf-8-sig") as fh:
        rows = {r["Issue no."]: r for r in csv.DictReader(fh)}
    assert rows[credit]["Outcome"] == "refused (reported back)" and "RNG001" in rows[credit]["Why"]
    assert rows[grade]["Change request"] == str(request["id"]) and rows[code]["Field"] == "Customer code"

    # The same lists again: nothing new is applied; the refused row is refused again.
    again = _dq(project, "corrections", "import", *map(str, lists), "-o", "corrected", now=IMPORT)
    assert "3 imported before" in again.stdout

    # The corrected master in place of the export: the next night resolves both, fixed by the department.
    shutil.copyfile(project / "corrected" / "customers.xlsx", project / "data" / "customers.xlsx")
    night = _dq(project, "check", "-q", now=NIGHT2)
    assert night.returncode == 0 and "2 of the resolved issues were fixed by their departments" in night.stdout
    resolved = json.loads(_dq(project, "issues", "list", "--status", "resolved", "-f", "json", now=NIGHT2).stdout)
    assert {(i["issue_number"], i["resolution"], i["fixed_by"]) for i in resolved} == {
        (code, "fixed-by-department", "王芳"), (created, "fixed-by-department", "王芳")}
    shown = _dq(project, "issues", "show", code, now=NIGHT2).stdout
    assert "fixed by department" in shown and "Fixed by 销售部: corrected by 王芳 on 2026-11-23" in shown


def test_a_department_without_a_head_gets_its_sensitive_correction_refused(project: Path) -> None:
    departments = project / "rules" / "departments.yaml"
    departments.write_text(departments.read_text(encoding="utf-8").replace(", head: 张伟", ""), encoding="utf-8")
    grade = _numbers(project)[("C100012", "grade")]
    listed = _fill(project, "销售部", {grade: "B"}, project.parent / "back")
    done = _dq(project, "corrections", "import", str(listed), "-o", "corrected", "--lang", "zh", now=IMPORT)
    assert done.returncode == 1 and "没有 销售部 的负责人" in done.stdout
