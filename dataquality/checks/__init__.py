"""Rules: the registry, the rule families, and the runner that turns failures into Issues."""

from __future__ import annotations

# Importing a family registers its rules; the order does not matter (the registry sorts by code).
from dataquality.checks import approval as _approval  # noqa: F401
from dataquality.checks import conventions as _conventions  # noqa: F401
from dataquality.checks import customer as _customer  # noqa: F401
from dataquality.checks import duplicates as _duplicates  # noqa: F401
from dataquality.checks import fields as _fields  # noqa: F401
from dataquality.checks import files as _files  # noqa: F401
from dataquality.checks import identifiers as _identifiers  # noqa: F401
from dataquality.checks import product as _product  # noqa: F401
from dataquality.checks import readings as _readings  # noqa: F401
from dataquality.checks import references as _references  # noqa: F401
from dataquality.checks import settings as _settings
from dataquality.checks.registry import REGISTRY, Rule, get_rule
from dataquality.checks.runner import check_tables
from dataquality.config import LOAD_HOOKS

# Config.load validates rule codes and settings against the registry (plugins included) once the
# rules are known, so a typo in rules.yaml or a schema stops the run before any data is read.
if _settings.validate not in LOAD_HOOKS:
    LOAD_HOOKS.append(_settings.validate)

__all__ = ["REGISTRY", "Rule", "check_tables", "get_rule"]
