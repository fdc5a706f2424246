"""What a clerk does to a job, each an event in the project database and in the audit chain: edit a
cell, undo the last edit, map enumeration values, apply certain fixes (the fixes `dq fix` makes).

The edits are kept as events (desk_edits); the workbench applies them to its tables, so a job opened
after a restart shows the same values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select, update

from dataquality.approve import audit
from dataquality.approve.accounts import Account
from dataquality.config import Config
from dataquality.desk.bench import CellEdit, Workbench, open_bench
from dataquality.desk.db import edits
from dataquality.desk.jobs import DeskError, Job
from dataquality.issue import Issue
from dataquality.store import Store

SCOPES = ("cell", "rule", "field", "all")
ENUM_RULE = "ENM001"  # a value not among an enumerated field's allowed values


@dataclass(frozen=True)
class Proposed:
    """A certain fix shown before it applies: where, from what, to what, by which rules."""

    tbl: int
    sheet: str | None
    row: int
    field: str
    column: str
    old: str | None
    new: str
    rules: tuple[str, ...]


def live_edits(store: Store, job_id: str) -> list[tuple[str | None, int, str, str | None]]:
    """(sheet, row, field, value) of every edit not undone, in order."""
    with store.transaction() as conn:
        return [(r.sheet, r.row, r.field, r.new_value) for r in conn.execute(
            select(edits.c.sheet, edits.c.row, edits.c.field, edits.c.new_value)
            .where(edits.c.job_id == job_id, edits.c.undone == 0).order_by(edits.c.id))]


def bench_of(store: Store, job: Job, config: Config) -> Workbench:
    return open_bench(job, config, lambda: live_edits(store, job.id))


def _record(store: Store, job: Job, account: Account, kind: str, bench: Workbench, cells: list[tuple[CellEdit, str | None, str]],
            comment: str | None = None) -> int:
    """Keep the batch of edits (cell, old value, rules) and its audit event; returns the batch."""
    at = audit.now()
    with store.transaction() as conn:
        batch = (conn.execute(select(func.max(edits.c.batch)).where(edits.c.job_id == job.id)).scalar() or 0) + 1
        conn.execute(edits.insert(), [
            {"job_id": job.id, "batch": batch, "kind": kind, "sheet": bench.tables[c.tbl].sheet, "row": c.row,
             "field": c.field, "old_value": old, "new_value": c.new, "rules": rules or None, "actor": account.name, "at": at}
            for c, old, rules in cells])
        one = cells[0][0] if len(cells) == 1 else None
        audit.append(conn, f"desk_{kind}", actor=account.name, entity="import", key=job.id,
                     field=one.field if one else None, old_value=cells[0][1] if one else None,
                     new_value=one.new if one else None, comment=comment,
                     data={"batch": batch, "cells": [[bench.tables[c.tbl].sheet, c.row, c.field, old, c.new, rules]
                                                     for c, old, rules in cells[:1000]], "count": len(cells)})
    return batch


def edit_cell(store: Store, config: Config, account: Account, job: Job, sheet: str | None, row: int, field: str,
              value: str | None) -> tuple[Workbench, list[Issue]]:
    """The clerk types `value` into a cell: kept, audited, and the row checked again at once."""
    bench = bench_of(store, job, config)
    with bench.lock:
        tbl = bench.table_of_sheet(sheet)
        if not bench.has_cell(tbl, row, field):
            raise DeskError("desk.no_such_cell", sheet=sheet or "-", row=row, field=field)
        new = value if value not in (None, "") else None
        old = bench.value(tbl, row, field)
        if old == new:
            return bench, bench.set_values([])
        cell = CellEdit(tbl, row, field, new)
        _record(store, job, account, "edit", bench, [(cell, old, "")])
        return bench, bench.set_values([cell])


def undo(store: Store, config: Config, account: Account, job: Job) -> int:
    """Undo the clerk's newest live batch (an edit, a fix, a mapped value); the cells it changed take
    the value they had before it. Returns how many cells changed back (0: nothing to undo)."""
    bench = bench_of(store, job, config)
    with bench.lock, store.transaction() as conn:
        batch = conn.execute(select(func.max(edits.c.batch)).where(edits.c.job_id == job.id, edits.c.undone == 0)).scalar()
        if batch is None:
            return 0
        undone = [r for r in conn.execute(select(edits).where(edits.c.job_id == job.id, edits.c.batch == batch))]
        conn.execute(update(edits).where(edits.c.job_id == job.id, edits.c.batch == batch).values(undone=1))
        cells = {(r.sheet, r.row, r.field) for r in undone}
        earlier: dict[tuple[str | None, int, str], str | None] = {}
        for r in conn.execute(select(edits).where(edits.c.job_id == job.id, edits.c.undone == 0).order_by(edits.c.id)):
            if (r.sheet, r.row, r.field) in cells:
                earlier[(r.sheet, r.row, r.field)] = r.new_value
        back = []
        for sheet, row, field in sorted(cells, key=lambda c: (c[0] or "", c[1], c[2])):
            tbl = bench.table_of_sheet(sheet)
            value = earlier[(sheet, row, field)] if (sheet, row, field) in earlier else bench.original(tbl, row, field)
            back.append(CellEdit(tbl, row, field, value))
        audit.append(conn, "desk_undo", actor=account.name, entity="import", key=job.id,
                     data={"batch": batch, "cells": len(back)})
    bench.set_values(back)
    return len(back)


def history(store: Store, job_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The job's edits, newest first (what undo would take back is the newest live batch)."""
    with store.transaction() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(edits).where(edits.c.job_id == job_id).order_by(edits.c.id.desc()).limit(limit))]


