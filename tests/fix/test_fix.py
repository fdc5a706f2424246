"""dq fix: only certain corrections, from the fixable rules; formatting kept; input untouched."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from dq_cli import run_dq
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from dataquality import fix as fixing
from dataquality.checks.registry import REGISTRY
from dataquality.config import Config
from dataquality.paths import default_rules_dir

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["客户编码", "客户名称", "客户类型", "业务员", "联系电话", "详细地址", "信用额度", "状态"]


def dq(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_dq(*args, cwd=cwd)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A customer sheet with one certain fix of each kind, one needing judgement, and some formatting."""
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(HEADER)
    ws.append(["c000001", " 上海华东机电  有限公司 ", "企业", "张伟", "+86 138-1234-5678", "浦东新区张江路1号", "1,000.00", "启用"])
    ws.append(["C000002", "杭州联创", "enterprise", "王芳", "１３９１２３４５６７８", "滨江区江南大道2号", "五十万", "active"])
    ws.append(["C00003", "宏达塑胶", "个人", "李娜", "(021)12345678", "深圳市南山区", 200000, "停用"])
    ws["A1"].font = Font(bold=True, color="FF0000")
    ws.column_dimensions["B"].width = 40
    notes = wb.create_sheet("备注")
    notes["A1"] = "do not touch"
    path = tmp_path / "customers.xlsx"
    wb.save(path)
    return path


def test_plan_lists_only_certain_fixes_from_fixable_rules(messy: Path, config: Config) -> None:
    plan = fixing.plan(messy, config)
    got = {(c.cell, c.old, c.new) for c in plan.changes}
    assert got == {
        ("客户!A2", "c000001", "C000001"),
        ("客户!B2", " 上海华东机电  有限公司 ", "上海华东机电 有限公司"),
        ("客户!C2", "企业", "enterprise"),
        ("客户!E2", "+86 138-1234-5678", "13812345678"),
        ("客户!G2", "1,000.00", "1000"),
        ("客户!H2", "启用", "active"),
        ("客户!E3", "１３９１２３４５６７８", "13912345678"),
        ("客户!C4", "个人", "individual"),
        ("客户!E4", "(021)12345678", "021-12345678"),
        ("客户!H4", "停用", "inactive"),
    }
    # One list of fixes: every change comes from a registered fixable rule.
    assert all(REGISTRY[code].fixable for c in plan.changes for code in c.rules)
    # Judgement calls stay with a person: 五十万 (not a number), C00003 (which digit is missing?).
    left = {(i.row, i.field, i.rule) for i in plan.remaining}
    assert (3, "credit_limit", "TYP001") in left
    assert (4, "customer_code", "FMT001") in left
    assert not any(i.fixable for i in plan.remaining)


