"""docs/rules.md is generated from the registry; this test fails when it is stale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dataquality.checks.registry import active_rules
from dataquality.docs import DOCS_PATH, render

ROOT = Path(__file__).resolve().parent.parent


def test_rules_page_is_up_to_date() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render(), "docs/rules.md is stale: run python -m dataquality.docs"


def test_rules_page_documents_every_rule() -> None:
    page = render()
    for rule in active_rules():
        assert f"## {rule.code}" in page and rule.name in page


def test_docs_command_regenerates_the_page(tmp_path: Path) -> None:
    out = tmp_path / "rules.md"
    proc = subprocess.run(
        [sys.executable, "-m", "dataquality.docs", str(out)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == DOCS_PATH.read_text(encoding="utf-8")
