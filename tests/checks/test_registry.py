"""The rule registry: stable codes, documented rules, and texts in both languages for each."""

from __future__ import annotations

import pytest

from dataquality.checks.registry import CODE_FORMAT, REGISTRY, active_rules, doc_sections
from dataquality.i18n import has, text

RULES = list(active_rules())


def test_the_registry_holds_every_family() -> None:
    families = {r.code[:3] for r in RULES}
    assert {"REQ", "TYP", "FMT", "ENM", "RNG", "UNQ", "IDN", "REF", "CUS", "PRD", "FIL"} <= families


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_has_title_message_and_hint_in_both_languages(rule) -> None:
    for part in ("title", "message", "hint"):
        key = f"rules.{rule.code}.{part}"
        assert has(key), f"{key} missing from dataquality/messages/rules.yaml"
        assert text(key, "en").strip() and text(key, "zh").strip()
        assert text(key, "en") != text(key, "zh") or part == "title" and rule.code.isascii()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_docstring_has_summary_why_bad_and_good(rule) -> None:
    assert CODE_FORMAT.match(rule.code)
    doc = doc_sections(rule.doc)
    assert doc.summary and doc.why and doc.bad and doc.good, f"{rule.code}: docstring needs summary, Why:, Bad:, Good:"


def test_fixable_rules_are_the_tidy_ups() -> None:
    assert {r.code for r in RULES if r.fixable} == {"FMT002", "FMT003", "FMT004", "FMT005", "IDN004", "ENM002", "TYP005"}


def test_codes_are_registered_once_and_stay() -> None:
    from dataquality.checks.registry import Rule, register
    from dataquality.issue import Severity

    with pytest.raises(ValueError, match="registered twice"):
        register(Rule("IDN001", "again", Severity.ERROR, "field"))
    with pytest.raises(ValueError, match="ABC123"):
        register(Rule("idn1", "bad", Severity.ERROR, "field"))
    assert "IDN001" in REGISTRY


def test_every_record_rule_declares_its_settings_and_is_configured_in_a_shipped_schema() -> None:
    from dataquality.checks.settings import validate
    from dataquality.config import Config

    config = validate(Config.load())
    for rule in RULES:
        if rule.scope != "record":
            continue
        assert rule.settings is not None and rule.key, f"{rule.code}: declare settings= and key= (field names come from the schema)"
        configured = [s for s in config.schemas.values() if rule.key in s.record_rules and rule.entity in (None, s.name)]
        assert configured, f"{rule.code}: no shipped schema sets record_rules.{rule.key}"
        for schema in configured:
            assert isinstance(schema.record_rules[rule.key], rule.settings)


def test_rules_come_from_dataquality_unless_a_plugin_registered_them() -> None:
    assert {r.origin for r in RULES} == {"dataquality"}
