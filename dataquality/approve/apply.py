"""`dq apply`: write the new approved master; what is not approved keeps its baseline value.

Crash consistency, in this order, all inside ONE database transaction:
  1. read the requests (locked), build the master, write it to a temporary file beside --out;
  2. mark the approved requests applied and append the audit rows;
  3. rename the temporary file onto --out; 4. commit.
A crash before 3 leaves the old output and the database untouched. A crash between 3 and 4 leaves
the new output and requests still `approved`: running apply again writes the identical file (the
master is a function of the files and of approved-or-applied requests) and then records it.

What is applied is the last applied master plus approved changes, or nothing (issue 23): the
incoming file and the baseline must be those of a sealed submission, and once a master was applied
the baseline must be that master (or the same pair again, which builds the same master). A baseline
doctored to already hold an unapproved value, or the incoming file given as its own baseline, is
refused; the sha256 of each file is taken from the sealed events, never from an editable row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from dataquality.approve import audit, workflow
from dataquality.approve.changes import RECORD, Change, load_change_set
from dataquality.approve.db import requests, submissions
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.checks.values import parse_date, parse_number
from dataquality.config import Config
from dataquality.errors import DQError
from dataquality.fileio import atomic_path
from dataquality.i18n import text
from dataquality.load import Table
from dataquality.load.limits import Limits
from dataquality.load.table import TEXT
from dataquality.store import Store
from dataquality.xlsx import column_index, put

DONE = ("approved", "applied")
CRASH_ENV = "DQ_CRASH_POINT"  # fault injection for the crash-consistency tests: after_write | after_rename


class ApplyError(DQError):
    """The master cannot be written from the files and requests given."""


class ChainError(ApplyError):
    """The audit chain does not verify: nothing is applied (exit 1, like any finding of tampering)."""

    exit_code = 1


@dataclass(frozen=True)
class HeldBack:
    """A change kept out of the master, and why."""

    change: Change
    status: str
    missing: tuple[str, ...]
    request_id: int | None
    rejected_by: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ApplyResult:
    """What `apply` wrote and recorded."""

    out: Path
    records: dict[str, int]
    applied: tuple[int, ...]
    held: tuple[HeldBack, ...]
    sha256: str


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def latest_submission(store: Store, submission_id: int | None = None) -> dict[str, Any]:
    """The submission to apply (the newest unless an id is given), its files unchanged since."""
    with store.transaction() as conn:
        q = select(submissions).order_by(submissions.c.id.desc())
        if submission_id is not None:
            q = select(submissions).where(submissions.c.id == submission_id)
        row = conn.execute(q).first()
    if row is None:
        raise ApplyError("apply.no_submission" if submission_id is None else "apply.unknown_submission", id=submission_id)
    sub = dict(row._mapping)
    for which in ("incoming", "baseline"):
        path = Path(sub[f"{which}_path"])
        if not path.is_file():
            raise ApplyError("apply.file_missing", file=str(path))
        if sha256_of(path) != sub[f"{which}_sha256"]:
            raise ApplyError("apply.file_changed", file=str(path), id=sub["id"])
    return sub


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(70)


def _records(tables: Sequence[Table], config: Config, skip: str) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Raw text by key (first record per key), the fields in sheet order, and their headers."""
    from dataquality.checks.values import TableValues

    parts, fields, headers = [], [], {}
    for t in tables:
        keys = TableValues(t, config.schemas[t.entity], config).keys
        frame = t.data.drop(columns=[skip], errors="ignore").assign(_key=keys.to_numpy())
        parts.append(frame)
        for f in frame.columns:
            if f != "_key" and f not in fields:
                fields.append(f)
                headers[f] = t.headers.get(f, f)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["_key"])
    frame = frame[frame["_key"].notna()]
    twice = frame["_key"][frame["_key"].duplicated()]
    if len(twice):
        # A master cannot hold one key twice, and keeping either record silently loses the other.
        first = next(t for t in tables if (TableValues(t, config.schemas[t.entity], config).keys == twice.iloc[0]).any())
        raise ApplyError("apply.duplicate_key", file=first.file, key=str(twice.iloc[0]), n=int(twice.nunique()))
    frame = frame.set_index("_key")
    return frame, fields, headers


