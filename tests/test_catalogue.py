"""The message catalogue: every rule speaks both languages, every docstring explains itself."""

from __future__ import annotations

import re

import pytest

from dataquality.checks.registry import CODE_FORMAT, REGISTRY, doc_sections
from dataquality.i18n import LANGUAGES, catalogue, text


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_rule_has_texts_in_both_languages(code):
    for part in ("title", "message", "hint"):
        entry = catalogue().get(f"rules.{code}.{part}")
        assert entry is not None, f"rules.{code}.{part} missing from messages/rules.yaml"
        for lang in LANGUAGES:
            assert entry[lang].strip(), f"rules.{code}.{part} is empty in {lang}"


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_rule_docstring_has_why_bad_good(code):
    rule = REGISTRY[code]
    assert CODE_FORMAT.match(rule.code)
    doc = doc_sections(rule.doc)
    assert doc.summary and doc.why and doc.bad and doc.good, f"{code}: docstring needs a summary, Why:, Bad: and Good:"


def test_no_rule_text_without_a_rule():
    codes = {key.split(".")[1] for key in catalogue() if key.startswith("rules.")}
    assert codes <= set(REGISTRY), f"texts for unknown rules: {sorted(codes - set(REGISTRY))}"


def test_placeholders_match_between_languages():
    for key, entry in catalogue().items():
        en = set(re.findall(r"\{(\w+)\}", entry["en"]))
        zh = set(re.findall(r"\{(\w+)\}", entry["zh"]))
        assert en == zh, f"{key}: en uses {sorted(en)}, zh uses {sorted(zh)}"


def test_text_falls_back_to_template_when_a_parameter_is_missing():
    assert text("rules.REQ001.message", "en") == "{field} is required but empty."
