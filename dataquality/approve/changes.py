"""The change set between the last approved master (baseline) and an incoming file, per entity key.

Values are compared after normalisation, so 1000 and "1,000.00", or a name typed with a
full-width space, are not changes. Everything is computed column-wise with pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
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

    @property
    def ident(self) -> tuple[str, str, str]:
        """What a change request is about: entity, key, field."""
        return (self.entity, self.key, self.field)


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


def _frame(tables: Sequence[Table], schema: EntitySchema, config: Config, skip: str) -> tuple[pd.DataFrame, list[str]]:
    """One row per record: key, where it is, and per field its raw text, comparison text and number."""
    parts = []
    seen: list[str] = []
    taken: set[str] = set()
    for t in tables:
        tv = TableValues(t, schema, config)
        # A missing or repeated key is reported by the ordinary rules; the first record per key
        # counts here. Rows that do not count are dropped from the sheet's own columns before
        # anything is derived from them (fewer columns to select than in the frame built below).
        keys = tv.keys
        keep = (keys.notna() & ~keys.duplicated(keep="first") & ~keys.isin(taken)).to_numpy(dtype=bool)
        if not keep.all():
            t = replace(t, data=t.data[keep])
            tv = TableValues(t, schema, config)
        if len(tables) > 1:  # a key in an earlier sheet counts there
            taken.update(tv.keys.dropna().tolist())
        n = len(tv.index)
        cols: dict[str, Any] = {
            "_key": tv.keys,
            "_file": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [t.file]),
            "_sheet": pd.Series(t.sheet, index=tv.index, dtype="object"),
            "_row": pd.Series(tv.index, index=tv.index),
        }
        for name in schema.fields:
            if not tv.has(name) or name == skip:
                continue
            if name not in seen:
                seen.append(name)
            text, number = comparable(tv[name])
            cols[f"raw:{name}"] = tv[name].raw
            cols[f"cmp:{name}"] = text
            cols[f"num:{name}"] = number
            letter = t.columns.get(name)
            cols[f"col:{name}"] = (pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [letter]) if letter is not None
                                   else pd.Series(None, index=tv.index, dtype="object"))
        if tv.has(skip):
            cols["_requester"] = _text_norm(tv[skip].clean).mask(lambda s: s == "")
        parts.append(pd.DataFrame(cols, index=tv.index))
    if not parts:
        return pd.DataFrame(columns=["_key", "_file", "_sheet", "_row"]), seen
    frame = parts[0].reset_index(drop=True) if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return frame.set_index("_key"), seen


def _requester(frame: pd.DataFrame, default: str | None) -> pd.Series:
    if "_requester" in frame.columns:
        return frame["_requester"].astype("object").where(frame["_requester"].notna(), default)
    return pd.Series(default, index=frame.index, dtype="object")


def _changes_of_entity(
    schema: EntitySchema, incoming: Sequence[Table], baseline: Sequence[Table], config: Config,
    policy: ApprovalPolicy, requested_by: str | None,
) -> list[pd.DataFrame]:
    skip = policy.requester_field
    # The two versions are independent and mostly pyarrow's work (no GIL): built side by side.
    with ThreadPoolExecutor(2, thread_name_prefix="dq-changes") as pool:
        inc_built = pool.submit(_frame, incoming, schema, config, skip)
        base, base_fields = _frame(baseline, schema, config, skip)
        inc, inc_fields = inc_built.result()
    requester = _requester(inc, requested_by)
    both = inc.index.intersection(base.index)
    created = inc.index.difference(base.index)
    deleted = base.index.difference(inc.index)
    sensitive = set(policy.sensitive(schema.name))
    out: list[pd.DataFrame] = []

    def emit(keys: pd.Index, name: str, kind: str, old_raw, old_cmp, old_num) -> None:  # type: ignore[no-untyped-def]
        if keys.empty:
            return
        i = inc.loc[keys]
        new_num = i[f"num:{name}"]
        out.append(pd.DataFrame({
            "entity": schema.name, "key": keys, "field": name, "kind": kind,
            "old": old_raw, "new": i[f"raw:{name}"].to_numpy(), "old_norm": old_cmp, "new_norm": i[f"cmp:{name}"].to_numpy(),
            "tier": policy.tiers(schema.name, name, pd.Series(old_num, index=keys), new_num).to_numpy(),
            "requested_by": requester.loc[keys].to_numpy(), "file": i["_file"].to_numpy(), "sheet": i["_sheet"].to_numpy(),
            "row": i["_row"].to_numpy(), "column": i[f"col:{name}"].to_numpy(),
            "baseline_row": base["_row"].reindex(keys).to_numpy(),
        }))

    # The records in both, aligned by position once; each field's comparison column is taken alone
    # (selecting rows of the whole frame would copy every column).
    inc_at, base_at = inc.index.get_indexer(both), base.index.get_indexer(both)

    def aligned(frame: pd.DataFrame, at: np.ndarray, column: str) -> pd.Series:
        col = frame[column]
        return col if len(at) == len(frame) and (at == np.arange(len(at))).all() else col.take(at)

    for name in (f for f in inc_fields if f != schema.key):
        new_cmp = aligned(inc, inc_at, f"cmp:{name}")
        if name not in base_fields:
            # A column the baseline lacks: every value in it is a change from empty (0 for numbers).
            keys = both[(new_cmp != "").to_numpy(dtype=bool)]
            zero = 0.0 if schema.fields[name].is_numeric else float("nan")
            emit(keys, name, "change", None, "", zero)
            continue
        old_cmp = aligned(base, base_at, f"cmp:{name}")
        differs = np.asarray(new_cmp.array != old_cmp.array, dtype=bool)
        if not differs.any():
            continue
        keys = both[differs]
        bk = base.iloc[base_at[differs]]
        emit(keys, name, "change", bk[f"raw:{name}"].to_numpy(), bk[f"cmp:{name}"].to_numpy(), bk[f"num:{name}"].to_numpy())
    if not created.empty:
        # The record itself (tier 0), then each valued sensitive field as a change from empty (0 for numbers).
        c = inc.loc[created]
        out.append(pd.DataFrame({
            "entity": schema.name, "key": created, "field": RECORD, "kind": "create", "old": None, "new": None,
            "old_norm": "", "new_norm": "", "tier": 0, "requested_by": requester.loc[created].to_numpy(),
            "file": c["_file"].to_numpy(), "sheet": c["_sheet"].to_numpy(), "row": c["_row"].to_numpy(), "column": None,
            "baseline_row": None,
        }))
        for name in (f for f in inc_fields if f in sensitive):
            keys = created[(inc.loc[created, f"cmp:{name}"] != "").to_numpy()]
            zero = 0.0 if schema.fields[name].is_numeric else float("nan")
            emit(keys, name, "create", None, "", zero)
    if not deleted.empty:
        d = base.loc[deleted]
        out.append(pd.DataFrame({
            "entity": schema.name, "key": deleted, "field": RECORD, "kind": "delete", "old": None, "new": None,
            "old_norm": "", "new_norm": "", "tier": policy.deleted_record_tier, "requested_by": None,
            # A deleted record has no cell: its issue points at the incoming sheet that lacks it.
            "file": incoming[0].file if incoming else None, "sheet": incoming[0].sheet if incoming else None,
            "row": None, "column": None, "baseline_row": d["_row"].to_numpy(),
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
    text = {c: text_list(allc[c]) for c in ("entity", "key", "field", "kind", "old", "new", "requested_by", "file", "sheet", "column")}
    norm = {c: [t or "" for t in text_list(allc[c])] for c in ("old_norm", "new_norm")}
    ints = {c: _ints(allc[c]) for c in ("tier", "row", "baseline_row")}
    return [
        Change(entity=str(e), key=str(k), field=str(f), kind=str(kd), old=o, new=n, old_norm=on, new_norm=nn,
               tier=int(t or 0), requested_by=rb, file=fl, sheet=sh, row=r, column=col, baseline_row=br)
        for e, k, f, kd, o, n, on, nn, t, rb, fl, sh, r, col, br in zip(
            text["entity"], text["key"], text["field"], text["kind"], text["old"], text["new"], norm["old_norm"],
            norm["new_norm"], ints["tier"], text["requested_by"], text["file"], text["sheet"], ints["row"],
            text["column"], ints["baseline_row"], strict=True)
    ]


def _ints(values: pd.Series) -> list[int | None]:
    """Each value as an int (int(float(text))), None where missing."""
    numbers = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce").astype("float64")
    missing = numbers.isna().to_numpy(dtype=bool).tolist()
    return [None if m else int(v) for v, m in zip(numbers.to_numpy().tolist(), missing, strict=True)]


def load_change_set(
    incoming: Path, baseline: Path, config: Config, policy: ApprovalPolicy, lang: str = "en",
    requested_by: str | None = None,
) -> tuple[list[Change], list[Table], list[Table]]:
    """Load both files and compute their change set; also returns the loaded tables."""
    from dataquality.load import load_file

    inc = load_file(incoming, config, lang)
    base = load_file(baseline, config, lang)
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
