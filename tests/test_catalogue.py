"""The message catalogue: no orphan texts, the same placeholders in both languages.

(Per-rule texts and docstrings are checked in test_registry.py.)
"""

from __future__ import annotations

import re

from dataquality.checks.registry import REGISTRY
from dataquality.i18n import catalogue, text


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
