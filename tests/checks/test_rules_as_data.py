"""A company changes the rules in YAML, without Python: caps, fields, patterns, severities, switches.

And a custom rule in Python is one small registered function with its code, messages and a test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dataquality.checks import registry
from dataquality.checks.findings import findings, no_findings
from dataquality.config import Config
from dataquality.errors import ConfigError
from dataquality.paths import default_rules_dir, default_schemas_dir
from dataquality.pipeline import run

HEADER = ["客户编码", "客户名称", "客户类型", "业务员", "联系电话", "详细地址", "客户等级", "信用额度"]


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    schemas, rules = tmp_path / "schemas", tmp_path / "rules"
    shutil.copytree(default_schemas_dir(), schemas)
    shutil.copytree(default_rules_dir(), rules)
    for path in schemas.glob("*.yaml"):  # a company's own copy: its house style is the law here
        path.write_text(path.read_text(encoding="utf-8").replace("conventions: example", "conventions: own"), encoding="utf-8")
    return schemas, rules


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _customers(write_xlsx, *rows):
    return write_xlsx("c.xlsx", {"客户": [HEADER, *rows]})


def test_grade_cap_comes_from_yaml(dirs, write_xlsx) -> None:
    schemas, rules = dirs
    path = _customers(write_xlsx, ["C000001", "甲公司", "个人", "张伟", "13812345678", "上海", "C", 300000])
    assert ("CUS001", 2) in [(i.rule, i.row) for i in run(Config.load(schemas, rules), [path]).issues]
    _edit(schemas / "customer.yaml", lambda d: d["record_rules"]["credit_cap_by_grade"]["caps"].update(C=500000))
    assert "CUS001" not in [i.rule for i in run(Config.load(schemas, rules), [path]).issues]


def test_switch_off_and_change_severity_in_rules_yaml(dirs, write_xlsx) -> None:
    schemas, rules = dirs
    path = _customers(write_xlsx, ["C000001", "甲公司", "个人", "张三", "+8613812345678", "上海", "A", 1])
    before = {i.rule: i.severity.value for i in run(Config.load(schemas, rules), [path]).issues}
    assert before == {"REF001": "error", "IDN004": "warning"}
    (rules / "rules.yaml").write_text("rules:\n  REF001: {enabled: false}\n  IDN004: {severity: error}\n", encoding="utf-8")
    after = {i.rule: i.severity.value for i in run(Config.load(schemas, rules), [path]).issues}
    assert after == {"IDN004": "error"}


def test_new_field_with_identifier_and_reference_needs_no_python(dirs, write_xlsx) -> None:
    schemas, rules = dirs

    def add(d):
        d["fields"]["backup_phone"] = {"labels": {"en": "Backup phone", "zh": "备用电话"}, "identifier": "cn_phone", "clean": ["nfkc", "remove_spaces"]}
        d["fields"]["region"] = {"labels": {"en": "Region", "zh": "大区"}, "reference": "regions"}
        d["fields"]["customer_code"]["pattern"] = r"^CU\d{5}$"

    _edit(schemas / "customer.yaml", add)
    (rules / "regions.yaml").write_text("regions: [华东, 华南, {name: 华北, aliases: [North]}]\n", encoding="utf-8")
    path = write_xlsx("c.xlsx", {"客户": [HEADER[:6] + ["备用电话", "大区"],
                                        ["CU00001", "甲公司", "个人", "张伟", "13812345678", "上海", "12345", "North"],
                                        ["C000002", "乙公司", "个人", "张伟", "13812345678", "上海", "13912345678", "西北"]]})
    found = sorted((i.row, i.field, i.rule) for i in run(Config.load(schemas, rules), [path]).issues)
    assert found == [(2, "backup_phone", "IDN003"), (3, "customer_code", "FMT001"), (3, "region", "REF001")]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.update(record_rules={"credit_cap": {}}), "record_rules.credit_cap"),
        (lambda d: d["record_rules"]["credit_cap_by_grade"].update(field="credit"), "record_rules.credit_cap_by_grade.field"),
        (lambda d: d["record_rules"]["credit_cap_by_grade"]["caps"].update(B="lots"), "record_rules.credit_cap_by_grade.caps.B"),
        (lambda d: d["record_rules"]["credit_cap_by_grade"].pop("by"), "record_rules.credit_cap_by_grade.by"),
        (lambda d: d["record_rules"]["duplicate_names"].update(legal_forms=["有限公司"]), "record_rules.duplicate_names.legal_forms"),
        (lambda d: d["fields"]["salesperson"].update(reference="people"), "fields.salesperson.reference"),
    ],
)
def test_bad_record_rule_settings_name_file_and_key(dirs, change, key) -> None:
    schemas, rules = dirs
    _edit(schemas / "customer.yaml", change)
    with pytest.raises(ConfigError) as err:
        Config.load(schemas, rules)
    assert err.value.params["key"] == key
    assert err.value.params["file"].endswith("customer.yaml")


def test_product_record_rules_validate_their_fields(dirs) -> None:
    schemas, rules = dirs
    _edit(schemas / "product.yaml", lambda d: d["record_rules"]["code_prefix"].update(equals="product_name"))
    with pytest.raises(ConfigError, match="must be an enum"):
        Config.load(schemas, rules)


def test_removing_a_record_rule_setting_switches_it_off_and_says_so(dirs, write_xlsx) -> None:
    schemas, rules = dirs
    path = write_xlsx("p.xlsx", {"产品": [["内部编码", "品名", "规格型号", "类别", "单位"], ["RM000001", "螺栓", "M8", "成品", "PCS"]]})
    assert [i.rule for i in run(Config.load(schemas, rules), [path]).issues] == ["PRD001"]
    _edit(schemas / "product.yaml", lambda d: d["record_rules"].pop("code_prefix"))
    # The rule no longer runs, and the report says why (RUL002, info) instead of falling silent.
    assert [(i.rule, i.severity.value, i.params["rule"]) for i in run(Config.load(schemas, rules), [path]).issues] == [
        ("RUL002", "info", "PRD001")]


@pytest.fixture
def custom_rule():
    """A company's own rule: VIP customers (grade A) need an e-mail address. Unregistered afterwards."""

    @registry.record_rule("CUS901", "grade-a-without-email", entity="customer", fields=("grade",))
    def grade_a_without_email(t, ctx) -> pd.DataFrame:
        """A grade A customer has no e-mail address.

        Why: statements for key accounts go out by e-mail.
        Bad: grade = A, email empty.
        Good: grade = A, email = buyer@example.com.
        """
        failing = (t["grade"].canonical == "A").fillna(False) & ~t["email"].present
        return findings(failing.astype(bool), "email") if failing.any() else no_findings()

    yield registry.REGISTRY["CUS901"]
    del registry.REGISTRY["CUS901"]


def test_custom_python_rule_is_one_registered_function(custom_rule, write_xlsx, monkeypatch) -> None:
    from dataquality import i18n

    catalogue = dict(i18n.catalogue())
    catalogue["rules.CUS901.message"] = {"en": "{field} is empty for a grade A customer.", "zh": "A 级客户的{field}为空。"}
    monkeypatch.setattr(i18n, "catalogue", lambda: catalogue)
    path = write_xlsx("c.xlsx", {"客户": [HEADER + ["电子邮箱"],
                                        ["C000001", "甲公司", "个人", "张伟", "13812345678", "上海", "A", 1, None],
                                        ["C000002", "乙公司", "个人", "张伟", "13812345678", "上海", "A", 1, "a@example.com"]]})
    issues = run(Config.load(), [path]).issues
    assert [(i.rule, i.row, i.field) for i in issues] == [("CUS901", 2, "email")]
    assert issues[0].message("zh") == "A 级客户的电子邮箱为空。"
