"""dq check evaluates pending approvals: a sensitive change against the project's baseline is APR001."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from openpyxl import load_workbook

from dataquality.check import run_check
from dataquality.demo import write_demo
from dataquality.track.project import Project
from dataquality.track.scaffold import init_project


def test_unapproved_credit_change_in_nightly_check(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    init_project(root, lang="en")
    write_demo(root / "data")
    shutil.copy(root / "data" / "customers.xlsx", root / "baseline" / "customers.xlsx")
    wb = load_workbook(root / "data" / "customers.xlsx")
    ws = wb.worksheets[0]
    headers = {c.value: c.column for c in ws[3]}
    cell = ws.cell(row=5, column=headers["信用额度"])
    cell.value = 4_000_000  # grade caps aside, a rise of millions needs L1-L3
    ws.cell(row=5, column=headers["客户等级"]).value = "A"
    code = ws.cell(row=5, column=headers["客户编码"]).value
    wb.save(root / "data" / "customers.xlsx")

    outcome = run_check(Project.load(root / "dq.yaml"), formats=["json"])
    report = json.loads((root / "reports" / "latest" / "report.json").read_text(encoding="utf-8"))
    apr = [i for i in report["issues"] if i["rule"] == "APR001"]
    assert {(i["key"], i["field"]) for i in apr} >= {(code, "credit_limit")}
    assert all(i["severity"] == "error" and i["issue_number"] for i in apr)
    assert outcome is not None