# --- certain fixes -----------------------------------------------------------------------------


def proposed_fixes(bench: Workbench, scope: str, tbl: int | None = None, row: int | None = None, field: str | None = None,
                   rule: str | None = None) -> list[Proposed]:
    """The fixes `scope` would apply, shown before they do: one cell, one rule, one column (field), or
    all (exactly what `dq fix` would change on the current values, every round of it)."""
    if scope not in SCOPES:
        raise DeskError("desk.bad_scope", scope=str(scope)[:20], scopes=", ".join(SCOPES))
    with bench.lock:
        if scope == "all":
            return _all_fixes(bench)
        found = bench.grid.fixable(tbl, rule if scope == "rule" else None, field if scope in ("field", "cell") else None,
                                   row if scope == "cell" else None)
        out = []
        for t, r, f, value, fixed, code in found:
            table = bench.tables[t]
            out.append(Proposed(t, table.sheet, r, f, table.columns.get(f, ""), value, fixed, (code,)))
        return out


def _all_fixes(bench: Workbench) -> list[Proposed]:
    from dataquality.fix import CORRECT, fix_config
    from dataquality.pipeline import Run, validate
    from dataquality.result import Result

    config = fix_config(bench.config)
    tables = [replace(t, data=t.data.copy()) for t in bench.tables]
    r = Run(config, (bench.job.path,), "en")
    r.result = Result(validate(tables, config), tables, [bench.job.path])
    CORRECT.work(r)
    return [Proposed(bench.table_of_sheet(c.sheet), c.sheet, c.row, c.field, c.column, c.old, c.new, c.rules)
            for c in r.outputs["fix"].changes]


def apply_fixes(store: Store, config: Config, account: Account, job: Job, proposed: list[Proposed]) -> int:
    """Apply the fixes shown (one batch, one audit event); returns how many cells changed."""
    bench = bench_of(store, job, config)
    with bench.lock:
        cells = [(CellEdit(p.tbl, p.row, p.field, p.new), bench.value(p.tbl, p.row, p.field), ",".join(p.rules))
                 for p in proposed if bench.has_cell(p.tbl, p.row, p.field) and bench.value(p.tbl, p.row, p.field) != p.new]
        if not cells:
            return 0
        _record(store, job, account, "fix", bench, cells)
        bench.set_values([c for c, _, _ in cells])
        return len(cells)


# --- enumeration values ------------------------------------------------------------------------


def unknown_values(bench: Workbench, tbl: int) -> list[dict[str, Any]]:
    """Each value of an enumerated field that the enumeration rule (ENM001) refuses, listed once, with
    how many cells hold it and the allowed values it may be mapped to."""
    table = bench.tables[tbl]
    schema = bench.config.schemas[table.entity]
    with bench.grid.lock:
        found = bench.grid.con.execute(
            "SELECT field, value, count(*) FROM issues WHERE tbl = ? AND rule = ? AND value IS NOT NULL "
            "GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2", [tbl, ENUM_RULE]).fetchall()
    out = []
    for field, value, n in found:
        spec = schema.fields.get(field.split("#")[0])
        if spec is not None and spec.values:
            out.append({"field": field, "value": str(value), "count": int(n), "allowed": [str(a) for a in spec.values]})
    return out


def map_values(store: Store, config: Config, account: Account, job: Job, tbl: int, field: str,
               mapping: dict[str, str]) -> int:
    """Give every cell of `field` holding a mapped value its allowed value (one batch); returns the cells."""
    bench = bench_of(store, job, config)
    with bench.lock:
        table = bench.tables[tbl]
        if field not in table.data.columns:
            raise DeskError("desk.no_such_cell", sheet=table.sheet or "-", row=0, field=field)
        column = table.data[field].str.strip()
        wanted = {k: v for k, v in mapping.items() if v not in (None, "") and k != v}
        hits = column[column.isin(set(wanted))]
        cells = [(CellEdit(tbl, int(row), field, wanted[value]), bench.value(tbl, int(row), field), "")
                 for row, value in hits.items()]
        if not cells:
            return 0
        _record(store, job, account, "value", bench, cells, comment=field)
        bench.set_values([c for c, _, _ in cells])
        return len(cells)
