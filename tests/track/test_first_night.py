"""From `dq init` to a nightly job that can go green (issue 25): a project that survives git (a
.gitignore, placeholders, the key kept out), the backlog accepted once (`dq check --accept-open`),
same-day re-runs that follow --fail-on, and JUnit test cases that agree with the exit code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from dq_cli import ROOT, run_dq

from dataquality.track.scaffold import GITIGNORE_LINES, init_project

NIGHT1 = "2026-11-23T02:00:00"
NIGHT1_LATER = "2026-11-23T09:30:00"
NIGHT2 = "2026-11-24T02:00:00"


def _check(project: Path, *args: str, now: str = NIGHT1) -> subprocess.CompletedProcess[str]:
    return run_dq("check", "-q", *args, cwd=project, env={"DQ_NOW": now, "DQ_LANG": "en"})


def _junit(project: Path) -> ET.Element:
    return ET.parse(project / "reports" / "latest" / "junit.xml").getroot()


def test_init_keeps_state_key_and_reports_out_of_git_and_data_folders_in(tmp_path: Path) -> None:
    init_project(tmp_path / "p", lang="en")
    ignore = (tmp_path / "p" / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".dq/", "audit.key", "*.key", "reports/", "corrections/"} <= set(ignore)
    for folder in ("data", "baseline"):
        assert (tmp_path / "p" / folder / "README.md").is_file()  # git keeps no empty folder


def test_init_adds_only_the_missing_lines_to_an_existing_gitignore(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / ".gitignore").write_text("*.tmp\nreports/", encoding="utf-8")
    init_project(tmp_path / "p", lang="en")
    lines = (tmp_path / "p" / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["*.tmp", "reports/"] and lines.count("reports/") == 1
    assert {line for line in GITIGNORE_LINES if not line.startswith("#")} <= set(lines)


@pytest.mark.parametrize(("lang", "said"), [("en", "named by baseline in"), ("zh", "中 baseline 指定的")])
def test_a_missing_baseline_names_the_key_of_dq_yaml(tmp_path: Path, lang: str, said: str) -> None:
    run_dq("init", "p", "--demo", cwd=tmp_path)
    shutil.rmtree(tmp_path / "p" / "baseline")
    done = run_dq("check", "-q", "--lang", lang, cwd=tmp_path / "p")
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = [x for x in done.stderr.splitlines() if x.strip()]
    assert said in line and "dq.yaml" in line and "entities" not in line


def test_a_missing_entity_file_names_its_key(tmp_path: Path) -> None:
    run_dq("init", "p", cwd=tmp_path)
    done = run_dq("check", "-q", "--lang", "en", cwd=tmp_path / "p")
    assert done.returncode == 2
    assert "named by entities.customer in" in done.stderr


def test_the_first_night_goes_green_once_the_backlog_is_accepted(tmp_path: Path) -> None:
    run_dq("init", "p", "--demo", "--lang", "en", cwd=tmp_path)
    project = tmp_path / "p"
    first = _check(project)
    assert first.returncode == 1 and "dq check --accept-open" in first.stdout
    root = _junit(project)
    assert int(root.get("failures")) > 0  # red job, red dashboard

    retry = _check(project, now=NIGHT1_LATER)  # a CI retry on the same data fails again
    assert retry.returncode == 1 and "Same data as run 1" in retry.stdout

    accepted = _check(project, "--accept-open", now=NIGHT1_LATER)
    assert accepted.returncode == 0, accepted.stdout
    assert "32 issues accepted as the known backlog" in accepted.stdout
    root = _junit(project)
    assert root.get("failures") == "0" and int(root.get("skipped")) == 32  # green job, green dashboard
    case = next(c for c in root.iter("testcase") if c.find("skipped") is not None)
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["issue_number"].startswith("DQ-") and props["status"] == "open"
    assert case.get("name").startswith(props["issue_number"] + " ")
    assert "--fail-on new-error" in case.find("skipped").get("message")

    again = _check(project, now=NIGHT1_LATER)  # a same-day re-run follows --fail-on: still green
    assert again.returncode == 0 and "Same data as run 3" in again.stdout
    assert _check(project, "--fail-on", "error", now=NIGHT1_LATER).returncode == 1


def test_a_new_error_after_the_backlog_fails_and_junit_names_it(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    run_dq("init", "p", "--demo", "--lang", "en", cwd=tmp_path)
    project = tmp_path / "p"
    assert _check(project, "--accept-open").returncode == 0
    book = project / "data" / "customers.xlsx"
    wb = load_workbook(book)
    ws = wb.worksheets[0]
    ws.cell(row=4, column=5).value = "Z"  # grade: not an allowed value
    wb.save(book)
    night2 = _check(project, now=NIGHT2)
    assert night2.returncode == 1
    root = _junit(project)
    failed = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert len(failed) == 1 == int(root.get("failures"))
    props = {p.get("name"): p.get("value") for p in failed[0].iter("property")}
    assert props["status"] == "new" and failed[0].get("classname") == "dataquality.customer.ENM001"
    assert props["issue_number"] in failed[0].find("failure").get("message")


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=dq", "-c", "user.email=dq@example.com", *args], cwd=cwd, check=True,
                   capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed: the fresh-clone walk needs it")
def test_readme_init_commit_fresh_clone_check_in_a_ci_like_shell(tmp_path: Path) -> None:
    """The new user's walk: dq init, git commit, a fresh clone, dq check with no terminal and no LANG."""
    ci = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "DQ_LANG")}
    ci.update(PYTHONPATH=str(ROOT), DQ_NOW=NIGHT1, CI="true", TERM="dumb")

    def dq(*args: str, cwd: Path, env: dict[str, str] = ci) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dataquality", *args], cwd=cwd, env=env, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=300)

    made = run_dq("init", "acme", "--demo", cwd=tmp_path, env={"LANG": None, "DQ_LANG": None})
    assert made.returncode == 0, made.stderr
    origin = tmp_path / "acme"
    assert "# lang: zh" in (origin / "dq.yaml").read_text(encoding="utf-8")  # no language asked for: the data decides
    _git("init", "-q", cwd=origin)
    _git("add", "-A", cwd=origin)
    _git("commit", "-qm", "dq project", cwd=origin)
    tracked = subprocess.run(["git", "ls-files"], cwd=origin, capture_output=True, text=True, check=True).stdout.split()
    assert "baseline/README.md" in tracked and "data/customers.xlsx" in tracked and "dq.yaml" in tracked
    assert not [f for f in tracked if f.startswith((".dq/", "reports/")) or f.endswith(".key")], tracked

    _git("clone", "-q", str(origin), "clone", cwd=tmp_path)
    clone = tmp_path / "clone"
    key = {**ci, "DQ_AUDIT_KEY": "ab" * 32}  # the CI secret
    first = dq("check", cwd=clone, env=key)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "Traceback" not in first.stderr
    # No TTY and no LANG: the project's data is Chinese, so the messages are too.
    assert "第 1 次运行" in first.stdout and "dq check --accept-open" in first.stdout
    assert "\x1b[" not in first.stdout  # no colour codes in a CI log
    green = dq("check", "--accept-open", cwd=clone, env=key)
    assert green.returncode == 0, green.stdout + green.stderr
    assert not (clone / ".dq" / "audit.key").exists()  # the key came from the secret, nothing on disk


