"""Progress shows to a person at a terminal only: never in CI, when piped, or with --quiet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dataquality import progress

ROOT = Path(__file__).resolve().parents[1]


def test_quiet_and_ci_silence_progress(monkeypatch):
    assert progress.enabled(quiet=True) is False
    monkeypatch.setenv("CI", "true")
    assert progress.enabled(quiet=False) is False


def test_piped_run_prints_no_progress(tmp_path, write_xlsx):
    from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows

    path = write_xlsx("c.xlsx", {"客户": sheet_rows([customer(1)], CUSTOMER_HEADERS_ZH)})
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "dataquality", "validate", str(path), "--lang", "en"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Reading" not in done.stderr and "Checking" not in done.stderr
