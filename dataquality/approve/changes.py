"""The change set between the last approved master (baseline) and an incoming file, per entity key.

Values are compared after normalisation, so 1000 and "1,000.00", or a name typed with a
full-width space, are not changes. Everything is computed column-wise with pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataquality.approve.tiers import ApprovalPolicy
from dataquality.checks.values import (
    FieldValues,
    TableValues,
    compare_text,
    format_number,
    text_list,
)
from dataquality.config import Config, EntitySchema
from dataquality.load import Table
from dataquality.load.limits import Limits
from dataquality.load.table import TEXT

RECORD = "*"  # the field of a whole-record change (a creation or a deletion)
KINDS = ("change", "create", "delete")


@dataclass(frozen=True)
class Change:
    """One changed field (or a created/deleted record, field `*`) with its tier and requester."""

    entity: str
    key: str
    field: str
    kind: str
    old: str | None
    new: str | None
    old_norm: str
    new_norm: str
    tier: int
    requested_by: str | None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    baseline_row: int | None = None
    record_name: str | None = None  # the record's name as written (schema name_field), shown beside its key

    @classmethod
    def of(cls, values: tuple[Any, ...]) -> Change:
        """A Change from its field values in declaration order, already of their types (the
        change set makes tens of thousands: a frozen dataclass's __init__ sets each field
        through object.__setattr__; this sets them at once, as __init__ would)."""
        change = object.__new__(cls)
        change.__dict__.update(zip(_CHANGE_FIELDS, values, strict=True))
        return change

    @property
    def ident(self) -> tuple[str, str, str]:
        """What a change request is about: entity, key, field."""
        return (self.entity, self.key, self.field)


_CHANGE_FIELDS = tuple(f.name for f in fields(Change))


def _text_norm(s: pd.Series) -> pd.Series:
    """Text compared as a person reads it (values.compare_text: NFKC, whitespace runs as one space, trimmed)."""
    return compare_text(s)


def comparable(v: FieldValues) -> tuple[pd.Series, pd.Series]:
    """(comparison text, number) of a column: '' for empty; numbers, enums, dates and references canonical."""
    spec = v.spec
    text = _text_norm(v.clean.fillna(""))
    number = pd.Series(float("nan"), index=v.raw.index, dtype="float64")
    if spec.is_numeric:
        number = v.number
        text = format_number(number).fillna(text)
    elif spec.type == "enum":
        text = v.canonical.fillna(text)
    elif spec.type == "date":
        text = v.date.dt.strftime("%Y-%m-%d").fillna(text)
    elif spec.reference:
        text = v.referenced.fillna(text)
    return text.fillna("").astype("str"), number


@dataclass
class _Records:
    """One version of an entity, one row per record key (the first record per key counts): where
    each record is and its raw cells. Comparison text is worked out only for the records asked
    (`comparable_at`): a cell written the same in both versions compares the same."""

    frame: pd.DataFrame  # positional: _key, _file, _sheet, _row, raw:<field>, col:<field>
    fields: list[str]  # the compared fields the sheets have, in schema order
    schema: EntitySchema
    references: dict[str, Any]

    def __len__(self) -> int:
        return len(self.frame)

    def at(self, column: str, rows: np.ndarray) -> np.ndarray:
        """Column `column` at the positions `rows`, as plain values (None where missing)."""
        return self.frame[column].take(rows).to_numpy(dtype=object, na_value=None)

    def comparable_at(self, name: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(comparison text, number) of field `name` at the positions `rows`."""
        raw = self.frame[f"raw:{name}"].take(rows)
        text, number = comparable(FieldValues(self.schema.fields[name], raw, self.references))
        return text.to_numpy(dtype=object), number.to_numpy(dtype="float64")

    def names_at(self, rows: np.ndarray) -> np.ndarray:
        """The records' names (the schema's name field as written) at `rows`; None where there is none."""
        name = self.schema.record_name_field
        if name is None or f"raw:{name}" not in self.frame.columns:
            return np.full(len(rows), None, dtype=object)
        return self.at(f"raw:{name}", rows)

    def requesters_at(self, field: str, rows: np.ndarray, default: str | None) -> np.ndarray:
        """Who asked for the records at `rows`: their `field` (the requester column), else `default`."""
        if f"raw:{field}" not in self.frame.columns:
            return np.full(len(rows), default, dtype=object)
        raw = self.frame[f"raw:{field}"].take(rows)
        named = _text_norm(FieldValues(self.schema.fields[field], raw, self.references).clean).to_numpy(dtype=object, na_value=None)
        named[(named == None) | (named == "")] = default  # noqa: E711 (elementwise)
        return named