def test_the_next_check_cleans_what_a_killed_check_left(tmp_path: Path) -> None:
    """A check killed mid-report leaves its hidden .RUN.partial folder and its reserved, empty run
    folder (issue 26); the next check, holding the run lock, removes both and nothing else."""
    run_dq("init", "p", "--demo", "--lang", "en", cwd=tmp_path)
    project = tmp_path / "p"
    assert _check(project).returncode == 1
    reports = project / "reports"
    kept = sorted(p.name for p in reports.iterdir())
    (reports / "2026-11-23T050000").mkdir()  # reserved by the killed run, still empty
    (reports / ".2026-11-23T050000.partial").mkdir()
    (reports / ".2026-11-23T050000.partial" / "report.json").write_text("{", encoding="utf-8")
    (reports / "2026-11-22T020000").mkdir()  # a run folder someone filled by hand: never removed
    (reports / "2026-11-22T020000" / "notes.txt").write_text("keep", encoding="utf-8")
    (reports / "archive").mkdir()  # not dq's
    assert _check(project, now=NIGHT2).returncode == 0
    left = sorted(p.name for p in reports.iterdir())
    assert ".2026-11-23T050000.partial" not in left and "2026-11-23T050000" not in left
    assert {"2026-11-22T020000", "archive", "2026-11-24T020000", *kept} == set(left)
