"""Find the header row (within the first 20 rows) and the entity of a sheet."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from dataquality.config import Config, EntitySchema, header_key, normalise_header


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is, which entity it belongs to and which column holds which field."""

    entity: str
    row: int
    fields: dict[str, int]  # field -> absolute column index
    headers: dict[str, str]  # field -> header text as written
    unknown: tuple[tuple[int, str], ...]  # (column index, header) not matching any field
    score: int
    duplicates: tuple[tuple[int, str, int], ...] = ()  # (column index, header, column index of the first)


def entity_from_sheet_name(sheet: str | None, config: Config) -> str | None:
    """The entity whose accepted sheet names include `sheet` (after normalisation)."""
    if not sheet:
        return None
    wanted = normalise_header(sheet)
    for schema in config.schemas.values():
        if wanted in {normalise_header(n) for n in schema.sheet_names}:
            return schema.name
    return None


def _match_row(cells: pd.Series, schema: EntitySchema) -> HeaderMatch | None:
    index = schema.header_index()
    fields: dict[str, int] = {}
    headers: dict[str, str] = {}
    unknown: list[tuple[int, str]] = []
    duplicates: list[tuple[int, str, int]] = []
    for col, value in cells.items():
        if pd.isna(value) or not str(value).strip():
            continue
        name = index.get(header_key(value))
        if name is not None and name not in fields:
            fields[name] = int(col)  # type: ignore[arg-type]
            headers[name] = str(value).strip()
        elif name is not None:
            duplicates.append((int(col), str(value).strip(), fields[name]))  # type: ignore[arg-type]
        else:
            unknown.append((int(col), str(value).strip()))  # type: ignore[arg-type]
    if not fields:
        return None
    # The key column weighs double: shared fields (customer_code, status) must not decide alone.
    score = len(fields) + (2 if schema.key in fields else 0)
    return HeaderMatch(schema.name, 0, fields, headers, tuple(unknown), score, tuple(duplicates))


def find_header(peek: pd.DataFrame, config: Config, sheet_entity: str | None) -> HeaderMatch | None:
    """The best header row among the first rows of `peek`; None when nothing looks like a header."""
    best: HeaderMatch | None = None
    candidates = [config.schemas[sheet_entity]] if sheet_entity else list(config.schemas.values())
    for row_number, cells in peek.iterrows():  # at most 20 rows: header search, not a rule
        for schema in candidates:
            match = _match_row(cells, schema)
            if match is None or len(match.fields) < min(2, len(schema.fields)):
                continue
            if best is None or match.score > best.score:
                best = dataclasses.replace(match, row=int(row_number))  # type: ignore[arg-type]
    return best
