"""Load customer and product masters from Excel and CSV into Tables with Excel row numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataquality.config import Config
from dataquality.errors import InputError
from dataquality.issue import column_letter
from dataquality.load.detect import entity_from_sheet_name, find_header
from dataquality.load.grid import PEEK_ROWS, iter_grids, read_csv_grid, sniff_kind
from dataquality.load.table import TEXT, Table

__all__ = ["Table", "load_file"]


def load_file(path: Path | str, config: Config, lang: str = "en", entity: str | None = None) -> list[Table]:
    """Every entity sheet of a workbook (or the CSV file) as Tables; raises InputError on bad input."""
    path = Path(path)
    kind = sniff_kind(path)
    tables: list[Table] = []
    any_cells = False
    csv_grid = read_csv_grid(path) if kind == "csv" else None
    for sheet, book in iter_grids(path, kind):
        # calamine parses a whole sheet even for a few rows, so read each sheet once and peek at it.
        grid = csv_grid if csv_grid is not None else book.grid(sheet)  # type: ignore[union-attr]
        peek = grid.head(PEEK_ROWS)
        if peek.notna().any().any():
            any_cells = True
        sheet_entity = entity or entity_from_sheet_name(sheet.name, config)
        match = find_header(peek, config, sheet_entity)
        if match is None:
            if sheet_entity is not None and peek.notna().any().any():
                raise InputError("load.no_header_in_sheet", file=path.name, sheet=sheet.name or "-", entity=sheet_entity)
            continue
        tables.append(_table(path, sheet.name, grid, match, config, lang))
    if not tables:
        key = "load.no_header" if any_cells else "load.no_data"
        raise InputError(key, file=path.name)
    return tables


def _table(path: Path, sheet: str | None, grid: pd.DataFrame, match, config: Config, lang: str) -> Table:
    schema = config.schemas[match.entity]
    missing = [f for f in schema.required_fields if f not in match.fields]
    where = sheet or "-"
    if missing:
        names = ", ".join(f"{schema.fields[f].label(lang)} ({f})" for f in missing)
        raise InputError("load.missing_columns", file=path.name, sheet=where, header_row=match.row, columns=names)
    body = grid.loc[match.row + 1 :, list(match.fields.values())]
    body.columns = list(match.fields.keys())
    present = body.apply(lambda s: s.str.strip().fillna("") != "").any(axis=1)
    body = body.loc[present]
    summary = _summary_rows(body, match)
    body = body.drop(index=summary.index)
    if body.empty:
        raise InputError("load.header_only", file=path.name, sheet=where, header_row=match.row)
    body.index.name = "row"
    return Table(
        entity=match.entity,
        path=path,
        sheet=sheet,
        header_row=match.row,
        data=body,
        columns={f: column_letter(c) for f, c in match.fields.items()},
        headers=dict(match.headers),
        unknown_columns=tuple((column_letter(c), h) for c, h in match.unknown),
        duplicate_columns=tuple((column_letter(c), h, column_letter(first)) for c, h, first in match.duplicates),
        summary_rows=tuple((int(r), str(label)) for r, label in summary.items()),
    )


# Labels of a totals line under a list (合计 / 小计 / Total ...): such a row is not a record.
SUMMARY_LABELS = ("合计", "总计", "小计", "汇总", "合計", "總計", "total", "subtotal", "grandtotal", "sum", "totals")


def _summary_rows(body: pd.DataFrame, match) -> pd.Series:
    """Rows whose first filled cell (in sheet order) is a totals label: row -> the label."""
    if body.empty:
        return pd.Series(dtype=TEXT)
    in_sheet_order = sorted(match.fields, key=lambda f: match.fields[f])
    first = body[in_sheet_order].bfill(axis=1).iloc[:, 0].astype(TEXT)
    key = first.str.normalize("NFKC").str.lower().str.replace(r"[\s:：]", "", regex=True)
    return first[key.isin(SUMMARY_LABELS).fillna(False).astype(bool)]
