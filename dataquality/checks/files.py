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

DUPLICATE_COLUMN = describe(
    "FIL002",
    "duplicate-column",
    Severity.WARNING,
    "file",
    """Two columns have headers that mean the same field; only the first is read.

    Why: the second column's values are neither checked nor imported, and nobody notices which one the system took.
    Bad: a phone column 联系电话 in H and another 电话 in Q.
    Good: one column per field; delete or rename the other.
    """,
)

SUMMARY_ROW = describe(
    "FIL003",
    "summary-row-ignored",
    Severity.INFO,
    "file",
    """A totals row (合计, 小计, Total ...) under the records is left out of the checks.

    Why: a totals line is not a customer or a product; importing it creates a bogus record.
    Bad: a last row 合计 | | | 1,250,000 under the customer list.
    Good: remove totals rows from an import file (dq reads past them, an ERP import may not).
    """,
)