def _records(tables: Sequence[Table], schema: EntitySchema, config: Config, skip: str) -> _Records:
    """The records of one version: key, where each is, and per field its raw cell and column letter
    (the requester field `skip` is kept raw, not compared)."""
    parts = []
    seen: list[str] = []
    taken: set[str] = set()
    for t in tables:
        keys = TableValues(t, schema, config).keys
        # A missing or repeated key is reported by the ordinary rules; the first record per key counts here.
        keep = (keys.notna() & ~keys.duplicated(keep="first") & ~keys.isin(taken)).to_numpy(dtype=bool)
        if not keep.all():
            t = replace(t, data=t.data[keep])
            keys = keys[keep]
        if len(tables) > 1:  # a key in an earlier sheet counts there
            taken.update(keys.tolist())
        n, index = len(keys), t.data.index
        cols: dict[str, Any] = {
            "_key": keys,
            "_file": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [t.file]),
            "_sheet": pd.Series(t.sheet, index=index, dtype="object"),
            "_row": pd.Series(index, index=index),
        }
        for name in schema.fields:
            if name not in t.data.columns:
                continue
            cols[f"raw:{name}"] = t.data[name]
            if name == skip:
                continue
            if name not in seen:
                seen.append(name)
            letter = t.columns.get(name)
            cols[f"col:{name}"] = (pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [letter]) if letter is not None
                                   else pd.Series(None, index=index, dtype="object"))
        parts.append(pd.DataFrame(cols, index=index))
    if not parts:
        frame = pd.DataFrame({"_key": pd.Series(dtype=TEXT), "_file": pd.Series(dtype=object),
                              "_sheet": pd.Series(dtype=object), "_row": pd.Series(dtype="int64")})
    else:
        frame = parts[0].reset_index(drop=True) if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return _Records(frame, seen, schema, dict(config.references))


