"""Installing dq as a new user does (issue 25): a distribution name of our own, used on every
install line; the README's two set-up commands (a virtual environment, Python >= 3.11), the test
command .ci/run runs word for word, and the CI example's install line and secret."""

from __future__ import annotations

import re
import shlex
import tomllib

import yaml
from dq_cli import ROOT

from dataquality import __version__

DISTRIBUTION = "dq-masterdata"  # free on PyPI when chosen ("dataquality" there is another project)
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {p.name: p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.*"))]
        if p.suffix in (".md", ".yml")}


def _setup_commands() -> list[str]:
    section = README.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, flags=re.S)


def test_the_distribution_has_a_name_of_its_own_and_the_command_stays_dq() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == DISTRIBUTION
    assert project["scripts"] == {"dq": "dataquality.cli:run"}
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["dataquality"]


def test_no_install_line_names_the_unrelated_dataquality_distribution() -> None:
    texts = {**DOCS, **{p.name: p.read_text(encoding="utf-8") for p in (ROOT / "dataquality" / "messages").glob("*.yaml")}}
    for name, text in texts.items():
        for line in text.splitlines():
            if "pip install" in line:
                assert not re.search(r"pip install (-U )?['\"]?dataquality\b", line), (name, line)


def test_the_readme_has_exactly_two_set_up_commands_in_a_virtual_environment() -> None:
    demo, tests = _setup_commands()
    for command in (demo, tests):
        assert "\n" not in command
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install ")
    assert demo.endswith("pip install . && dq demo")
    assert tests.endswith("pip install '.[test]' && python -m pytest -n 2")
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert "Python 3.11 or newer" in README and "python3-venv" in README


def test_ci_runs_the_readmes_test_command_word_for_word() -> None:
    _demo, tests = _setup_commands()
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [line] = [x for x in run.splitlines() if x.startswith("readme_test_command=")]
    assert shlex.split(line.split("=", 1)[1]) == [tests]
    assert 'bash -c "$readme_test_command"' in run


def test_the_readme_says_how_to_install_before_publication_and_lists_what_the_full_run_needs() -> None:
    assert f"dist/dq_masterdata-{__version__}-py3-none-any.whl" in README
    assert f"pip install {DISTRIBUTION}" in README and "not on the package index" in README
    for need in ("Chromium", "fonts-noto-cjk", "LibreOffice", "PostgreSQL", "../shared/realworld"):
        assert need in README, need


def test_the_ci_example_installs_dq_masterdata_and_keeps_the_key_in_a_secret() -> None:
    workflow = yaml.safe_load((ROOT / "docs" / "ci-example.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["check"]
    steps = {s.get("name"): s for s in job["steps"]}
    assert steps["Install dq"]["run"] == 'pip install "$DQ_PACKAGE"'
    assert job["env"]["DQ_PACKAGE"].startswith(f"{DISTRIBUTION} @ git+https://")
    check = steps["dq check"]
    assert check["env"]["DQ_AUDIT_KEY"] == "${{ secrets.DQ_AUDIT_KEY }}"
    assert "--accept-open" in check["run"]
    for name in ("Restore the state database", "Save the state database"):
        paths = steps[name]["with"]["path"].split()
        assert ".dq" in paths and "!.dq/*.key" in paths  # the state is cached, the key never


def test_tests_that_need_what_a_bare_clone_lacks_skip_and_say_why(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Without ../shared and without Chromium, their tests skip with the reason instead of failing
    (test_inflate.py raised FileNotFoundError before)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DQ_SHARED": str(tmp_path / "no-shared"), "DQ_CHROMIUM": str(tmp_path / "no-chromium")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "tests/load/test_inflate.py", "tests/report/test_report_browser.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "failed" not in done.stdout and "error" not in done.stdout.lower().split("short test summary")[-1]
    assert "the real-world workbooks are not here" in done.stdout and "Chromium not installed" in done.stdout
