"""dq template: a workbook generated from the schema that the loader reads and Excel enforces."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from dq_cli import run_dq
from openpyxl import load_workbook

from dataquality import template
from dataquality.config import Config
from dataquality.load import load_file
from dataquality.paths import default_schemas_dir

ROOT = Path(__file__).resolve().parents[2]

CUSTOMERS = [
    ["C000001", "上海华东机电有限公司", "enterprise", "91310000MA1FL4CT3U", "A", "张伟", "销售部", "13812345678",
     "buyer@huadong.cn", "上海市", "浦东新区张江路1号", 500000, "NET30", "6222020200112233", "active", dt.datetime(2024, 1, 5)],
    ["C000002", "李四", "个人", None, "B", "王芳", "Sales", "021-12345678", None, None, "杭州市滨江区江南大道2号",
     1000.5, "预付", None, "启用", dt.datetime(2023, 12, 31)],
]
PRODUCTS = [
    ["FG000001", "不锈钢六角螺栓", "M8×30", "FG", "PCS", None, None, "6901234567892", 12.5, 8, "CNY", "生产部", "active"],
    ["RM000002", "冷轧钢板", "SPCC 1.0mm", "原材料", "千克", None, "X-77", None, 6.8, 5.1, "人民币", "采购部", "启用"],
]


def dq(*args: str) -> subprocess.CompletedProcess[str]:
    return run_dq(*args)


def fill(path: Path, rows: list[list], out: Path) -> Path:
    """Fill the template's data sheet with openpyxl, the way a script or a person would."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c).value = value
    wb.save(out)
    return out


