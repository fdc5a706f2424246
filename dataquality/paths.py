"""Where the shipped defaults (schemas/, rules/, reports/) live, installed or in a checkout."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def defaults_dir() -> Path:
    """The folder holding the default schemas/, rules/ and reports/ folders."""
    installed = _PACKAGE / "_defaults"
    if (installed / "schemas").is_dir():
        return installed
    return _PACKAGE.parent


def default_schemas_dir() -> Path:
    """The shipped entity schemas (customer.yaml, product.yaml)."""
    return defaults_dir() / "schemas"


def default_rules_dir() -> Path:
    """The shipped rule settings, reference lists, approval tiers and routing."""
    return defaults_dir() / "rules"


def default_reports_dir() -> Path:
    """The shipped Jinja2 report templates."""
    return defaults_dir() / "reports"


def shown(path: Path | str) -> str:
    """A path as dq prints it: relative to the current folder when it is inside it, else absolute, so
    one command's lines never mix the two forms for the same place."""
    p = Path(path)
    try:
        absolute = p if p.is_absolute() else Path(os.path.abspath(p))
        here = Path(os.getcwd())
    except OSError:  # the current folder was removed
        return str(p)
    try:
        return str(absolute.relative_to(here)) or "."
    except ValueError:
        return str(absolute)
