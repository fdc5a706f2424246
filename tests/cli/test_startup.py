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


def test_to_dicts_equals_to_dict_per_issue() -> None:
    """The JSON report's bulk path shares formatted texts between issues, and says exactly what each issue says."""
    from dataquality.issue import Issue, Severity, to_dicts

    shared = {"labels": {"en": "Department", "zh": "部门"}}
    issues = [
        Issue(rule="REF001", severity=Severity.ERROR, entity="product", file="p.xlsx", sheet="S", row=r, key=f"P{r}",
              field="owner_department", value=v, column="K", params=shared)
        for r, v in ((2, "研发中心"), (3, "研发中心"), (4, "技术部"), (5, None))
    ] + [
        Issue(rule="UNQ001", severity=Severity.ERROR, entity="product", file="p.xlsx", sheet="S", row=r, key="P9",
              field="internal_code", value="P9", column="A", params=shared, related_rows=rel)
        for r, rel in ((6, (7,)), (7, (6,)))
    ]
    for lang in ("en", "zh"):
        assert to_dicts(issues, lang) == [i.to_dict(lang) for i in issues]
    assert to_dicts(issues, "en")[4]["message"] != to_dicts(issues, "en")[5]["message"]


@pytest.mark.parametrize(("asked", "used"), [(None, "system"), ("jemalloc", "jemalloc")])
def test_the_dq_program_takes_arrows_memory_from_malloc_unless_told_otherwise(asked, used) -> None:
    # pyarrow's default pool (mimalloc) gives pages back and faults them in again: dq, as a
    # program, asks for the C library's malloc before pyarrow is imported; the user's choice wins.
    import os

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if asked:
        env["ARROW_DEFAULT_MEMORY_POOL"] = asked
    probe = ("from dataquality.cli import prefer_system_allocator\nprefer_system_allocator()\n"
             "import pyarrow as pa\nprint(pa.default_memory_pool().backend_name)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == used
