"""docs/rules.md is generated from the registry; this test fails when it is stale."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from dataquality.checks.registry import active_rules
from dataquality.docs import DOCS_PATH, render


def test_rules_page_is_up_to_date() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render(), "docs/rules.md is stale: run python -m dataquality.docs"


def test_rules_page_documents_every_rule() -> None:
    page = render()
    for rule in active_rules():
        assert f"## {rule.code}" in page and rule.name in page


@pytest.mark.filterwarnings("ignore:'dataquality.docs' found in sys.modules:RuntimeWarning")
def test_docs_command_regenerates_the_page(tmp_path: Path, monkeypatch, capsys) -> None:
    """`python -m dataquality.docs OUT`, run as __main__ in this process."""
    out = tmp_path / "rules.md"
    monkeypatch.setattr(sys, "argv", ["dataquality.docs", str(out)])
    runpy.run_module("dataquality.docs", run_name="__main__")
    assert str(out) in capsys.readouterr().out
    assert out.read_text(encoding="utf-8") == DOCS_PATH.read_text(encoding="utf-8")