def test_fixed_copy_keeps_formatting_marks_cells_and_lists_changes(messy: Path, tmp_path: Path) -> None:
    before = digest(messy)
    out = tmp_path / "fixed.xlsx"
    done = dq("fix", str(messy), "-o", str(out), "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "10 cells changed" in done.stdout
    assert digest(messy) == before  # the input is never modified
    wb = load_workbook(out)
    ws = wb["客户"]
    assert ws["A1"].font.bold and ws["A1"].font.color.rgb.endswith("FF0000")
    assert ws.column_dimensions["B"].width == 40
    assert wb["备注"]["A1"].value == "do not touch"
    assert ws["G2"].value == 1000 and isinstance(ws["G2"].value, int)  # a real number now
    assert ws["E2"].value == "13812345678" and ws["E2"].number_format == "@"  # codes stay text
    assert ws["H2"].value == "active"
    assert ws["H2"].fill.start_color.rgb.endswith(fixing.CHANGED_FILL)
    assert "启用" in ws["H2"].comment.text and "ENM002" in ws["H2"].comment.text
    assert ws["G3"].value == "五十万" and ws["G3"].comment is None  # not touched
    changes = list(wb["Changes"].iter_rows(values_only=True))
    assert changes[0][:5] == ("Cell", "Field", "Old value", "New value", "Rule")
    assert {r[0] for r in changes[1:]} == {"客户!A2", "客户!B2", "客户!C2", "客户!E2", "客户!G2", "客户!H2",
                                           "客户!E3", "客户!C4", "客户!E4", "客户!H4"}
    row = next(r for r in changes if r[0] == "客户!G2")
    assert row[1:4] == ("Credit limit (credit_limit)", "1,000.00", "1000") and row[4].startswith("TYP005")


def test_rerunning_on_the_fixed_file_changes_nothing(messy: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "fixed.xlsx", tmp_path / "fixed2.xlsx"
    assert dq("fix", str(messy), "-o", str(first)).returncode == 0
    again = dq("fix", str(first), "-o", str(second), "--lang", "en")
    assert again.returncode == 0, again.stderr
    assert "nothing to fix" in again.stdout
    assert digest(first) == digest(second)


def test_validate_after_fix_leaves_only_what_needs_a_person(messy: Path, tmp_path: Path) -> None:
    out = tmp_path / "fixed.xlsx"
    assert dq("fix", str(messy), "-o", str(out)).returncode == 0
    report = dq("validate", str(out), "--format", "json", "--fail-on", "never")
    import json

    issues = json.loads(report.stdout)["issues"]
    # RUL001 on the header row: the sheet has credit limits but no grade, so CUS001 could not run.
    assert {(i["row"], i["field"], i["rule"]) for i in issues} == {
        (3, "credit_limit", "TYP001"), (4, "customer_code", "FMT001"), (1, None, "RUL001")}


def test_dry_run_prints_and_writes_nothing(messy: Path, tmp_path: Path) -> None:
    done = dq("fix", str(messy), "--dry-run", "--lang", "zh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "将修改 10 个单元格" in done.stdout and "客户!G2" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.xlsx"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{input}"], "never overwrites"),
        (["-o", "{tmp}/fixed.csv"], ".xlsx"),
        ([], "-o FIXED.xlsx"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(messy: Path, tmp_path: Path, args: list[str], message: str) -> None:
    before = digest(messy)
    args = [a.format(input=messy, tmp=tmp_path) for a in args]
    done = dq("fix", str(messy), *args, "--lang", "en")
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert digest(messy) == before


def test_csv_in_csv_out_same_encoding_with_changes_csv(tmp_path: Path) -> None:
    src = tmp_path / "products.csv"
    text = "内部编码,品名,规格,单位,标准售价\r\nfg000001,螺栓,M8,个,\"1,000.00\"\r\nFG000002,螺母,M8,PCS,12\r\n"
    src.write_bytes(text.encode("gb18030"))
    out = tmp_path / "fixed.csv"
    done = dq("fix", str(src), "-o", str(out))
    assert done.returncode == 0, done.stderr
    fixed = out.read_bytes().decode("gb18030")
    assert fixed == "内部编码,品名,规格,单位,标准售价\r\nFG000001,螺栓,M8,PCS,1000\r\nFG000002,螺母,M8,PCS,12\r\n"
    changes = fixing.changes_csv_path(out).read_text(encoding="utf-8-sig").splitlines()
    assert changes[0].startswith("Cell,") or changes[0].startswith("单元格,")
    assert {line.split(",")[0] for line in changes[1:]} == {"A2", "D2", "E2"}


def test_a_rule_switched_off_in_rules_yaml_is_not_applied(messy: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    (rules / "rules.yaml").write_text("rules:\n  ENM002: {enabled: false}\n", encoding="utf-8")
    plan = fixing.plan(messy, Config.load(None, rules))
    assert not any("ENM002" in c.rules for c in plan.changes)
    assert any("TYP005" in c.rules for c in plan.changes)


def test_a_synonym_added_to_the_schema_is_fixed_without_code(messy: Path, tmp_path: Path) -> None:
    from dataquality.paths import default_schemas_dir

    schemas = tmp_path / "schemas"
    shutil.copytree(default_schemas_dir(), schemas)
    path = schemas / "customer.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("active: [启用, 有效]", "active: [启用, 有效, 正常]"), encoding="utf-8")
    wb = load_workbook(messy)
    wb["客户"]["H3"] = "正常"
    wb.save(messy)
    plan = fixing.plan(messy, Config.load(schemas, None))
    assert ("客户!H3", "正常", "active") in {(c.cell, c.old, c.new) for c in plan.changes}


def test_rules_that_undo_each_other_are_a_clear_error(tmp_path: Path) -> None:
    from dataquality.paths import default_schemas_dir

    schemas = tmp_path / "schemas"
    shutil.copytree(default_schemas_dir(), schemas)
    path = schemas / "product.yaml"
    # An upper-casing clean step on a field whose canonical values are lower case: FMT004 and ENM002 disagree.
    text = path.read_text(encoding="utf-8").replace(
        "  status:\n    labels: {en: Status, zh: 状态}\n",
        "  status:\n    labels: {en: Status, zh: 状态}\n    clean: [nfkc, trim, upper]\n")
    path.write_text(text, encoding="utf-8")
    wb = Workbook()
    wb.active.title = "products"
    wb.active.append(["内部编码", "品名", "规格", "状态"])
    wb.active.append(["FG000001", "螺栓", "M8", "active"])
    src = tmp_path / "p.xlsx"
    wb.save(src)
    done = dq("fix", str(src), "-o", str(tmp_path / "out.xlsx"), "--schemas", str(schemas), "--lang", "en")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "products!D2" in done.stderr and "ENM002" in done.stderr and "FMT004" in done.stderr
    assert not (tmp_path / "out.xlsx").exists()


def test_a_numeric_cell_that_stays_text_after_tidying_is_written_as_text(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "products"
    wb.active.append(["内部编码", "品名", "规格", "标准售价", "标准成本"])
    wb.active.append(["FG000001", "螺栓", "M8", " 五十 ", "１２"])
    wb.active["E2"].number_format = "@"
    src, out = tmp_path / "p.xlsx", tmp_path / "fixed.xlsx"
    wb.save(src)
    assert dq("fix", str(src), "-o", str(out)).returncode == 0
    ws = load_workbook(out)["products"]
    assert ws["D2"].value == "五十"  # spaces removed, still not a number: a person decides
    assert ws["E2"].value == 12 and ws["E2"].number_format == "General"


def test_the_workbooks_own_changes_sheet_is_left_alone(messy: Path, tmp_path: Path, config: Config) -> None:
    wb = load_workbook(messy)
    wb.create_sheet("Changes")["A1"] = "our price changes, 2024"
    wb.save(messy)
    out = tmp_path / "fixed.xlsx"
    fixing.write(fixing.plan(messy, config), out, config, "en")
    fixed = load_workbook(out)
    assert fixed["Changes"]["A1"].value == "our price changes, 2024" and fixed["Changes"].max_row == 1
    assert fixed["Changes 2"]["A1"].value == "Cell" and fixed["Changes 2"].max_row == 11
