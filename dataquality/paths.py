"""Where the shipped defaults (schemas/, rules/, reports/) live, installed or in a checkout."""

from __future__ import annotations

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
