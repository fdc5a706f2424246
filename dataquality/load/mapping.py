"""A mapping file: a company's export layout set once (`dq map FILE -o mapping.yaml`, edited by a person).

    sheets:
      - file: goods_export*.xlsx     # file name, shell wildcards allowed
        sheet: 商品信息               # optional: every sheet when absent
        entity: product              # optional: detected when absent
        header_row: 2                # optional: detected when absent
        columns:                     # header as written -> field; null = not a dq field
          名称*: product_name
          类别: null

Columns not listed are matched as usual.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataquality.config import Config, _fail, _read_yaml, normalise_header
from dataquality.load.columns import PART, base_field

_SHEET_KEYS = {"file", "sheet", "entity", "header_row", "columns", "headers"}
LAYOUT_SHARE = 0.8  # a sheet has a mapping's layout when its header row holds this share of its headers


@dataclass(frozen=True)
class SheetMapping:
    """How one sheet (or every sheet) of matching files maps to an entity's fields."""

    file: str
    sheet: str | None = None
    entity: str | None = None
    header_row: int | None = None
    columns: Mapping[str, str | None] = field(default_factory=dict)
    source: str = ""  # the mapping file it was read from (named when it matches no input)
    # The layout: the header cells the mapping was made from. With them, a sheet matches only when
    # its header row holds them (a mapping for file '*' then follows the layout, whatever the name).
    headers: tuple[str, ...] = ()

    def matches(self, path: Path, sheet: str | None, grid: Any = None) -> bool:
        if not fnmatch.fnmatch(path.name, self.file) and not fnmatch.fnmatch(str(path), self.file):
            return False
        if self.sheet is not None and normalise_header(self.sheet) != normalise_header(sheet or "-"):
            return False
        return not self.headers or grid is None or self.has_layout(grid)

    def has_layout(self, grid: Any) -> bool:
        """Whether the sheet's header row (`header_row`, else any of the first rows) holds the layout."""
        wanted = {normalise_header(h) for h in self.headers}
        rows = [self.header_row] if self.header_row is not None else list(grid.index[:20])
        for row in rows:
            if row not in grid.index:
                continue
            cells = {normalise_header(v) for v in grid.loc[row].dropna().tolist() if isinstance(v, str)}
            if len(wanted & cells) >= LAYOUT_SHARE * len(wanted):
                return True
        return False


@dataclass(frozen=True)
class Mappings:
    """Every sheet mapping of one or more mapping files; the first that matches a sheet wins."""

    sheets: tuple[SheetMapping, ...] = ()

    def for_sheet(self, path: Path, sheet: str | None, grid: Any = None) -> SheetMapping | None:
        """The first mapping for this file and sheet (and, given the sheet's cells, its layout)."""
        return next((m for m in self.sheets if m.matches(path, sheet, grid)), None)

    def __bool__(self) -> bool:
        return bool(self.sheets)

    def unmatched(self, inputs: Sequence[Path]) -> list[SheetMapping]:
        """The sheet mappings whose file pattern matches none of `inputs` (a layout that silently
        stopped applying: next month's file named differently)."""
        return [m for m in self.sheets if not any(fnmatch.fnmatch(Path(p).name, m.file) or fnmatch.fnmatch(str(p), m.file)
                                                  for p in inputs)]


# A date or period in a file name: 2024-03-05, 20240305, 2024_03, 202403, 2024年3月, 3月, Q1, and
# any run of four digits or more (a timestamp, a batch number).
_PERIOD = re.compile(r"\d{8,}|\d{4}[-_.]?\d{1,2}(?:[-_.]?\d{1,2})?(?:[-_ T]?\d{2}[-_:.]?\d{2}(?:[-_:.]?\d{2})?)?|\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?"
                     r"|\d{1,2}月(?:份)?|[Qq][1-4]|\d{4,}")


