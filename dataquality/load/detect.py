"""Find the header row (within the first 20 rows), the entity of a sheet and the field of each column.

A header cell is matched to a field in decreasing strength:

- ``exact``: the cell, or one of its lines (``物料编码\\nItem Code``), equals a label or alias once
  required marks (``*``), a trailing note (``(元)``, ``（必填）``), case and spaces are ignored;
- ``normalised``: equal once every separator and camelCase is ignored (``customerID``,
  ``Customer_Id``), or one part of a ``a/b`` header equals an alias;
- ``fuzzy``: a close spelling of an alias (reported as FIL006 so it is never silent).

A match by a generic name (``loose_aliases`` in the schema, e.g. 类别, 状态, 条码) or by anything
weaker than ``exact`` is *unconfirmed*: its values must agree with the field before its cells are
checked (see load/confirm.py).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from dataquality.config import Config, EntitySchema, header_key, loose_header_key, normalise_header

EXACT, NORMALISED, FUZZY, MAPPED = "exact", "normalised", "fuzzy", "mapping"
FUZZY_CUTOFF = 0.92


@dataclass(frozen=True)
class ColumnMatch:
    """How one header cell was matched to a field."""

    column: int  # absolute 0-based column index
    header: str  # header text as written (both lines of a two-level header joined by ' / ')
    field: str
    strength: str  # exact | normalised | fuzzy | mapping
    alias: str  # the name it matched
    loose: bool = False  # matched by a generic name: the values must confirm it


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is, which entity it belongs to and which column holds which field."""

    entity: str
    row: int  # the last header row: records start below it
    fields: dict[str, int]  # field -> absolute column index
    headers: dict[str, str]  # field -> header text as written
    unknown: tuple[tuple[int, str], ...]  # (column index, header) not matching any field
    score: int
    duplicates: tuple[tuple[int, str, int], ...] = ()  # (column index, header, column index of the first)
    matches: dict[str, ColumnMatch] = field(default_factory=dict)  # field -> how it matched
    first_row: int = 0  # the first header row (differs from `row` for a two-level header)


class _Index:
    """Every header name of one entity at each strength, built once per schema."""

    def __init__(self, schema: EntitySchema) -> None:
        self.exact: dict[str, str] = {}
        self.loose: dict[str, str] = {}
        for f in schema.fields.values():
            for name in f.header_names:
                self.exact.setdefault(name, f.name)
                self.loose.setdefault(_loose(name), f.name)
        self.loose.pop("", None)
        self.generic = {(f.name, n) for f in schema.fields.values() for n in f.loose_names}
        self.generic_loose = {(f, _loose(n)) for f, n in self.generic}
        self.fuzzy_names = [n for n in self.loose if len(n) >= 5]
        self._seen: dict[str, tuple[str, str, str] | None] = {}

    def match(self, text: str) -> tuple[str, str, str] | None:
        """(field, strength, alias) for one header cell, or None (remembered per text)."""
        if text not in self._seen:
            if len(self._seen) > 50_000:
                self._seen.clear()
            self._seen[text] = self._match(text[:200])
        return self._seen[text]

    def _match(self, text: str) -> tuple[str, str, str] | None:
        lines = [ln for ln in re.split(r"[\r\n]+", text) if ln.strip()]
        candidates = [text, *lines] if len(lines) > 1 else [text]
        for cand in candidates:
            key = header_key(cand)
            if key in self.exact:
                return self.exact[key], EXACT, key
        parts = [p for c in candidates for p in re.split(r"[/／|]", c) if p.strip()]
        for cand in [*candidates, *(parts if len(parts) > 1 else [])]:
            key = _loose(cand)
            if key in self.loose:
                return self.loose[key], NORMALISED, key
        for cand in candidates:
            key = _loose(cand)
            if len(key) < 5 or not key.isascii():
                continue
            close = difflib.get_close_matches(key, self.fuzzy_names, n=1, cutoff=FUZZY_CUTOFF)
            # categoryID is not a misspelt category: an extension of a name is another column.
            if close and not (key.startswith(close[0]) or close[0].startswith(key)):
                return self.loose[close[0]], FUZZY, close[0]
        return None

    def is_generic(self, field_name: str, alias: str, strength: str) -> bool:
        if strength == EXACT:
            return (field_name, alias) in self.generic
        if strength == NORMALISED:
            return (field_name, alias) in self.generic_loose
        return True


@lru_cache(maxsize=4096)
def _loose(text: str) -> str:
    return loose_header_key(text)


_INDEXES: dict[int, tuple[EntitySchema, _Index]] = {}


def _index(schema: EntitySchema) -> _Index:
    hit = _INDEXES.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = (schema, _Index(schema))
        _INDEXES[id(schema)] = hit
    return hit[1]


def entity_from_sheet_name(sheet: str | None, config: Config) -> str | None:
    """The entity whose accepted sheet names include `sheet` (after normalisation)."""
    if not sheet:
        return None
    wanted = normalise_header(sheet)
    for schema in config.schemas.values():
        if wanted in {normalise_header(n) for n in schema.sheet_names}:
            return schema.name
    return None