def build_master(
    changes: Sequence[Change], states: dict[tuple[str, str, str], workflow.RequestView], incoming: Sequence[Table],
    baseline: Sequence[Table], config: Config, policy: ApprovalPolicy,
) -> tuple[dict[str, tuple[pd.DataFrame, list[str]]], list[HeldBack]]:
    """Per entity (master records with field headers), and the changes held back."""
    held: list[HeldBack] = []
    for c in changes:
        if c.tier == 0:
            continue
        state = states.get(c.ident)
        status = state.status if state else "pending"
        if status not in DONE:
            held.append(HeldBack(c, status, state.missing if state else tuple(r.code for r in policy.required_roles(c.tier)),
                                 state.id if state else None, state.rejected_by if state else None,
                                 state.reason if state else None))
    held_ids = {h.change.ident for h in held}
    out: dict[str, tuple[pd.DataFrame, list[str]]] = {}
    for entity in dict.fromkeys(t.entity for t in incoming):
        inc, inc_fields, headers = _records([t for t in incoming if t.entity == entity], config, policy.requester_field)
        base, base_fields, base_headers = _records([t for t in baseline if t.entity == entity], config, policy.requester_field)
        fields = base_fields + [f for f in inc_fields if f not in base_fields]
        headers = {**headers, **base_headers}
        # Start from the approved master: values only reformatted keep the master's text.
        master = base.reindex(columns=fields).astype("object")
        mine = [c for c in changes if c.entity == entity]
        created = [c.key for c in mine if c.kind == "create" and c.field == RECORD]
        if created:
            # A new record enters with its non-sensitive values; its sensitive ones only once approved.
            master = pd.concat([master, inc.loc[created].reindex(columns=fields).astype("object")])
        gone = [c.key for c in mine if c.kind == "delete" and c.ident not in held_ids]
        master = master.drop(index=gone)
        for name in {c.field for c in mine if c.field != RECORD}:
            field_changes = [c for c in mine if c.field == name]
            take = [c.key for c in field_changes if c.kind == "change" and c.ident not in held_ids]
            blank = [c.key for c in field_changes if c.kind == "create" and c.ident in held_ids]
            if take:
                master.loc[take, name] = inc.loc[take, name].to_numpy()
            if blank:
                master.loc[blank, name] = None
        frame = master.reset_index(drop=True)
        frame.attrs["fields"] = fields
        frame.attrs["keys"] = [str(k) for k in master.index]  # to carry the columns dq does not know
        out[entity] = (frame, [headers.get(f, f) for f in fields])
    return out, held


def _typed(frame: pd.DataFrame, config: Config, entity: str) -> pd.DataFrame:
    """Numeric fields as numbers (so the master sums in Excel), dates as dates; the rest as written."""
    frame = frame.copy()
    for name in frame.attrs.get("fields", frame.columns):
        spec = config.schemas[entity].fields.get(name)
        if spec is not None and spec.is_numeric:
            num = parse_number(frame[name].astype("str"))
            frame[name] = frame[name].astype("object").where(num.isna(), num)
        elif spec is not None and spec.type == "date":
            when = parse_date(frame[name].astype(TEXT))
            dates = pd.Series(when.dt.to_pydatetime(), index=frame.index, dtype=object)
            frame[name] = frame[name].astype("object").where(when.isna(), dates)
    return frame


@dataclass(frozen=True)
class _Layout:
    """What the master keeps of the baseline sheet beyond the fields: title rows and unknown columns."""

    title_rows: list[list[Any]]
    extra_headers: list[str]
    extra_values: dict[str, list[Any]]  # key -> values of the unknown columns


def _grid(table: Table, limits: Limits | None) -> pd.DataFrame | None:
    from dataquality.load.grid import iter_grids, read_csv_grid, sniff_kind
    from dataquality.load.source import WorkbookSource

    source = WorkbookSource(table.path, limits)
    kind = sniff_kind(source)
    if kind == "csv":
        return read_csv_grid(source)
    for sheet, book in iter_grids(source, kind):
        if sheet.name == table.sheet and book is not None:
            return book.grid(sheet)
    return None


