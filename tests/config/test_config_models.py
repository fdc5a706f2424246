"""Configuration files parsed into frozen pydantic models and validated against the rule registry.

An unknown rule code, an unknown setting of a rule and an unknown key anywhere are errors naming
the file and the key (zh and en), with the nearest known key; a field rule with a setting of its
own is declared in one place.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from dataquality.checks import registry
from dataquality.config import Config
from dataquality.errors import ConfigError
from dataquality.paths import default_rules_dir, default_schemas_dir
from dataquality.pipeline import run


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    schemas, rules = tmp_path / "schemas", tmp_path / "rules"
    shutil.copytree(default_schemas_dir(), schemas)
    shutil.copytree(default_rules_dir(), rules)
    return schemas, rules


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _error(schemas: Path, rules: Path) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        Config.load(schemas, rules)
    return err.value


@pytest.mark.parametrize(
    ("file", "change", "key", "said"),
    [
        ("rules/rules.yaml", lambda d: d.update(rules={"FTM002": {"severity": "info"}}), "rules.FTM002", "did you mean FMT002"),
        ("rules/rules.yaml", lambda d: d.update(rule={"FMT002": {"severity": "info"}}), "rule", "did you mean rules"),
        ("rules/rules.yaml", lambda d: d.update(rules={"FMT002": {"severity": "loud"}}), "rules.FMT002.severity", "must be one of"),
        ("rules/routing.yaml", lambda d: d["routes"][0].update(departement="x"), "routes[0].departement", "did you mean department"),
        ("schemas/customer.yaml", lambda d: d.update(sheet_name=["x"]), "sheet_name", "did you mean sheet_names"),
        ("schemas/customer.yaml", lambda d: d["fields"]["phone"].update(patern="^1"), "fields.phone.patern", "did you mean pattern"),
        ("schemas/customer.yaml", lambda d: d["fields"]["phone"].update(clean=["trim", "strip"]), "fields.phone.clean[1]", "must be one of"),
        ("schemas/customer.yaml", lambda d: d["fields"]["phone"].update(required="maybe"), "fields.phone.required", "true or false"),
        ("schemas/customer.yaml", lambda d: d["record_rules"]["credit_cap_by_grade"].update(capz={}), "record_rules.credit_cap_by_grade.capz",
         "did you mean caps"),
        ("schemas/customer.yaml", lambda d: d["record_rules"].update(same_item={"fields": ["customer_name"]}), "record_rules.same_item",
         "for product only"),
        ("schemas/product.yaml", lambda d: d["record_rules"]["known_customer"].update(field="customer"), "record_rules.known_customer.field",
         "not customer"),
    ],
)
def test_unknown_or_wrong_keys_name_file_key_and_the_nearest_one(dirs, file, change, key, said) -> None:
    schemas, rules = dirs
    path = schemas.parent / file
    _edit(path, change)
    err = _error(schemas, rules)
    assert err.params["file"] == str(path)
    assert err.params["key"] == key
    assert said in err.message("en")
    assert err.message("zh") != err.message("en") and key in err.message("zh")


def test_dq_validate_exits_2_on_an_unknown_rule_code(dirs, tmp_path: Path) -> None:
    from dataquality.cli import main

    schemas, rules = dirs
    (rules / "rules.yaml").write_text("rules:\n  PRD009: {enabled: false}\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["validate", str(tmp_path / "none.xlsx"), "--schemas", str(schemas), "--rules", str(rules), "--lang", "zh"])
    assert done.exit_code == 2
    assert "rules.yaml" in done.output and "rules.PRD009" in done.output and "没有此代码的规则" not in done.output
    assert "没有这个代码的规则" in done.output


def test_every_shipped_file_is_valid() -> None:
    config = Config.load()
    assert {"customer", "product", "supplier"} <= set(config.schemas)
    assert config.rules_checked


def test_models_are_frozen(config: Config) -> None:
    from dataquality.checks.settings import CapByGroup, validate

    cap = validate(config).schemas["customer"].record_rules["credit_cap_by_grade"]
    assert isinstance(cap, CapByGroup)
    with pytest.raises(ValidationError):
        cap.field = "grade"  # type: ignore[misc]


def test_config_does_not_import_the_rules() -> None:
    code = "import sys, dataquality.config; print(any(m.startswith('dataquality.checks') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- a field rule with its own setting, in one place -----------------------------------------------


@pytest.fixture
def forbidden_characters():
    """A company's regex rule with a setting: characters a field must not contain. Unregistered afterwards."""

    def _regex(value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    from typing import Annotated

    from pydantic import AfterValidator

    Regex = Annotated[str, AfterValidator(_regex)]

    @registry.field_rule(
        "FMT901", "forbidden-characters", key="forbidden_characters", settings=Regex,
        texts={"title": {"en": "Forbidden characters", "zh": "含有禁用字符"},
               "message": {"en": "{field} '{value}' holds a forbidden character.", "zh": "{field}“{value}”含有禁用字符。"},
               "hint": {"en": "Remove the character.", "zh": "请删除该字符。"}},
    )
    def forbidden(v, t) -> pd.Series:
        """A value holds a character its field forbids.

        Why: an ERP import rejects it. Bad: 甲公司#1. Good: 甲公司1.
        """
        return v.present & v.clean.str.contains(v.spec.settings["forbidden_characters"], regex=True).fillna(False).astype(bool)

    yield "FMT901"
    registry.unregister("FMT901")


def test_a_regex_rule_with_a_setting_is_one_registered_function(forbidden_characters, dirs, write_xlsx) -> None:
    schemas, rules = dirs
    _edit(schemas / "customer.yaml", lambda d: d["fields"]["customer_name"].update(forbidden_characters="[#?]"))
    path = write_xlsx("c.xlsx", {"客户": [["客户编码", "客户名称", "客户类型", "业务员", "联系电话", "详细地址"],
                                        ["C000001", "甲公司#1", "个人", "张伟", "13812345678", "上海"],
                                        ["C000002", "乙公司", "个人", "张伟", "13812345678", "上海"]]})
    issues = [i for i in run(Config.load(schemas, rules), [path]).issues if i.rule == "FMT901"]
    assert [(i.row, i.field) for i in issues] == [(2, "customer_name")]
    assert issues[0].message("zh") == "客户名称“甲公司#1”含有禁用字符。"


def test_a_rule_setting_is_validated_by_the_rules_own_type(forbidden_characters, dirs) -> None:
    schemas, rules = dirs
    _edit(schemas / "customer.yaml", lambda d: d["fields"]["customer_name"].update(forbidden_characters="[#?"))
    err = _error(schemas, rules)
    assert err.params["key"] == "fields.customer_name.forbidden_characters"
    assert "unterminated character set" in err.message("en")


def test_rule_settings_are_checked_before_any_file_is_read(config: Config, tmp_path: Path) -> None:
    from dataclasses import replace

    from dataquality.config import RuleSetting

    unchecked = replace(config, rule_settings={"FTM002": RuleSetting(enabled=False)}, rules_checked=False)
    with pytest.raises(ConfigError) as err:
        run(unchecked, [tmp_path / "missing.xlsx"])  # a missing input would be a FIL005 issue, after loading
    assert err.value.params["key"] == "rules.FTM002"
