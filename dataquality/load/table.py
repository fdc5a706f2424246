"""A loaded sheet: field-named columns of text, indexed by the Excel row numbers a person sees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Cell text is Arrow-backed: the vectorised str methods run in C (pyarrow compute), not per cell.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


@dataclass(frozen=True)
class Finding:
    """Something the loader found about a sheet, a row or a cell (a FIL or TYP rule), before any rule ran.

    The checks turn each into an Issue (checks/runner.py), so it flows into every report.
    """

    rule: str
    row: int | None
    field: str | None = None
    column: str | None = None
    value: str | None = None
    params: Mapping[str, Any] = dc_field(default_factory=dict)
    sheet: str | None = None  # for findings about a sheet that gave no table


@dataclass(frozen=True)
class Table:
    """One entity's records from one sheet (or CSV file).

    `data` has one column per recognised field, holding the text a person sees in the cell
    (NA where empty), and is indexed by Excel row number.
    """

    entity: str
    path: Path
    sheet: str | None
    header_row: int
    data: pd.DataFrame
    columns: dict[str, str] = field(default_factory=dict)  # field -> Excel column letter
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as written
    unknown_columns: tuple[tuple[str, str], ...] = ()  # (column letter, header)
    duplicate_columns: tuple[tuple[str, str, str], ...] = ()  # (column letter, header, letter of the column read)
    summary_rows: tuple[tuple[int, str], ...] = ()  # (Excel row, label such as 合计) left out of the records
    findings: tuple[Finding, ...] = ()  # what the loader found: missing columns, rows left out, weak matches ...
    matches: tuple[Any, ...] = ()  # load.detect.ColumnMatch of each recognised column (how it was matched)
    first_header_row: int = 0  # the first row of a two-level header (header_row is the last)
    shown_values: int = 0  # cells whose value was replaced by what Excel shows (number formats)

    derived: frozenset[str] = frozenset()  # field keys built from several cells (a name in parts): never written back
    shown_as: str | None = None  # set when two inputs share a file name: the path as given
    key: str | None = None  # the schema's key field (where a record's own issues are marked)

    @property
    def file(self) -> str:
        """The file name shown in reports (the path as given when two inputs share the name)."""
        return self.shown_as or self.path.name

    def __len__(self) -> int:
        return len(self.data)
