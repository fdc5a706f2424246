"""A loaded sheet: field-named columns of text, indexed by the Excel row numbers a person sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Cell text is Arrow-backed: the vectorised str methods run in C (pyarrow compute), not per cell.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


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

    shown_as: str | None = None  # set when two inputs share a file name: the path as given

    @property
    def file(self) -> str:
        """The file name shown in reports (the path as given when two inputs share the name)."""
        return self.shown_as or self.path.name

    def __len__(self) -> int:
        return len(self.data)