def _positions(keys: pd.Series, among: pd.Series) -> np.ndarray:
    """Where each of `keys` is in `among` (keys unique there), -1 where it is not (one Arrow hash join)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def arrow(s: pd.Series) -> Any:
        return pa.array(s.astype(TEXT).array, type=pa.large_string())

    found = pc.index_in(arrow(keys), value_set=arrow(among))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _written_differently(new: pd.Series, old: pd.Series) -> np.ndarray:
    """Where two aligned raw columns are not written the same (two empty cells are)."""
    new, old = new.astype(TEXT).reset_index(drop=True), old.astype(TEXT).reset_index(drop=True)
    same = (new == old).fillna(False).to_numpy(dtype=bool) | (new.isna() & old.isna()).to_numpy(dtype=bool)
    return ~same


def _changes_of_entity(
    schema: EntitySchema, incoming: Sequence[Table], baseline: Sequence[Table], config: Config,
    policy: ApprovalPolicy, requested_by: str | None,
) -> list[pd.DataFrame]:
    skip = policy.requester_field
    inc = _records(incoming, schema, config, skip)
    base = _records(baseline, schema, config, skip)
    in_base = _positions(inc.frame["_key"], base.frame["_key"])
    inc_both = np.flatnonzero(in_base >= 0)
    base_both = in_base[inc_both]
    created = np.flatnonzero(in_base < 0)
    still_there = np.zeros(len(base), dtype=bool)
    still_there[base_both] = True
    deleted = np.flatnonzero(~still_there)
    sensitive = set(policy.sensitive(schema.name))
    out: list[pd.DataFrame] = []

    def emit(rows: np.ndarray, name: str, kind: str, new: tuple[np.ndarray, np.ndarray],
             old: tuple[np.ndarray, np.ndarray, np.ndarray], base_rows: np.ndarray | None) -> None:
        """The changes of field `name` at the incoming records `rows`: `new` is (comparison text,
        number) there, `old` (raw, comparison text, number) in the baseline, at `base_rows`."""
        if not len(rows):
            return
        old_raw, old_cmp, old_num = old
        out.append(pd.DataFrame({
            "entity": schema.name, "key": inc.at("_key", rows), "field": name, "kind": kind,
            "old": old_raw, "new": inc.at(f"raw:{name}", rows), "old_norm": old_cmp, "new_norm": new[0],
            "tier": policy.tiers(schema.name, name, pd.Series(old_num), pd.Series(new[1])).to_numpy(),
            "requested_by": inc.requesters_at(skip, rows, requested_by), "file": inc.at("_file", rows),
            "sheet": inc.at("_sheet", rows), "row": inc.at("_row", rows), "column": inc.at(f"col:{name}", rows),
            "baseline_row": None if base_rows is None else base.at("_row", base_rows),
            "record_name": inc.names_at(rows),
        }))

    def from_empty(rows: np.ndarray, name: str, kind: str) -> None:
        """Each valued cell of `name` at `rows` as a change from empty (from 0 for numbers)."""
        text, number = inc.comparable_at(name, rows)
        valued = text != ""
        n = int(valued.sum())
        zero = 0.0 if schema.fields[name].is_numeric else float("nan")
        emit(rows[valued], name, kind, (text[valued], number[valued]),
             (np.full(n, None, dtype=object), np.full(n, "", dtype=object), np.full(n, zero)), None)

    for name in (f for f in inc.fields if f != schema.key):
        if name not in base.fields:
            from_empty(inc_both, name, "change")  # a column the baseline lacks
            continue
        # Only cells written differently can compare differently: the rest are skipped unread.
        maybe = _written_differently(inc.frame[f"raw:{name}"].take(inc_both), base.frame[f"raw:{name}"].take(base_both))
        rows, base_rows = inc_both[maybe], base_both[maybe]
        new_cmp, new_num = inc.comparable_at(name, rows)
        old_cmp, old_num = base.comparable_at(name, base_rows)
        differs = np.asarray(new_cmp != old_cmp, dtype=bool)
        emit(rows[differs], name, "change", (new_cmp[differs], new_num[differs]),
             (base.at(f"raw:{name}", base_rows[differs]), old_cmp[differs], old_num[differs]), base_rows[differs])
    if len(created):
        # The record itself (tier 0), then each valued sensitive field as a change from empty (0 for numbers).
        out.append(pd.DataFrame({
            "entity": schema.name, "key": inc.at("_key", created), "field": RECORD, "kind": "create", "old": None,
            "new": None, "old_norm": "", "new_norm": "", "tier": 0,
            "requested_by": inc.requesters_at(skip, created, requested_by), "file": inc.at("_file", created),
            "sheet": inc.at("_sheet", created), "row": inc.at("_row", created), "column": None, "baseline_row": None,
            "record_name": inc.names_at(created),
        }))
        for name in (f for f in inc.fields if f in sensitive):
            from_empty(created, name, "create")
    if len(deleted):
        out.append(pd.DataFrame({
            "entity": schema.name, "key": base.at("_key", deleted), "field": RECORD, "kind": "delete", "old": None,
            "new": None, "old_norm": "", "new_norm": "", "tier": policy.deleted_record_tier, "requested_by": None,
            # A deleted record has no cell: its issue points at the incoming sheet that lacks it.
            "file": incoming[0].file if incoming else None, "sheet": incoming[0].sheet if incoming else None,
            "row": None, "column": None, "baseline_row": base.at("_row", deleted), "record_name": base.names_at(deleted),
        }))
    return out


def compute_changes(
    incoming: Sequence[Table], baseline: Sequence[Table], config: Config, policy: ApprovalPolicy,
    requested_by: str | None = None,
) -> list[Change]:
    """Every change from `baseline` to `incoming`, per entity present in the incoming tables."""
    frames: list[pd.DataFrame] = []
    for entity in dict.fromkeys(t.entity for t in incoming):
        schema = config.schemas[entity]
        frames.extend(_changes_of_entity(
            schema, [t for t in incoming if t.entity == entity], [t for t in baseline if t.entity == entity],
            config, policy, requested_by,
        ))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return []
    allc = pd.concat(frames, ignore_index=True)
    order = {k: i for i, k in enumerate(KINDS)}
    allc = allc.assign(_k=allc["kind"].map(order)).sort_values(["entity", "_k", "key", "field"], kind="stable")
    # Column by column into plain Python values (DataFrame.to_dict("records") walks every cell).
    text = {c: text_list(allc[c]) for c in ("entity", "key", "field", "kind", "old", "new", "requested_by", "file", "sheet", "column",
                                            "record_name")}
    norm = {c: [t or "" for t in text_list(allc[c])] for c in ("old_norm", "new_norm")}
    ints = {c: _ints(allc[c]) for c in ("tier", "row", "baseline_row")}
    columns = [[str(v) for v in text["entity"]], [str(v) for v in text["key"]], [str(v) for v in text["field"]],
               [str(v) for v in text["kind"]], text["old"], text["new"], norm["old_norm"], norm["new_norm"],
               [int(t or 0) for t in ints["tier"]], text["requested_by"], text["file"], text["sheet"], ints["row"],
               text["column"], ints["baseline_row"], [(n or "").strip() or None for n in text["record_name"]]]
    return [Change.of(values) for values in zip(*columns, strict=True)]


def _ints(values: pd.Series) -> list[int | None]:
    """Each value as an int (int(float(text))), None where missing."""
    numbers = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce").astype("float64")
    missing = numbers.isna().to_numpy(dtype=bool).tolist()
    return [None if m else int(v) for v, m in zip(numbers.to_numpy().tolist(), missing, strict=True)]


def load_change_set(
    incoming: Path, baseline: Path, config: Config, policy: ApprovalPolicy, lang: str = "en",
    requested_by: str | None = None, limits: Limits | None = None,
) -> tuple[list[Change], list[Table], list[Table]]:
    """Load both files (within `limits`, default DQ_MAX_*) and compute their change set; also returns
    the loaded tables."""
    from dataquality.load import load_file
    from dataquality.load.source import WorkbookSource

    inc = load_file(WorkbookSource(incoming, limits), config, lang)
    base = load_file(WorkbookSource(baseline, limits), config, lang)
    check_same_entities(inc, base, baseline, config, lang)
    return compute_changes(inc, base, config, policy, requested_by), inc, base


def check_same_entities(incoming: Sequence[Table], baseline: Sequence[Table], path: Path, config: Config, lang: str) -> None:
    """A baseline that holds none of the incoming entities (products given for customers) is a mistake:
    every record would read as created and every old one as deleted."""
    from dataquality.errors import InputError

    wanted = {t.entity for t in incoming}
    have = {t.entity for t in baseline}
    if wanted and not wanted & have:
        label = lambda names: "、".join(config.schemas[e].label(lang) for e in sorted(names))  # noqa: E731
        raise InputError("baseline.wrong_entity", file=str(path), has=label(have), wanted=label(wanted))
