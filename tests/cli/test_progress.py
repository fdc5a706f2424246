"""Progress shows to a person at a terminal only: never in CI, when piped, or with --quiet."""

from __future__ import annotations

from pathlib import Path

from dq_cli import run_dq

from dataquality import progress

ROOT = Path(__file__).resolve().parents[2]


def test_quiet_and_ci_silence_progress(monkeypatch):
    assert progress.enabled(quiet=True) is False
    monkeypatch.setenv("CI", "true")
    assert progress.enabled(quiet=False) is False


def test_piped_run_prints_no_progress(tmp_path, write_xlsx):
    from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows

    path = write_xlsx("c.xlsx", {"客户": sheet_rows([customer(1)], CUSTOMER_HEADERS_ZH)})
    done = run_dq("validate", path, "--lang", "en", env={"CI": None})
    assert done.returncode == 0, done.stderr
    assert "Reading" not in done.stderr and "Checking" not in done.stderr