def _layout(entity: str, baseline: Sequence[Table], incoming: Sequence[Table], config: Config,
            limits: Limits | None = None) -> _Layout:
    """Title rows from the baseline sheet; values of the columns dq does not know, by key (the
    baseline's, else the incoming file's for a new record), so the master loses nothing."""
    from dataquality.checks.values import TableValues

    base = next((t for t in baseline if t.entity == entity), None)
    if base is None:
        return _Layout([], [], {})
    grid = _grid(base, limits)
    if grid is None:
        return _Layout([], [], {})
    above = grid.loc[grid.index < base.header_row]
    titles = [[None if pd.isna(v) else v for v in row] for row in above.itertuples(index=False)]  # a few title rows
    titles = [row for row in titles if any(v is not None for v in row)]
    headers = [h for _, h in base.unknown_columns]
    values: dict[str, list[Any]] = {}
    if headers:
        sources = [base] + [t for t in incoming if t.entity == entity and t.unknown_columns]
        for t in reversed(sources):  # the baseline last, so its values win
            g = grid if t is base else _grid(t, limits)
            if g is None:
                continue
            letters = dict((h, letter) for letter, h in t.unknown_columns)
            cols = [_col(letters.get(h)) for h in headers]
            keys = TableValues(t, config.schemas[entity], config).keys
            part = pd.DataFrame({h: (g[c].reindex(keys.index) if c is not None and c in g.columns else pd.Series(None, index=keys.index))
                                 for h, c in zip(headers, cols, strict=True)})
            part.index = keys.astype(str).to_numpy()
            part = part[~part.index.duplicated()]
            values.update(zip(part.index, part.astype(object).where(part.notna(), None).to_numpy().tolist(), strict=True))
    return _Layout(titles, headers, values)


def _col(letter: str | None) -> int | None:
    return column_index(letter) if letter else None