def file_pattern(name: str) -> str:
    """The file name as a pattern for the same layout in later exports: its date or period
    generalised (goods_2024-03.xlsx -> goods_*.xlsx, 客户资料2024年3月.xlsx -> 客户资料*.xlsx)."""
    pattern = _PERIOD.sub("*", name)
    return re.sub(r"\*(?:[-_. ]*\*)+", "*", pattern)


def read_mappings(paths: list[Path] | tuple[Path, ...], config: Config) -> Mappings:
    """Read mapping files; a ConfigError naming file and key when one is wrong."""
    sheets: list[SheetMapping] = []
    for path in paths:
        data = _read_yaml(Path(path))
        raw_sheets = data.get("sheets") if isinstance(data, Mapping) else None
        if not isinstance(raw_sheets, list):
            raise _fail(Path(path), "sheets", "mapping_sheets")
        for i, raw in enumerate(raw_sheets):
            sheets.append(_sheet(Path(path), f"sheets[{i}]", raw, config))
    return Mappings(tuple(sheets))


def _sheet(path: Path, key: str, raw: Any, config: Config) -> SheetMapping:
    if not isinstance(raw, Mapping) or "file" not in raw:
        raise _fail(path, key, "mapping_sheet")
    unknown = set(raw) - _SHEET_KEYS
    if unknown:
        raise _fail(path, f"{key}.{sorted(unknown)[0]}", "unknown_setting", allowed=", ".join(sorted(_SHEET_KEYS)))
    entity = raw.get("entity")
    if entity is not None and entity not in config.schemas:
        raise _fail(path, f"{key}.entity", "unknown_entity", name=entity, allowed=", ".join(config.schemas))
    header_row = raw.get("header_row")
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1):
        raise _fail(path, f"{key}.header_row", "positive_integer")
    out = _columns(path, key, raw.get("columns") or {}, entity, config)
    headers = raw.get("headers") or []
    if not isinstance(headers, list):
        raise _fail(path, f"{key}.headers", "list")
    return SheetMapping(str(raw["file"]), None if raw.get("sheet") is None else str(raw["sheet"]), entity, header_row, out,
                        str(path), tuple(str(h) for h in headers))


def _columns(path: Path, key: str, columns: Any, entity: str | None, config: Config) -> dict[str, str | None]:
    """A sheet mapping's `columns`: header -> the field it holds (None: not a dq field)."""
    if not isinstance(columns, Mapping):
        raise _fail(path, f"{key}.columns", "mapping_columns")
    out: dict[str, str | None] = {}
    schemas = list(config.schemas.values()) if entity is None else [config.schemas[entity]]
    allowed = {n for s in schemas for n in s.fields}
    # A field written in parts takes its parts in order: contact@1, contact@2.
    allowed |= {f"{n}{PART}{i}" for s in schemas for n, f in s.fields.items() if f.parts for i in range(1, len(f.parts) + 1)}
    for header, name in columns.items():
        if name is not None and str(name) not in allowed:
            raise _fail(path, f"{key}.columns.{header}", "must_name_field", fields=", ".join(sorted(allowed)), name=name)
        out[str(header).strip()] = None if name is None else str(name)
    return out


def mapping_yaml(entries: list[dict[str, Any]]) -> str:
    """The text of a mapping file for `entries` (one per sheet), with a comment on each column."""
    import yaml

    lines = [
        "# dq mapping file: how each sheet of these exports maps to dq's fields.",
        "# Edit a field name (null = not a dq field), then: dq validate FILE --mapping THIS_FILE",
        "sheets:",
    ]
    for entry in entries:
        lines.append(f"  - file: {_scalar(entry['file'])}")
        if entry.get("sheet") is not None:
            lines.append(f"    sheet: {_scalar(entry['sheet'])}")
        lines.append(f"    entity: {entry['entity']}")
        lines.append(f"    header_row: {entry['header_row']}")
        if entry.get("layout"):  # matched by its header cells, whatever the file is called
            lines.append("    headers: [" + ", ".join(_scalar(c["header"]) for c in entry["columns"]) + "]")
        lines.append("    columns:")
        for col in entry["columns"]:
            note = f"  # {col['letter']}: {col['note']}" if col.get("note") else f"  # {col['letter']}"
            # A second phone column is written as phone (read back as the second one), parts as contact@1.
            value = "null" if col["field"] is None else base_field(col["field"])
            lines.append(f"      {_scalar(col['header'])}: {value}{note}")
    text = "\n".join(lines) + "\n"
    yaml.safe_load(text)  # what we write must read back
    return text


