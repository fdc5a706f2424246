"""Read a correction list that came back: the filled "Corrected value / Done by / Date" columns.

The list is the workbook `dq corrections` (or `dq check`) wrote: a title row, an instructions row,
then the header row and one row per issue. Its columns are found by their headers, in Chinese or
English (a department may have moved or hidden a column), so the reader does not depend on the
writer's order. Reading goes through calamine, as every input does, within the input limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dataquality.config import normalise_header
from dataquality.errors import InputError
from dataquality.i18n import LANGUAGES, text
from dataquality.load.limits import Limits
from dataquality.report.corrections import FILL_IN

HEADER_ROWS = 10  # the header row is looked for in the first rows (title and instructions above it)
# The columns the reader needs, and the ones it reads when present (to say what a row is about).
NEEDED = ("issue_number", "corrected_value")
WANTED = ("issue_number", *FILL_IN, "key", "field", "value", "cell")


@dataclass(frozen=True)
class ReturnedRow:
    """One filled row of a returned correction list."""

    list_file: Path
    line: int  # the Excel row of the list
    number: str  # as written in the list (DQ-000123)
    corrected: str
    done_by: str | None = None
    done_on: str | None = None
    key: str | None = None
    field: str | None = None
    value: str | None = None
    cell: str | None = None

    @property
    def where(self) -> str:
        return f"{self.list_file.name}:{self.line}"


def _labels() -> dict[str, str]:
    """Header text (normalised) -> column name, in every language."""
    out = {}
    for column in WANTED:
        for lang in LANGUAGES:
            out[normalise_header(text(f"report.col.{column}", lang))] = column
    return out


def read_list(path: Path, limits: Limits | None = None) -> list[ReturnedRow]:
    """The rows of the list whose corrected value is filled in (read within `limits`); InputError when
    it is no correction list."""
    from dataquality.load.grid import WorkbookGrids, sniff_kind
    from dataquality.load.source import WorkbookSource

    source = WorkbookSource(path, limits)
    if sniff_kind(source) not in ("xlsx", "ods"):
        raise InputError("returned.not_a_list", file=str(path))
    book = WorkbookGrids(source)
    labels = _labels()
    for sheet in book.sheets:
        grid = book.grid(sheet)
        for position in range(min(HEADER_ROWS, len(grid))):
            heads = {labels.get(normalise_header(v)): i for i, v in enumerate(grid.iloc[position].tolist())
                     if isinstance(v, str)}
            if all(c in heads for c in NEEDED):
                return _rows(path, grid.iloc[position + 1 :], {c: i for c, i in heads.items() if c})
    raise InputError("returned.not_a_list", file=str(path))


def _rows(path: Path, body: pd.DataFrame, columns: dict[str, int]) -> list[ReturnedRow]:
    def cell(values: list, name: str) -> str | None:
        at = columns.get(name)
        if at is None or at >= len(values):
            return None
        value = values[at]
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return None
        said = str(value).strip()
        return said or None

    out = []
    for line, values in zip(body.index.tolist(), body.itertuples(index=False, name=None), strict=True):
        values = list(values)
        corrected = cell(values, "corrected_value")
        if corrected is None:
            continue  # not filled in: nothing came back for this issue
        done_on = cell(values, "done_on")
        out.append(ReturnedRow(
            list_file=path, line=int(line), number=cell(values, "issue_number") or "", corrected=corrected,
            done_by=cell(values, "done_by"), done_on=done_on.split(" ")[0] if done_on else None,
            key=cell(values, "key"), field=cell(values, "field"), value=cell(values, "value"), cell=cell(values, "cell"),
        ))
    return out