def entity_hints(path: Path | str, sheet: str | None, config: Config) -> dict[str, int]:
    """Entities that the file or sheet name suggests (vendor_template.xls -> supplier): entity -> weight."""
    hints: dict[str, int] = {}
    for raw in (Path(path).stem, sheet or ""):
        text = loose_header_key(raw)
        if not text:
            continue
        for schema in config.schemas.values():
            for name in schema.sheet_names:
                key = loose_header_key(name)
                if len(key) >= 2 and key in text:
                    hints[schema.name] = max(hints.get(schema.name, 0), len(key))
    return hints


def _match_cells(cells: Mapping[int, str], schema: EntitySchema, overrides: Mapping[str, str | None] | None = None
                 ) -> HeaderMatch | None:
    index = _index(schema)
    fields: dict[str, int] = {}
    headers: dict[str, str] = {}
    matches: dict[str, ColumnMatch] = {}
    unknown: list[tuple[int, str]] = []
    duplicates: list[tuple[int, str, int]] = []
    for col, value in cells.items():
        header = str(value).strip()
        if not header:
            continue
        found: tuple[str, str, str] | None
        if overrides is not None and header in overrides:
            wanted = overrides[header]
            if not wanted:
                continue  # a person said: not a dq field
            found = (wanted, MAPPED, header)
        else:
            found = index.match(header)
        if found is None:
            unknown.append((col, header))
            continue
        name, strength, alias = found
        loose = strength != MAPPED and index.is_generic(name, alias, strength)
        if name in fields:
            earlier = matches[name]
            if earlier.loose and not loose and strength == EXACT:
                # 业务负责人 after 主管: the specific name wins, the generic column is left unread.
                unknown.append((earlier.column, earlier.header))
            else:
                duplicates.append((col, header, fields[name]))
                continue
        fields[name] = col
        headers[name] = header
        matches[name] = ColumnMatch(col, header, name, strength, alias, loose)
    if not fields:
        return None
    # The key column weighs double: shared fields (names, phones, status) must not decide alone;
    # generic names weigh little.
    score = sum(1 if not m.loose else 0 for m in matches.values()) * 2 + len(fields)
    score += 4 if schema.key in fields and not matches[schema.key].loose else 0
    return HeaderMatch(schema.name, 0, fields, headers, tuple(unknown), score, tuple(duplicates), matches)


MAX_HEADER_CELLS = 1000  # a header row wider than this is read up to here


def _row_cells(peek: pd.DataFrame, row: int) -> dict[int, str]:
    cells = peek.loc[row].dropna()
    out = {int(c): str(v) for c, v in cells.items() if isinstance(v, str) and v.strip()}  # type: ignore[arg-type]
    return dict(list(out.items())[:MAX_HEADER_CELLS])


def _two_level(upper: dict[int, str], lower: dict[int, str]) -> dict[int, str]:
    """A header over two rows read as one: the lower cell, else the group title or merged name above."""
    out = dict(upper)
    out.update(lower)
    return dict(sorted(out.items()))


def find_header(peek: pd.DataFrame, config: Config, sheet_entity: str | None, hints: Mapping[str, int] | None = None,
                overrides: Mapping[str, str | None] | None = None, header_row: int | None = None) -> HeaderMatch | None:
    """The best header row among the first rows of `peek`; None when nothing looks like a header.

    A two-level header (group titles merged across the row above, field names merged down over
    both rows) is read as one header row when that recognises more fields than either row alone.
    """
    best: HeaderMatch | None = None
    hints = hints or {}
    candidates = [config.schemas[sheet_entity]] if sheet_entity else list(config.schemas.values())
    rows = [int(r) for r in peek.index]  # at most 20 rows: header search, not a rule
    if header_row is not None:
        rows = [r for r in rows if r in (header_row - 1, header_row)]
    cells_by_row = {r: _row_cells(peek, r) for r in rows}
    for i, row in enumerate(rows):
        options = [(row, cells_by_row[row])]
        if i + 1 < len(rows) and cells_by_row[rows[i + 1]]:
            options.append((rows[i + 1], _two_level(cells_by_row[row], cells_by_row[rows[i + 1]])))
        for last_row, cells in options:
            if header_row is not None and last_row != header_row:
                continue
            if not cells:
                continue
            for schema in candidates:
                match = _match_cells(cells, schema, overrides)
                if match is None:
                    continue
                firm = [m for m in match.matches.values() if not m.loose]
                enough = len(match.fields) >= min(2, len(schema.fields)) and (firm or schema.key in match.fields)
                if not enough and not (overrides is not None and header_row is not None):
                    continue
                score = match.score
                if schema.name in hints:
                    score += 6 if hints[schema.name] == max(hints.values()) else 3
                # A two-level header must recognise more than its lower row alone.
                if last_row != row:
                    score -= 1
                if best is None or score > best.score:
                    best = dataclasses.replace(match, row=last_row, first_row=row, score=score)
    return best
