"""The fixable info rules ENM002 and TYP005: off in dq validate, on for dq fix."""

from __future__ import annotations

from dataclasses import replace

from dataquality.checks.registry import REGISTRY, active_rules
from dataquality.config import Config, RuleSetting
from dataquality.fix import fix_config
from dataquality.pipeline import run

PRODUCT_HEADER = ["内部编码", "品名", "规格", "单位", "标准售价", "状态"]


def _products(write_xlsx, rows):
    return write_xlsx("products.xlsx", {"products": [PRODUCT_HEADER, *rows]})


def test_synonyms_and_text_numbers_are_silent_in_validate(write_xlsx, config: Config) -> None:
    path = _products(write_xlsx, [["FG000001", "螺栓", "M8", "个", "1,000.00", "启用"]])
    # (RUL001 says that PRD002 did not run: the sheet has list prices but no cost column.)
    assert [i for i in run(config, [path]).issues if i.rule != "RUL001"] == []


def test_fix_config_reports_them_with_their_fixed_values(write_xlsx, config: Config) -> None:
    path = _products(write_xlsx, [["FG000001", "螺栓", "M8", "个", "1,000.00", "启用"],
                                  ["FG000002", "螺母", "M8", "pcs", "¥12.50", "inactive"]])
    result = run(fix_config(config), [path])
    found = {(i.row, i.field, i.rule, i.fixed_value) for i in result.issues if i.rule != "RUL001"}
    assert found == {
        (2, "unit", "ENM002", "PCS"), (2, "list_price", "TYP005", "1000"), (2, "status", "ENM002", "active"),
        (3, "unit", "ENM002", "PCS"), (3, "list_price", "TYP005", "12.5"),
    }
    assert all(i.severity == "info" and i.fixable for i in result.issues if i.rule != "RUL001")


def test_rules_yaml_can_switch_them_on_for_validate(write_xlsx, config: Config) -> None:
    path = _products(write_xlsx, [["FG000001", "螺栓", "M8", "个", "100", "active"]])
    on = replace(config, rule_settings={"ENM002": RuleSetting(enabled=True), "RUL001": RuleSetting(enabled=False)})
    assert run(on, [path]).flatten("row", "field", "rule") == [(2, "unit", "ENM002")]


def test_a_rule_switched_off_by_the_company_stays_off_for_fix(config: Config) -> None:
    off = replace(config, rule_settings={"ENM002": RuleSetting(enabled=False)})
    assert fix_config(off).rule_settings["ENM002"].enabled is False
    assert fix_config(config).rule_settings["ENM002"].enabled is True


def test_every_off_by_default_rule_is_fixable_and_documented() -> None:
    quiet = [r for r in active_rules() if not r.on_by_default]
    assert {r.code for r in quiet} >= {"ENM002", "TYP005"}
    for rule in quiet:
        assert rule.fixable, rule.code
        assert "Why:" in rule.doc and "Bad:" in rule.doc and "Good:" in rule.doc
    assert REGISTRY["FMT002"].on_by_default


def test_dq_rules_explains_an_off_by_default_rule() -> None:
    from dq_cli import run_dq

    done = run_dq("rules", "ENM002", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "Off by default" in done.stdout and "Auto-fixable: yes" in done.stdout
