"""How the approvers' pages say things (web/wording.py): labels, amounts, dates, local times, the
workflow's own words; and the schema settings behind them (decimals, currency, percent, name_field)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from dataquality.approve.tiers import ApprovalPolicy
from dataquality.approve.workflow import NO_LONGER_IN_FILE
from dataquality.config import Config, FieldSpec
from dataquality.errors import ConfigError
from dataquality.web.wording import Wording, local_moment

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def words(config: Config, policy: ApprovalPolicy):  # type: ignore[no-untyped-def]
    return {lang: Wording(config, policy, lang, SHANGHAI) for lang in ("zh", "en")}


def _with_field(config: Config, entity: str, spec: FieldSpec) -> Config:
    schema = config.schemas[entity]
    return replace(config, schemas={**config.schemas, entity: replace(schema, fields={**schema.fields, spec.name: spec})})


def test_labels_come_from_the_schemas_in_the_readers_language(words) -> None:  # type: ignore[no-untyped-def]
    zh, en = words["zh"], words["en"]
    assert (zh.entity("customer"), zh.field("customer", "credit_limit")) == ("客户", "信用额度")
    assert (en.entity("product"), en.field("product", "list_price")) == ("Product", "List price")
    assert (zh.field("customer", "*"), en.field("customer", "*")) == ("整条记录", "Whole record")
    # A field or entity no schema knows (a request of a schema since removed) keeps its name.
    assert (en.entity("vendor"), en.field("customer", "old_field")) == ("vendor", "old_field")


def test_amounts_in_the_fields_currency_with_its_decimals(words) -> None:  # type: ignore[no-untyped-def]
    zh, en = words["zh"], words["en"]
    assert zh.value("customer", "credit_limit", "2,300,000", "2300000") == "¥2,300,000.00"
    assert en.value("customer", "credit_limit", "2,300,000", "2300000") == "CN¥2,300,000.00"
    assert en.value("customer", "credit_limit", "0", "0") == "CN¥0.00"
    # decimals without a currency (prices: the currency is the record's own column)
    assert zh.value("product", "list_price", "1,000.5", "1000.5") == "1,000.50"
    # no display settings: thousands separators, the decimals the value has
    assert en.value("product", "stock_quantity", "1234567.25", "1234567.25") == "1,234,567.25"
    assert en.value("product", "stock_quantity", "1200", "1200") == "1,200"


def test_percentages_and_other_currencies(config: Config, policy: ApprovalPolicy) -> None:
    discount = FieldSpec("discount", {"en": "Discount", "zh": "折扣"}, type="decimal", percent=True, decimals=1)
    deposit = FieldSpec("deposit", {"en": "Deposit", "zh": "押金"}, type="decimal", currency="USD", decimals=0)
    cfg = _with_field(_with_field(config, "customer", discount), "customer", deposit)
    zh, en = Wording(cfg, policy, "zh"), Wording(cfg, policy, "en")
    assert (zh.value("customer", "discount", "0.125", "0.125"), en.value("customer", "discount", "0.5", "0.5")) == ("12.5%", "50%")
    assert zh.value("customer", "deposit", "12000", "12000") == "US$12,000"
    assert en.value("customer", "deposit", "12000.4", "12000.4") == "$12,000"
    assert zh.relative_change("customer", "discount", "0.1", "0.2") == ""  # a percentage's change is not a percentage of it


def test_relative_change_beside_a_number(words) -> None:  # type: ignore[no-untyped-def]
    en = words["en"]
    assert en.relative_change("customer", "credit_limit", "200000", "700000") == "+250%"
    assert en.relative_change("product", "list_price", "100", "97") == "-3%"
    assert en.relative_change("product", "list_price", "100", "112.5") == "+12.5%"
    assert en.relative_change("customer", "credit_limit", "", "50000") == ""  # a new value: nothing to compare
    assert en.relative_change("customer", "credit_limit", "0", "50000") == ""
    assert en.relative_change("customer", "salesperson", "张伟", "孙丽") == ""


def test_dates_text_and_values_that_are_not_their_type(words) -> None:  # type: ignore[no-untyped-def]
    zh, en = words["zh"], words["en"]
    assert zh.value("customer", "created_on", "2026/3/5", "2026-03-05") == "2026年3月5日"
    assert en.value("customer", "created_on", "2026/3/5", "2026-03-05") == "Mar 5, 2026"
    assert zh.value("customer", "salesperson", "孙丽", "孙丽") == "孙丽"
    assert zh.value("customer", "credit_limit", "about a million", "about a million") == "about a million"
    assert zh.value("customer", "credit_limit", None, "") == ""


def test_times_are_local_to_the_minute(words) -> None:  # type: ignore[no-untyped-def]
    at = "2026-12-07T17:05:42.123456+00:00"  # as the audit log stores it (UTC, microseconds)
    assert words["zh"].moment(at) == "2026年12月8日 01:05"
    assert words["en"].moment(at) == "Dec 8, 2026 01:05"
    assert local_moment(at, ZoneInfo("Europe/Berlin")) == dt.datetime(2026, 12, 7, 18, 5, tzinfo=ZoneInfo("Europe/Berlin"))
    assert local_moment("2026-12-07T17:05:42", dt.UTC).hour == 17  # a time without a zone is UTC
    assert words["en"].moment(None) == "" and words["en"].moment("not a time") == "not a time"
    assert words["zh"].day("2026-12-07") == "2026年12月7日"


def test_the_workflows_words_are_translated(words) -> None:  # type: ignore[no-untyped-def]
    zh, en = words["zh"], words["en"]
    assert (zh.status("pending"), en.status("rejected")) == ("待审批", "rejected")
    assert (zh.kind_tier("change", 3), en.kind_tier("delete", 2)) == ("修改，3 级", "deleted record, tier 2")
    assert (zh.roles(("L1", "L2")), en.roles(["L3"])) == ("部门经理、财务总监", "general manager")
    assert (zh.action("request"), zh.action("apply"), zh.action("something new")) == ("提出申请", "写入主数据", "something new")
    assert zh.record("C000002", "上海乙公司") == "C000002 上海乙公司" and zh.record("C000002", None) == "C000002"


def test_history_notes_say_the_workflows_own_entries_in_words(words) -> None:  # type: ignore[no-untyped-def]
    zh = words["zh"]
    request = {"action": "request", "comment": "change, tier 2", "data": json.dumps({"kind": "change", "tier": 2})}
    assert zh.history_note(request) == "修改，2 级"
    entered = {"action": "enter", "comment": "approved by 赵敏 on 2026-12-07, awaiting confirmation [x]", "data": json.dumps(
        {"entry": {"decision": "approved", "approver": "赵敏", "decided_at": "2026-12-07",
                   "source": "approvals.xlsx:审批 (entered by 杨磊)"}})}
    assert zh.history_note(entered) == "赵敏 于 2026年12月7日 批准（approvals.xlsx，工作表 审批，由 杨磊 录入），待本人确认"
    assert zh.history_note({"action": "withdraw", "comment": NO_LONGER_IN_FILE, "data": None}) == "已不在新提交的文件中"
    assert zh.history_note({"action": "reject", "comment": "额度过高", "data": "{}"}) == "额度过高"  # a person's words as written


def _schema_file(tmp_path: Path, **changes: object) -> Path:
    folder = tmp_path / "schemas"
    folder.mkdir(exist_ok=True)
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "schemas" / "customer.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "name_field":
            data["name_field"] = value
        else:
            data["fields"]["credit_limit"][key] = value
    (folder / "customer.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def test_schema_display_settings_are_checked(tmp_path: Path) -> None:
    rules = Path(__file__).resolve().parents[2] / "rules"
    loaded = Config.load(_schema_file(tmp_path, currency="usd", decimals=0), rules)
    spec = loaded.schemas["customer"].fields["credit_limit"]
    assert (spec.currency, spec.decimals, spec.percent) == ("USD", 0, False)
    assert loaded.schemas["customer"].record_name_field == "customer_name"  # <entity>_name by default
    with pytest.raises(ConfigError) as bad:
        Config.load(_schema_file(tmp_path, currency="RMBX"), rules)
    assert "credit_limit.currency" in bad.value.message("en") and "ISO 4217" in bad.value.message("en")
    with pytest.raises(ConfigError) as bad:
        Config.load(_schema_file(tmp_path, name_field="company"), rules)
    assert "name_field" in bad.value.message("en")
    assert Config.load(_schema_file(tmp_path, name_field="address"), rules).schemas["customer"].record_name_field == "address"
