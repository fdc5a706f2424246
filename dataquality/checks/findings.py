"""Findings: what a record rule returns, one row per failing record, indexed by Excel row."""

from __future__ import annotations

from typing import Any

import pandas as pd

FINDING_COLUMNS = ("field", "value", "fixed_value", "related_rows")


def findings(rows: pd.Index | pd.Series, field: str, **columns: Any) -> pd.DataFrame:
    """A findings frame for `rows` (an index, or a bool mask) about `field`, with extra columns (values or Series)."""
    index = rows[rows].index if isinstance(rows, pd.Series) else pd.Index(rows)
    data: dict[str, Any] = {"field": field}
    for name, col in columns.items():
        data[name] = col.reindex(index) if isinstance(col, pd.Series) else col
    return pd.DataFrame(data, index=index)


def no_findings() -> pd.DataFrame:
    """No failing record."""
    return pd.DataFrame({"field": pd.Series(dtype="str")}, index=pd.Index([], dtype="int64", name="row"))
