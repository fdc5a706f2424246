"""The workbench of one job: its tables as loaded (with the clerk's mapping), the live edits applied,
the issues, the grid, the re-check of an edited row and the certain fixes.

The tables and issues are those of `dq validate` on the same file and mapping: the pipeline's load
and validate stages. After an edit only the rows it involves are checked again: the edited row
(every rule), and for the record rules (duplicates, conflicting codes) the rows that share the old
or the new value of the edited field, found with one vectorised comparison, plus the rows the edited
row was grouped with. Reports and downloads validate the whole current tables once more.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dataquality.config import Config
from dataquality.desk.grid import Filters, Grid, issue_frame
from dataquality.desk.jobs import Job
from dataquality.issue import Issue, sort_issues, stamp_first_seen
from dataquality.load.mapping import Mappings, SheetMapping
from dataquality.load.table import Table
from dataquality.pipeline import LOAD, run_stages, validate
from dataquality.result import Result

MAX_INVOLVED = 2000  # rows re-checked with an edit for the record rules (a value shared by more is not a key)
FULL_CHECK_CELLS = 200  # more cells changed at once (fix all, a mapped value): the whole tables checked again
_LOOSE_RE2 = r"[^\p{L}\p{N}]+"  # not a letter or digit (RE2, as the duplicate rules' key)


def _loose(values: pa.Array) -> pa.Array:
    """Values compared loosely: lower case, without punctuation and spaces (to find a record's partners)."""
    return pc.replace_substring_regex(pc.utf8_lower(values), pattern=_LOOSE_RE2, replacement="")


@dataclass(frozen=True)
class CellEdit:
    """A cell's new value: table (by position), Excel row, field."""

    tbl: int
    row: int
    field: str
    new: str | None


def mappings_of(job: Job) -> Mappings | None:
    """The job's mapping (the clerk's choice, a remembered layout or a mapping file sent to the API)."""
    sheets = job.choice.get("sheets") or []
    if not sheets:
        return None
    return Mappings(tuple(SheetMapping(file=s.get("file") or job.path.name, sheet=s.get("sheet"), entity=s.get("entity"),
                                       header_row=s.get("header_row"), columns=dict(s.get("columns") or {}),
                                       source="desk", headers=tuple(s.get("headers") or ())) for s in sheets))


def load_job(job: Job, config: Config) -> Result:
    """The pipeline's load stage over the job's upload with its mapping (as `dq validate --mapping`)."""
    return run_stages(config, [job.path], "en", stages=(LOAD,), mappings=mappings_of(job)).result


def _blank(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


class Workbench:
    """A job loaded: tables, issues, grid. One per job per process (see `open_bench`)."""

    def __init__(self, job: Job, config: Config, live: Sequence[tuple[str | None, int, str, str | None]] = (),
                 loaded: Result | None = None) -> None:
        self.job, self.config = job, config
        # Each cell on its own for a re-check (made once: what the rules prepare per configuration is kept).
        self.cell_config = replace(config, collapse_conventions=False)
        self.lock = threading.RLock()
        self._loose: dict[tuple[int, str], pd.Series] = {}  # (table, field) -> loose keys (`_loose_column`)
        # As read (the upload just read with the job's mapping is not read twice): the old values of every change.
        self.loaded = loaded if loaded is not None else load_job(job, config)
        self.load_issues = list(self.loaded.issues)
        self.tables: list[Table] = [replace(t, data=t.data.copy()) for t in self.loaded.tables]
        self.table_of = {(t.file, t.sheet): n for n, t in enumerate(self.tables)}
        # The live edits (sheet, row, field, value) of the job, in the order they were made.
        self._apply([CellEdit(self.table_of_sheet(s), r, f, v) for s, r, f, v in live
                     if self.table_of_sheet(s) >= 0 and f in self.tables[self.table_of_sheet(s)].data.columns])
        self.issues = self._validate()
        self.grid = Grid(job.folder, self.tables)
        self.grid.set_issues(issue_frame(self.issues, self.table_of))
        self.current = True  # self.issues are those of the tables as they are

    # --- state -----------------------------------------------------------------------------------

    def _validate(self) -> list[Issue]:
        found = validate(self.tables, self.config)
        issues = sort_issues([*self.load_issues, *found]) if self.load_issues else found
        # As the pipeline's track stage does without tracking: first seen in this run.
        stamp_first_seen(issues, self.loaded.started_at.isoformat(timespec="seconds"))
        return issues

    def result(self) -> Result:
        """The whole result of the current tables (validated again if edits came since)."""
        with self.lock:
            if not self.current:
                self.issues = self._validate()
                self.current = True
            return Result(self.issues, self.tables, [self.job.path], self.loaded.started_at,
                          unreadable=list(self.loaded.unreadable))

    def _apply(self, cells: Iterable[CellEdit]) -> dict[tuple[int, str], tuple[list[int], list[str | None]]]:
        """Put values in the tables, one assignment per column; the last value of a cell wins."""
        last: dict[tuple[int, int, str], str | None] = {}
        for c in cells:
            last[(c.tbl, c.row, c.field)] = c.new
        columns: dict[tuple[int, str], tuple[list[int], list[str | None]]] = {}
        for (tbl, row, field), new in last.items():
            rows, values = columns.setdefault((tbl, field), ([], []))
            rows.append(row)
            values.append(new)
        for (tbl, field), (rows, values) in columns.items():
            data = self.tables[tbl].data
            data.loc[rows, field] = pd.array([pd.NA if v is None else v for v in values], dtype=data[field].dtype)
            if (tbl, field) in self._loose:
                self._loose[(tbl, field)].loc[rows] = _loose(pa.array(values, type=pa.string())).to_numpy(zero_copy_only=False)
        return columns

    def table_of_sheet(self, sheet: str | None) -> int:
        """The position of the table read from `sheet` (-1: none)."""
        return next((n for n, t in enumerate(self.tables) if t.sheet == sheet), -1)

    def value(self, tbl: int, row: int, field: str) -> str | None:
        return _blank(self.tables[tbl].data.at[row, field])

    def original(self, tbl: int, row: int, field: str) -> str | None:
        return _blank(self.loaded.tables[tbl].data.at[row, field])

    def has_cell(self, tbl: int, row: int, field: str) -> bool:
        return 0 <= tbl < len(self.tables) and field in self.tables[tbl].data.columns and row in self.tables[tbl].data.index

    # --- edits -----------------------------------------------------------------------------------

    def set_values(self, cells: Sequence[CellEdit]) -> list[Issue]:
        """Apply edits and check again the rows they involve; the issues of the edited rows."""
        with self.lock:
            olds = {(c.tbl, c.row, c.field): self.value(c.tbl, c.row, c.field) for c in cells}
            columns = self._apply(cells)
            for (tbl, field), (rows, values) in columns.items():
                self.grid.set_cells(tbl, field, rows, values)
            self.current = False
            if len(cells) > FULL_CHECK_CELLS:
                self.issues = self._validate()
                self.current = True
                self.grid.set_issues(issue_frame(self.issues, self.table_of))
                edited = {(c.tbl, c.row) for c in cells}
                return [i for i in self.issues if (self.table_of.get((i.file, i.sheet)), i.row) in edited]
            out: list[Issue] = []
            for tbl in sorted({c.tbl for c in cells}):
                mine = [c for c in cells if c.tbl == tbl]
                out += self._recheck(tbl, mine, olds)
            return out

    def _involved(self, tbl: int, cells: Sequence[CellEdit], olds: dict) -> list[int]:
        """The edited rows, the rows sharing (loosely) an old or new value of an edited field, and
        the rows the edited rows were grouped with."""
        data = self.tables[tbl].data
        rows = {c.row for c in cells}
        for field in {c.field for c in cells}:
            wanted = {v for c in cells if c.field == field for v in (c.new, olds[(c.tbl, c.row, c.field)]) if v}
            if not wanted:
                continue
            # One pass of Arrow's compute kernels over the column: lower case, no punctuation or spaces.
            keys = set(_loose(pa.array(list(wanted), type=pa.string())).to_pylist())
            hit = self._loose_column(tbl, field).isin(keys).to_numpy()
            rows.update(data.index[hit][:MAX_INVOLVED].tolist())
        for issue in self.issues:
            if issue.related_rows and issue.row in rows and self.table_of.get((issue.file, issue.sheet)) == tbl:
                rows.update(issue.related_rows)
        return sorted(r for r in rows if r in data.index)

    def _loose_column(self, tbl: int, field: str) -> pd.Series:
        """The field's values compared loosely, made once per column and kept up to date by edits."""
        found = self._loose.get((tbl, field))
        if found is None:
            column = self.tables[tbl].data[field]
            found = self._loose[(tbl, field)] = pd.Series(
                _loose(pa.array(column, type=pa.string(), from_pandas=True)).to_numpy(zero_copy_only=False), index=column.index)
        return found

    def _recheck(self, tbl: int, cells: Sequence[CellEdit], olds: dict) -> list[Issue]:
        table = self.tables[tbl]
        rows = self._involved(tbl, cells, olds)
        edited_cells = {(c.row, c.field) for c in cells}
        involved = set(rows)
        findings = tuple(f for f in table.findings if f.row in involved and (f.row, f.field) not in edited_cells)
        subset = replace(table, data=table.data.loc[rows], findings=findings)
        # Each cell on its own: a handful of rows must not read as a column-wide house style.
        found = validate([subset], self.cell_config)
        edited = {c.row for c in cells}
        # The edited rows take every issue found; a row the edit only involves takes the record
        # rules' issues again and keeps its own field issues.
        found = [i for i in found if i.row in edited or (i.row in involved and _record_rule(i.rule))]
        self.grid.replace_rows(tbl, sorted(edited), rows, sorted({*_record_rules(), *(i.rule for i in found)}),
                               issue_frame(found, self.table_of))
        return [i for i in found if i.row in edited]

    # --- windows ---------------------------------------------------------------------------------

    def window(self, tbl: int, offset: int, limit: int, filters: Filters, lang: str) -> dict[str, Any]:
        return self.grid.window(tbl, offset, limit, filters, lang)

    def close(self) -> None:
        self.grid.close()


def _record_rules() -> list[str]:
    from dataquality.checks.registry import REGISTRY

    return [code for code, rule in REGISTRY.items() if rule.scope == "record"]


def _record_rule(code: str) -> bool:
    from dataquality.checks.registry import REGISTRY

    rule = REGISTRY.get(code)
    return rule is not None and rule.scope == "record"


_OPEN: dict[str, Workbench] = {}
_OPEN_LOCK = threading.Lock()
MAX_OPEN = 8  # jobs kept loaded in one server process; others are loaded again when asked for


def open_bench(job: Job, config: Config, live: Any, loaded: Result | None = None) -> Workbench:
    """The loaded workbench of `job` (loaded now when not yet, with `live()`'s edits applied; from
    `loaded` when the upload was just read)."""
    with _OPEN_LOCK:
        bench = _OPEN.get(job.id)
        if bench is not None and bench.job.choice == job.choice:
            return bench
    bench = Workbench(job, config, live(), loaded)
    with _OPEN_LOCK:
        old = _OPEN.pop(job.id, None)
        _OPEN[job.id] = bench
        while len(_OPEN) > MAX_OPEN:
            _OPEN.pop(next(iter(_OPEN))).close()
    if old is not None:
        old.close()
    return bench


def forget(job_id: str) -> None:
    with _OPEN_LOCK:
        bench = _OPEN.pop(job_id, None)
    if bench is not None:
        bench.close()
