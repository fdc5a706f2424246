"""Rules: the registry, the rule families, and the runner that turns failures into Issues."""

from __future__ import annotations

from dataquality.approve import rule as _approval_rule  # noqa: F401  (registers APR001)

# Importing a family registers its rules; the order does not matter (the registry sorts by code).
from dataquality.checks import customer as _customer  # noqa: F401
from dataquality.checks import duplicates as _duplicates  # noqa: F401
from dataquality.checks import fields as _fields  # noqa: F401
from dataquality.checks import files as _files  # noqa: F401
from dataquality.checks import identifiers as _identifiers  # noqa: F401
from dataquality.checks import product as _product  # noqa: F401
from dataquality.checks import references as _references  # noqa: F401
from dataquality.checks.registry import REGISTRY, Rule, get_rule
from dataquality.checks.runner import check_tables

__all__ = ["REGISTRY", "Rule", "check_tables", "get_rule"]
