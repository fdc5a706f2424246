"""Rules: the registry, the rule families, and the runner that turns failures into Issues."""

from __future__ import annotations

from dataquality.approve import rule as _approval_rule  # noqa: F401  (registers APR001)
from dataquality.checks import fields as _fields  # noqa: F401  (registers the field rules)
from dataquality.checks import files as _files  # noqa: F401  (registers the file rules)
from dataquality.checks.registry import REGISTRY, Rule, get_rule
from dataquality.checks.runner import check_tables

__all__ = ["REGISTRY", "Rule", "check_tables", "get_rule"]
