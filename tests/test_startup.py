"""`dq --version` and `dq --help` stay quick: the CLI imports the heavy libraries only when a command runs.

Checked by which modules get imported (in a fresh interpreter), never by timing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "pandera", "pyarrow", "fastexcel", "openpyxl", "jinja2", "sqlalchemy", "rich",
         "phonenumbers", "stdnum", "email_validator")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_library() -> None:
    loaded = _imported_after("import dataquality.cli")
    assert "dataquality" in loaded and "click" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["validate", "--help"], ["changes", "--help"]])
def test_version_and_help_run_without_heavy_libraries(args: list[str]) -> None:
    code = (
        "from dataquality.cli import main\n"
        f"try:\n    main({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n"
    )
    loaded = _imported_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_version_prints_the_version() -> None:
    out = subprocess.run([sys.executable, "-m", "dataquality", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("dq, version ")
