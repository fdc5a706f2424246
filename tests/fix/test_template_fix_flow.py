"""The new user's round trip: zh template -> ten rows with mistakes -> LibreOffice -> validate -> fix -> validate."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from dq_cli import run_dq
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]

# Ten customers as a data-entry clerk types them: mechanical slips that dq fix may correct with
# certainty, and mistakes that need a person (marked HUMAN).
ROWS = [
    ["C000001", "上海华东机电有限公司", "企业", "91310000MA1FL4CT3U", "A", "张伟", "销售部", "13812345678",
     "buyer@huadong.cn", "上海市", "浦东新区张江路1号", 500000, "月结30天", "6222020200112233", "启用", dt.datetime(2024, 1, 5)],
    ["c000002", " 杭州联创自动化有限公司 ", "enterprise", "91330100MA27XK1B2U", "B", "王芳", "销售部", "+86 139-1234-5678",
     None, "浙江省", "滨江区江南大道2号", "1,000,000.00", "NET60", None, "active", dt.datetime(2024, 2, 1)],
    ["Ｃ000003", "深圳博远科技有限公司", "enterprise", "91440300MA5F0Q9R4X", "C", "李娜", "销售部", "１５０１２３４５６７８",
     None, "广东省", "南山区科技园3号", 150000, "预付", None, "停用", dt.datetime(2023, 7, 1)],
    ["C00004", "李四", "个人", None, "D", "刘洋", "销售部", "(021)12345678",  # HUMAN: a digit is missing in the code
     None, None, "黄浦区南京东路4号", 0, "COD", None, "active", dt.datetime(2024, 3, 3)],
    ["C000005", "王五", "individual", None, "C", "孙丽", "销售部", "13712345678",
     None, None, "徐汇区漕溪北路5号", "五十万", "NET30", None, "active", dt.datetime(2024, 3, 4)],  # HUMAN: 五十万
    ["C000006", "赵六", "individual", None, "C", "郑浩", "销售部", "13612345678",
     None, None, None, 1000, "NET30", None, "active", dt.datetime(2024, 3, 5)],  # HUMAN: address missing
    ["C000007", "钱七", "individual", None, "C", "张伟", "销售部", "13512345678",
     None, None, "静安区6号", 2000, "NET30", None, "有效", dt.datetime(2099, 1, 1)],  # HUMAN: created in the future
    ["C000008", "孙八贸易", "合资", None, "C", "王芳", "销售部", "13412345678",  # HUMAN: 合资 is no customer type
     None, None, "闵行区7号", "¥3,000", "NET30", None, "active", dt.datetime(2024, 3, 6)],
    ["C000009", "周九", "个人", None, "B", "李娜", "Sales", "021 8765 4321",
     None, None, "长宁区8号", 5000, "NET90", None, "active", dt.datetime(2024, 3, 7)],
    ["C000010", "吴十", "个人", None, "a", "刘洋", "销售部", "13312345678",
     None, None, "普陀区9号", 100, "货到付款", "６２２２０２０２", "active", dt.datetime(2024, 3, 8)],
]
HUMAN = {(5, "customer_code", "FMT001"), (6, "credit_limit", "TYP001"), (7, "address", "REQ001"),
         (8, "created_on", "RNG002"), (9, "customer_type", "ENM001")}


def dq(*args: str) -> subprocess.CompletedProcess[str]:
    return run_dq(*args)


def issues(path: Path) -> list[dict]:
    done = dq("validate", str(path), "--format", "json", "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["issues"]


def validations(path: Path) -> list[tuple]:
    ws = load_workbook(path).worksheets[0]
    return sorted((str(dv.sqref), dv.type, dv.formula1.lstrip("'").replace("'!", "!") if dv.formula1 else None)
                  for dv in ws.data_validations.dataValidation if dv.type)


def test_new_user_round_trip_through_libreoffice(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install -y libreoffice-calc-nogui): cannot prove the validations survive a real spreadsheet program")
    blank = tmp_path / "客户模板.xlsx"
    assert dq("template", "customer", "--lang", "zh", "-o", str(blank)).returncode == 0
    wb = load_workbook(blank)
    ws = wb.worksheets[0]
    for r, row in enumerate(ROWS, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c).value = value
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    # Re-save in LibreOffice, with a private profile so parallel runs do not share one.
    saved = tmp_path / "lo"
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                           "--outdir", str(saved), str(filled)], capture_output=True, text=True, timeout=180)
    resaved = saved / "filled.xlsx"
    assert resaved.exists(), done.stdout + done.stderr
    kept = validations(resaved)
    assert kept == validations(blank) and len(kept) >= 10  # every rule-bearing validation survived
    resaved_ws = load_workbook(resaved).worksheets[0]
    assert any(dv.prompt for dv in resaved_ws.data_validations.dataValidation)
    assert load_workbook(resaved)["下拉列表"].sheet_state == "hidden"

    first = issues(resaved)
    found = {(i["row"], i["field"], i["rule"]) for i in first}
    assert HUMAN <= found
    assert any(i["fixable"] for i in first)

    fixed = tmp_path / "fixed.xlsx"
    done_fix = dq("fix", str(resaved), "-o", str(fixed), "--lang", "zh")
    assert done_fix.returncode == 0, done_fix.stderr
    after = issues(fixed)
    assert {(i["row"], i["field"], i["rule"]) for i in after} == HUMAN
    values = load_workbook(fixed).worksheets[0]
    assert [values.cell(row=r, column=1).value for r in (3, 4)] == ["C000002", "C000003"]
    assert values["H3"].value == "13912345678" and values["H10"].value == "021-87654321"
    assert values["L3"].value == 1000000 and values["L9"].value == 3000
    assert values["C2"].value == "enterprise" and values["M2"].value == "NET30" and values["O2"].value == "active"
    assert values["E11"].value == "A" and values["N11"].value == "62220202"
    # Fixing the fixed file again changes nothing.
    again = dq("fix", str(fixed), "-o", str(tmp_path / "again.xlsx"), "--lang", "en")
    assert "nothing to fix" in again.stdout
