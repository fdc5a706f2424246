"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml are kept."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_contract_is_checked():
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    assert {c["type"] for c in contracts} >= {"layers", "acyclic_siblings"}
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    # From the top: the commands, then the pipeline above the stages, load near the bottom.
    names = [layer.split()[0] for layer in layers]
    assert names.index("dataquality.pipeline") < names.index("dataquality.report") < names.index("dataquality.track") \
        < names.index("dataquality.approve") < names.index("dataquality.checks") < names.index("dataquality.load")
