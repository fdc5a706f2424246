"""dq map shows how each column maps; -o writes a mapping file a person edits; --mapping and
`mappings:` in dq.yaml apply it, so a company's export layout is set once."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from openpyxl import Workbook

from dataquality.cli import main


def _export(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "商品信息"
    ws.append(["1、带星号的为必填项"])
    ws.append(["货品代码", "名称*", "规格", "类别", "基本单位*", "颜色"])
    ws.append(["FG000001", "可乐", "250ml", "饮料", "瓶", "红"])
    ws.append(["FG000002", "啤酒", "500ml", "饮料", "瓶", "黑"])
    ws.append(["FG000003", "雪碧", "330ml", "饮料", "罐", "绿"])
    path = tmp_path / "goods_export.xlsx"
    wb.save(path)
    return path


def test_map_shows_entity_header_row_and_each_column(tmp_path: Path) -> None:
    path = _export(tmp_path)
    res = CliRunner().invoke(main, ["map", str(path), "--lang", "en"])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "goods_export.xlsx, sheet 商品信息: Product, header on row 2, 3 record(s)" in flat
    assert "product_name" in res.output and "generic header '名称'" in res.output  # the evidence that decided it
    assert "internal_code" in res.output and "with a qualifier" in res.output  # 货品代码: the goods' 代码
    assert "not mapped" in res.output  # 颜色


def test_mapping_file_round_trip_applies_a_persons_choices(tmp_path: Path) -> None:
    path = _export(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    res = CliRunner().invoke(main, ["map", str(path), "-o", str(mapping), "--lang", "en"])
    assert res.exit_code == 0, res.output
    data = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    [sheet] = data["sheets"]
    assert (sheet["file"], sheet["sheet"], sheet["entity"], sheet["header_row"]) == ("goods_export.xlsx", "商品信息", "product", 2)
    assert sheet["columns"]["名称*"] == "product_name" and sheet["columns"]["货品代码"] == "internal_code"
    assert sheet["columns"]["颜色"] is None
    # Before: 类别 is read as the category, and 饮料 follows the file's own categories, not the
    # shipped example codes (one finding for the column).
    out = tmp_path / "before"
    res = CliRunner().invoke(main, ["validate", str(path), "-f", "json", "-o", str(out), "-q"])
    before = {(i["rule"], i["field"]) for i in json.loads((out / "report.json").read_text("utf-8"))["issues"]}
    assert ("FIL004", "internal_code") not in before and ("CNV001", "category") in before
    # A person says 类别 is not a dq field (the shop's own grouping, not the item category).
    text = mapping.read_text(encoding="utf-8")
    text = text.replace('"类别": category', '"类别": null')
    mapping.write_text(text, encoding="utf-8")
    out = tmp_path / "after"
    res = CliRunner().invoke(main, ["validate", str(path), "--mapping", str(mapping), "-f", "json", "-o", str(out), "-q"])
    issues = json.loads((out / "report.json").read_text("utf-8"))["issues"]
    rules = {(i["rule"], i["field"]) for i in issues}
    assert ("FIL004", "internal_code") not in rules and ("CNV001", "category") not in rules
    assert not [i for i in issues if i["rule"] == "FIL001" and i["value"] == "类别"]  # null: not reported as unknown
    assert ("ENM001", "unit") not in rules  # 瓶 and 罐 are known units


def test_a_bad_mapping_file_is_a_configuration_error(tmp_path: Path) -> None:
    path = _export(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("sheets:\n  - file: '*.xlsx'\n    columns: {名称*: no_such_field}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(path), "--mapping", str(bad), "--lang", "en"])
    assert res.exit_code == 2
    assert "bad.yaml" in res.output and "no_such_field" in res.output


def test_mappings_in_dq_yaml_apply_to_dq_check(tmp_path: Path) -> None:
    from dataquality.check import run_check
    from dataquality.track.project import Project

    path = _export(tmp_path)
    (tmp_path / "m.yaml").write_text(
        "sheets:\n  - file: goods_export.xlsx\n    columns: {货品代码: internal_code, 类别: null}\n", encoding="utf-8")
    (tmp_path / "dq.yaml").write_text(
        f"entities:\n  product: [{path.name}]\nmappings: [m.yaml]\nreports: {{formats: [json]}}\n", encoding="utf-8")
    outcome = run_check(Project.load(tmp_path / "dq.yaml"), now=__import__("datetime").datetime(2026, 11, 23, 2))
    [table] = outcome.result.tables
    assert "internal_code" in table.data.columns and "category" not in table.data.columns
    assert not [i for i in outcome.result.issues if i.rule in ("FIL004", "FIL007")]
