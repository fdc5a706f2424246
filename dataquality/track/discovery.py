"""Where the project is: the nearest dq.yaml, found as git finds its repository.

Kept apart from the project's model (track.project, which imports the configuration and pydantic)
because every command with -c/--config asks while its options are parsed, before anything else
is imported: the sheets' loaders start only after that.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_NAME = "dq.yaml"


def find_project(start: Path | None = None) -> Path | None:
    """The nearest dq.yaml in `start` (default: the current folder) or one of its parents."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def project_path(given: Path | None, start: Path | None = None) -> Path | None:
    """-c/--config when given (a dq.yaml or its folder), else the discovered dq.yaml, else None."""
    return given if given is not None else find_project(start)