def _scalar(value: Any) -> str:
    import json

    return json.dumps(str(value), ensure_ascii=False)


def suggestions(header: str, schema: Any, limit: int = 2) -> list[str]:
    """Fields whose names look like `header` (for an unmapped column): the closest first."""
    import difflib

    from dataquality.config import loose_header_key

    key = loose_header_key(header)
    if not key:
        return []
    names: dict[str, str] = {}
    for f in schema.fields.values():
        for n in (*f.header_names, f.name):
            names.setdefault(loose_header_key(n), f.name)
    scored = []
    for n, fname in names.items():
        if not n:
            continue
        ratio = difflib.SequenceMatcher(None, key, n).ratio()
        if n in key or key in n:
            ratio = max(ratio, 0.7)
        if ratio >= 0.6:
            scored.append((ratio, fname))
    out: list[str] = []
    for _, fname in sorted(scored, reverse=True):
        if fname not in out:
            out.append(fname)
    return out[:limit]


def sheet_entries(tables: list[Any], config: Config, lang: str = "en") -> list[dict[str, Any]]:
    """What `dq map` shows and writes for each loaded table: every header cell, its field and the
    evidence that decided it (or, for a column read as nothing, why and what it might be)."""
    from dataquality.i18n import text
    from dataquality.issue import column_letter
    from dataquality.load.cells import col_index

    entries = []
    for t in tables:
        schema = config.schemas[t.entity]
        by_col: dict[int, dict[str, Any]] = {}
        unfit = {f.column: f for f in t.findings if f.rule == "FIL007"}
        for m in t.matches:
            by_col[m.column] = {"letter": column_letter(m.column), "header": m.header, "field": m.field,
                                "strength": m.strength, "note": m.evidence.get(lang) or m.strength}
            for n, col in enumerate(m.parts, start=1):  # a field written in parts: contact@1, contact@2
                part = m.header.split(" + ")[n - 1]
                by_col[col] = {"letter": column_letter(col), "header": part, "field": f"{m.field}{PART}{n}",
                               "strength": "parts", "note": text("load.evidence.part_of", lang, field=m.field)}
        duplicates = {c: first for c, _, first in t.duplicate_columns}
        for letter, header in (*t.unknown_columns, *((c, h) for c, h, _ in t.duplicate_columns)):
            col = col_index(letter)
            if col in by_col:
                continue
            hint = suggestions(header, schema)
            if letter in unfit:
                f = unfit[letter]
                note = text("load.evidence.unfit", lang, field=f.field, examples=f.params.get("examples", ""))
            elif letter in duplicates:
                note = text("load.evidence.duplicate", lang, column=duplicates[letter])
            elif hint:
                note = text("load.evidence.maybe", lang, fields=" / ".join(hint))
            else:
                note = text("load.evidence.unknown", lang)
            by_col[col] = {"letter": letter, "header": header, "field": None, "strength": "", "note": note,
                           "suggestions": hint}
        entries.append({
            "file": t.path.name, "sheet": t.sheet, "entity": t.entity, "header_row": t.header_row,
            "records": len(t), "columns": [by_col[c] for c in sorted(by_col)],
            "missing": [f for f in schema.required_fields if f not in {m.field for m in t.matches}],
        })
    return entries