def _write(path: Path, masters: dict[str, tuple[pd.DataFrame, list[str]]], held: list[HeldBack],
           config: Config, baseline: Sequence[Table], lang: str, incoming: Sequence[Table] = (),
           limits: Limits | None = None) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for entity, (frame, headers) in masters.items():
        sheet = next((t.sheet for t in baseline if t.entity == entity and t.sheet), None) or config.schemas[entity].label(lang)
        ws = wb.create_sheet(str(sheet)[:31])
        layout = _layout(entity, baseline, incoming, config, limits)
        for r, row in enumerate(layout.title_rows, start=1):
            for c, value in enumerate(row, start=1):
                put(ws.cell(row=r, column=c), value)
        start = len(layout.title_rows) + 2
        for c, value in enumerate([*headers, *layout.extra_headers], start=1):
            put(ws.cell(row=start - 1, column=c), value)
        typed = _typed(frame, config, entity)
        keys = frame.attrs.get("keys") or [None] * len(frame)
        blank = [None] * len(layout.extra_headers)
        for r, (rec, key) in enumerate(zip(typed.itertuples(index=False), keys, strict=True), start=start):
            for c, value in enumerate([*rec, *layout.extra_values.get(key, blank)], start=1):
                cell = ws.cell(row=r, column=c)
                put(cell, None if value is None or (not isinstance(value, str) and pd.isna(value)) else value)
                if isinstance(value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd"
        ws.freeze_panes = f"A{start}"
    ws = wb.create_sheet(text("apply.held_sheet", lang)[:31])
    cols = ("entity", "key", "field", "kind", "old", "new", "tier", "status", "missing", "request", "reason")
    ws.append([text(f"apply.col.{c}", lang) for c in cols])
    for r, h in enumerate(held, start=2):
        ch = h.change
        reason = text(f"apply.reason.{h.status}", lang, missing=", ".join(h.missing))
        if h.status == "rejected" and h.reason:  # the reason the approver gave, not just "rejected"
            reason = text("approve_issue.rejected", lang, name=h.rejected_by or "-", reason=h.reason)
        values = (ch.entity, ch.key, ch.field, text(f"changes.kind.{ch.kind}", lang), ch.old, ch.new, ch.tier,
                  text(f"changes.status.{h.status}", lang), ", ".join(h.missing), h.request_id, reason)
        for col, value in enumerate(values, start=1):
            put(ws.cell(row=r, column=col), value)
    ws.freeze_panes = "A2"
    wb.save(path)


def _clean_stale_temps(out: Path) -> None:
    """Remove temporary files a crashed apply left beside --out (never --out itself)."""
    for stray in out.parent.glob(f".{out.name}.*.tmp"):
        stray.unlink(missing_ok=True)


def _lineage(vouched: Any, sums: dict[str, str], incoming: Path, baseline: Path) -> int:
    """The sealed submission of these two files, when the baseline is the last applied master (or
    this is the pair applied last, which builds the same master); ApplyError otherwise."""
    pair = (sums["incoming_sha256"], sums["baseline_sha256"])
    matching = [sid for sid, sub in vouched.submissions.items() if (sub["incoming_sha256"], sub["baseline_sha256"]) == pair]
    if not matching:
        raise ApplyError("apply.not_submitted", incoming=str(incoming), baseline=str(baseline))
    last = vouched.last_apply()
    if last is not None and sums["baseline_sha256"] != last["master_sha256"] and \
            pair != (last["incoming_sha256"], last["baseline_sha256"]):
        raise ApplyError("apply.not_last_master", file=str(baseline), master=last["master_sha256"][:16])
    return max(matching)


def apply(store: Store, policy: ApprovalPolicy, config: Config, out: Path, incoming: Path, baseline: Path,
          by: str | None = None, lang: str = "en", limits: Limits | None = None) -> ApplyResult:
    """Write the approved master to `out` and record the applied requests (see the module docstring);
    both files are read within `limits` (default DQ_MAX_*)."""
    changes, inc_tables, base_tables = load_change_set(incoming, baseline, config, policy, lang, limits=limits)
    out = Path(out)
    if out.resolve() in (Path(incoming).resolve(), Path(baseline).resolve()):
        raise ApplyError("apply.out_is_input", file=str(out))
    _clean_stale_temps(out)
    at = audit.now()
    sums = {"incoming_sha256": sha256_of(Path(incoming)), "baseline_sha256": sha256_of(Path(baseline))}
    with store.transaction() as conn:
        # Nothing is applied on the word of a chain that does not verify: a status set by hand, a
        # forged approval, a missing trigger or a wrong key all stop here.
        checked = audit.check(conn)
        if checked.problems:
            raise ChainError("apply.chain_broken", n=len(checked.problems), first=checked.problems[0].message(lang))
        submission_id = _lineage(checked.vouched, sums, Path(incoming), Path(baseline))
        current = workflow.current_requests(conn, {c.entity for c in changes}, lock=True)
        matching = [current[c.ident] for c in changes if c.tier > 0 and c.ident in current
                    and current[c.ident]["new_norm"] == c.new_norm and current[c.ident]["status"] != "withdrawn"]
        states = {(v.entity, v.key, v.field): v for v in workflow.views(conn, matching, policy)}
        masters, held = build_master(changes, states, inc_tables, base_tables, config, policy)
        to_apply = [v for v in states.values() if v.status == "approved"]
        with atomic_path(out) as tmp:
            _write(tmp, masters, held, config, base_tables, lang, inc_tables, limits)
            digest = sha256_of(tmp)
            _crash_point("after_write")
            for v in to_apply:
                conn.execute(requests.update().where(requests.c.id == v.id).values(status="applied", updated_at=at))
                audit.append(conn, "apply", actor=by, request_id=v.id, entity=v.entity, key=v.key, field=v.field,
                             old_value=v.old, new_value=v.new, at=at, comment=str(out), data={"status": "applied"})
            audit.append(conn, "apply", actor=by, at=at,
                         comment=f"{out} sha256={digest} applied={len(to_apply)} held={len(held)}",
                         data={"master_sha256": digest, "submission_id": submission_id, **sums, "out": str(out)})
        _crash_point("after_rename")
    return ApplyResult(out, {e: len(m[0]) for e, m in masters.items()}, tuple(v.id for v in to_apply), tuple(held), digest)