@pytest.mark.parametrize(("entity", "rows", "lang"), [("customer", CUSTOMERS, "zh"), ("product", PRODUCTS, "en")])
def test_a_correctly_filled_template_validates_with_zero_issues(tmp_path: Path, entity: str, rows: list, lang: str) -> None:
    path = tmp_path / f"{entity}.xlsx"
    made = dq("template", entity, "--lang", lang, "-o", str(path))
    assert made.returncode == 0, made.stderr
    filled = fill(path, rows, tmp_path / f"{entity}-filled.xlsx")
    done = dq("validate", str(filled), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["issues"] == []
    assert report["summary"]["records"] == {entity: 2}


def test_headers_validations_and_formats(tmp_path: Path, config: Config) -> None:
    path = template.write("customer", config, tmp_path / "t.xlsx", "zh", rows=200)
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    schema = config.schemas["customer"]
    assert ws.title == "客户" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == [f.label("zh") for f in schema.fields.values()]
    lists = wb["下拉列表"]
    assert lists.sheet_state == "hidden"
    assert "填写说明" in wb.sheetnames
    dvs = {str(dv.sqref).split(":")[0][:-1]: dv for dv in ws.data_validations.dataValidation}
    letter = {name: ws.cell(row=1, column=i).column_letter for i, name in enumerate(schema.fields, start=1)}
    # Every column has an input message in the chosen language.
    assert set(dvs) == set(letter.values())
    assert all(dv.prompt and dv.promptTitle for dv in dvs.values())
    code = dvs[letter["customer_code"]]
    assert (code.type, code.operator, code.formula1) == ("textLength", "equal", "7")
    assert "C + 6 位数字" in code.prompt
    assert str(code.sqref) == f"{letter['customer_code']}2:{letter['customer_code']}201"
    kinds = {name: dvs[letter[name]].type for name in schema.fields}
    assert kinds["customer_type"] == kinds["salesperson"] == kinds["department"] == kinds["province"] == "list"
    assert kinds["credit_limit"] == "decimal" and dvs[letter["credit_limit"]].operator == "greaterThanOrEqual"
    assert kinds["created_on"] == "date" and dvs[letter["created_on"]].formula1 == "TODAY()"
    assert kinds["bank_account"] == "textLength" and (dvs[letter["bank_account"]].formula1, dvs[letter["bank_account"]].formula2) == ("8", "30")
    assert kinds["uscc"] == "textLength" and dvs[letter["uscc"]].formula1 == "18"
    assert kinds["customer_name"] is None and dvs[letter["customer_name"]].showErrorMessage is False
    assert all(dv.showErrorMessage and dv.error and dv.errorTitle for dv in dvs.values() if dv.type)
    # Drop-downs are fed from the hidden sheet, so long lists (34 provinces and their aliases) work.
    source = dvs[letter["salesperson"]].formula1
    assert source.startswith("'下拉列表'!$")
    column = source.split("!$")[1].split("$")[0]
    names = [c.value for c in lists[column][1:] if c.value]
    assert names[:2] == ["张伟", "王芳"] and len(names) == 12
    status = [c.value for c in lists[dvs[letter["status"]].formula1.split("!$")[1].split("$")[0]][1:] if c.value]
    assert status[:2] == ["active", "inactive"] and "启用" in status
    # Required columns marked, rules in a note on the header.
    assert ws["A1"].fill.start_color.rgb.endswith(template.REQUIRED_FILL)
    assert ws[f"{letter['email']}1"].fill.start_color.rgb.endswith(template.OPTIONAL_FILL)
    assert "必填" in ws["A1"].comment.text and "不得重复" in ws["A1"].comment.text
    # Code columns are text so Excel keeps leading zeros and long digit runs.
    for name in ("customer_code", "uscc", "phone", "bank_account"):
        assert ws[f"{letter[name]}2"].number_format == "@"
        assert ws.column_dimensions[letter[name]].width >= 16


def test_template_with_no_data_is_read_as_header_only(tmp_path: Path, config: Config) -> None:
    path = template.write("product", config, tmp_path / "p.xlsx", "en")
    # The header is found; instructions and lists are not data, and the empty rows carrying the
    # data validations are not records.
    [table] = load_file(path, config)
    assert (table.entity, table.header_row, len(table)) == ("product", 1, 0)
    assert [f.rule for f in table.findings] == ["FIL009"]


def test_english_template_messages(tmp_path: Path, config: Config) -> None:
    wb = template.build(config.schemas["product"], config, "en", rows=10)
    ws = wb.worksheets[0]
    assert ws.title == "products" and "Instructions" in wb.sheetnames and "Lists" in wb.sheetnames
    dv = next(d for d in ws.data_validations.dataValidation if str(d.sqref).startswith("A"))
    assert dv.prompt.startswith("Required.") and "FG/SF/RM + 6 digits" in dv.prompt
    price = next(d for d in ws.data_validations.dataValidation if d.promptTitle == "List price")
    assert (price.type, price.operator, price.formula1) == ("decimal", "greaterThan", "0")


def test_company_schema_drives_the_template(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(default_schemas_dir(), schemas)
    path = schemas / "product.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["fields"]["shelf_life_days"] = {"labels": {"en": "Shelf life (days)", "zh": "保质期天数"}, "type": "integer", "min": 1, "max": 3650}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / "p.xlsx"
    done = dq("template", "product", "--schemas", str(schemas), "--lang", "zh", "-o", str(out))
    assert done.returncode == 0, done.stderr
    ws = load_workbook(out).worksheets[0]
    assert ws.cell(row=1, column=ws.max_column).value == "保质期天数"
    dv = next(d for d in ws.data_validations.dataValidation if d.promptTitle == "保质期天数")
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("whole", "between", "1", "3650")


@pytest.mark.parametrize(("args", "message"), [(["nothing", "-o", "x.xlsx"], "customer, product"), (["customer", "-o", "x.csv"], ".xlsx")])
def test_bad_template_usage(tmp_path: Path, args: list[str], message: str) -> None:
    done = dq("template", *[str(tmp_path / a) if a.startswith("x.") else a for a in args], "--lang", "en")
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("pattern", "words"),
    [(r"^C\d{6}$", "C + 6 digits"), (r"^(FG|SF|RM)\d{6}$", "FG/SF/RM + 6 digits"), (r"^\d{8,30}$", "8–30 digits"),
     (r"^[A-Z]{2}-\d+$", "2 capital letters + - + ≥1 digits")],
)
def test_patterns_in_words(pattern: str, words: str) -> None:
    assert " + ".join(template._regex_parts(pattern, "en") or []) == words


def test_complex_pattern_is_shown_as_is() -> None:
    assert template._regex_parts(r"^(?:[a-z]+|\d{3})@x$", "en") is None
