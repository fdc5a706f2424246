"""File-structure rules: findings about a sheet as a whole rather than a cell."""

from __future__ import annotations

from dataquality.checks.registry import describe
from dataquality.issue import Severity

UNKNOWN_COLUMN = describe(
    "FIL001",
    "unknown-column",
    Severity.INFO,
    "file",
    """A column header matches no field of the entity; the column is ignored.

    Why: a misspelt header means its data is silently not checked (and not imported).
    Bad: a column headed 客户编号 where the schema knows 客户编码 and 客户代码.
    Good: rename the header, or add it as an alias in schemas/customer.yaml.
    """,
)
