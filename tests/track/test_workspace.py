"""Project discovery (as git finds its repository) and which database each command uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataquality.errors import ConfigError
from dataquality.store import default_url
from dataquality.track.discovery import find_project, project_path
from dataquality.track.project import Project
from dataquality.track.scaffold import init_project
from dataquality.track.workspace import load_project, workspace


def test_the_nearest_dq_yaml_upwards_is_the_project(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    init_project(outer, lang="en")
    inner = outer / "teams" / "inner"
    init_project(inner, lang="en")
    deep = inner / "data" / "2026"
    deep.mkdir(parents=True)
    assert find_project(deep) == (inner / "dq.yaml").resolve()
    assert find_project(outer / "teams") == (outer / "dq.yaml").resolve()
    assert find_project(tmp_path) is None
    # -c wins over discovery, and names a file or its folder.
    assert project_path(outer, deep) == outer
    assert load_project(outer, deep).path == (outer / "dq.yaml").resolve()


def test_no_project_is_an_error_naming_dq_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="dq.yaml"):
        load_project(None, tmp_path)


def test_the_database_is_the_one_dq_check_uses(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DQ_DB", raising=False)
    init_project(tmp_path / "p", lang="en")
    project = Project.load(tmp_path / "p")
    ws = workspace(project)
    assert ws.url == default_url(project.state_dir) and ws.state_dir == project.state_dir and ws.project is project
    assert ws.url.endswith(str((tmp_path / "p" / ".dq" / "dq.db").resolve()))
    # state.url in dq.yaml moves it for dq check and the approval commands alike.
    text = (tmp_path / "p" / "dq.yaml").read_text(encoding="utf-8")
    assert "  dir: .dq\n" in text
    (tmp_path / "p" / "dq.yaml").write_text(text.replace("  dir: .dq\n", "  dir: .dq\n  url: sqlite:///elsewhere.db\n"),
                                             encoding="utf-8")
    moved = Project.load(tmp_path / "p")
    assert workspace(moved).url == moved.state_url == f"sqlite:///{(tmp_path / 'p' / 'elsewhere.db').resolve()}"
    # --db (or DQ_DB) overrides; outside a project the current folder's .dq.
    assert workspace(moved, db="sqlite:////x/y.db").url == "sqlite:////x/y.db"
    monkeypatch.chdir(tmp_path)
    alone = workspace(None)
    assert alone.project is None and alone.url == default_url(Path(".dq"))
    assert not (tmp_path / ".dq").exists()  # resolving opens nothing
