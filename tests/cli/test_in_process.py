"""Many dq runs in one process (the test suite, a future server) share nothing they should not:
limits, the project found, the language, the environment and the current folder are per run."""

from __future__ import annotations

import os
from pathlib import Path

from builders import CUSTOMER_HEADERS_ZH, customer, sheet_rows
from dq_cli import run_dq


def test_one_runs_settings_do_not_leak_into_the_next(tmp_path: Path, write_xlsx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DQ_MAX_CELLS", raising=False)
    path = write_xlsx("c.xlsx", {"客户": sheet_rows([customer(i) for i in range(1, 4)], CUSTOMER_HEADERS_ZH)})
    small = run_dq("--max-cells", "5", "validate", path, "-q", env={"DQ_LANG": "en"})
    assert small.returncode == 2 and "--max-cells" in small.stderr
    normal = run_dq("validate", path, "-q", env={"DQ_LANG": "en"})
    assert normal.returncode == 0, normal.stderr  # the limit of the run before is gone

    zh = run_dq("rules", "FMT001", "--lang", "zh")
    en = run_dq("rules", "FMT001", env={"DQ_LANG": "en"})
    assert zh.stdout != en.stdout and "Severity" in en.stdout

    before = (os.getcwd(), dict(os.environ))
    proj = tmp_path / "proj"
    assert run_dq("init", proj, "--lang", "zh").returncode == 0
    inside = run_dq("history", cwd=proj, env={"DQ_LANG": "en"})
    outside = run_dq("history", cwd=tmp_path, env={"DQ_LANG": "en"})
    assert inside.returncode == 0 and outside.returncode == 2 and "dq.yaml" in outside.stderr
    assert (os.getcwd(), dict(os.environ)) == before
