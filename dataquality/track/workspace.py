"""Which project a command works in, and so which configuration and state database it uses.

Project discovery works as git's does: without `-c/--config`, the nearest dq.yaml in the current
folder or a folder above it is the project. Every command that touches project state (dq check,
dq issues, dq history, dq changes, dq approvals, dq approve/reject/apply, dq audit, dq users,
dq serve) resolves it here, so an approval recorded from any folder inside a project lands in the
database that `dq check` reads. Outside any project the approval commands keep their standalone
behaviour: the shipped (or --schemas/--rules) configuration and .dq/ in the current folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataquality.errors import ConfigError
from dataquality.track.discovery import CONFIG_NAME, project_path

if TYPE_CHECKING:
    from dataquality.track.project import Project


def load_project(given: Path | None, start: Path | None = None) -> Project:
    """The project of -c/--config or discovery; an error naming dq.yaml when there is none."""
    path = project_path(given, start)
    if path is None:
        raise ConfigError("project.not_found", file=CONFIG_NAME)
    from dataquality.track.project import Project

    return Project.load(path)


@dataclass(frozen=True)
class Workspace:
    """The configuration, approval policy and state database one command works with."""

    project: Project | None
    config: Any
    policy: Any
    url: str
    state_dir: Path
    state_dir_given: bool = False

    def open(self, *, create: bool = True, read_only: bool = False, write: bool = True) -> Any:
        """The approval store (see approve.commands.open_state); use it as `with ws.open() as store:`."""
        from dataquality.approve.commands import open_state

        return open_state(self.url, self.state_dir, create=create, read_only=read_only, write=write,
                          state_dir_given=self.state_dir_given)


def workspace(project: Project | None, db: str | None = None, state_dir: Path | None = None,
              schemas_dir: Path | None = None, rules_dir: Path | None = None) -> Workspace:
    """Resolve configuration and database: explicit options first, then the project, then the defaults.

    Database: --db (or DQ_DB), then the project's state.url, then its state folder's dq.db, the same
    database `dq check` uses; without a project: approval.yaml's `database`, then .dq/dq.db here.
    """
    from dataquality.approve.issues import resolve_url
    from dataquality.approve.tiers import ApprovalPolicy
    from dataquality.store import DEFAULT_STATE_DIR, default_url

    config = configuration(project, schemas_dir, rules_dir)
    policy = ApprovalPolicy.load(config=config)
    folder = state_dir or (project.state_dir if project is not None else Path(DEFAULT_STATE_DIR))
    if project is not None:
        url = db or project.state_url or default_url(folder)
    else:
        url = resolve_url(db, policy, folder)
    return Workspace(project, config, policy, url, folder, state_dir_given=state_dir is not None)


def configuration(project: Project | None, schemas_dir: Path | None = None, rules_dir: Path | None = None) -> Any:
    """The project's configuration (with its reference lists) unless --schemas/--rules say otherwise."""
    from dataquality.config import Config

    if project is not None and schemas_dir is None and rules_dir is None:
        return project.config()
    if project is not None:
        return Config.load(schemas_dir or project.schemas_dir, rules_dir or project.rules_dir)
    return Config.load(schemas_dir, rules_dir)
