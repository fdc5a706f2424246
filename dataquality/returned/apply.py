"""`dq corrections import`: the values departments wrote into their correction lists, taken back.

Each filled row names a tracked issue by its DQ number (so only lists made inside a project can
come back). Its value is put into the project's data, in memory, and the data validated again:

- a value that still breaks a rule at that cell is refused and reported back with the rule's
  message (nothing of it is applied);
- a value that needs no approval goes into a corrected master: a copy of the data file with the
  corrected cells marked and listed on a Changes sheet (`dq fix`'s writer), to load into the ERP
  or to put in place of the export. The input files are never modified;
- a value that needs approval (a sensitive field, `rules/approval.yaml`) becomes a change request
  whose requester is the department's head (`head:` in rules/departments.yaml), against a proposed
  copy of the data file that `dq apply` turns into the new master once it is approved.

Every row is recorded in the state database with its outcome, so the next `dq check` marks an
issue that went away as fixed by its department.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from dataquality.config import Config
from dataquality.errors import DQError
from dataquality.fileio import atomic_open, inside
from dataquality.fix import CellChange, FixPlan, check_output
from dataquality.fix import write as write_copy
from dataquality.i18n import text
from dataquality.issue import Issue, Severity
from dataquality.load import Table
from dataquality.load.limits import Limits
from dataquality.pipeline import LOAD, VALIDATE, Result, run_stages, validate
from dataquality.returned.read import ReturnedRow, read_list
from dataquality.track.clock import iso, run_time
from dataquality.track.corrections import (
    APPLIED,
    REFUSED,
    REQUESTED,
    ImportedCorrection,
    already_imported,
    record,
    tracked_issues,
)
from dataquality.track.project import Project
from dataquality.track.tracker import format_number, parse_number

OUTCOME_FILE = "import-outcome.csv"
REQUESTS_FOLDER = "requests"
# A corrected value is refused when the rules still find this (or worse) at its cell.
_BLOCKING = (Severity.ERROR, Severity.WARNING)
_ROUNDS = 3  # refusing one value can free another (a duplicate pair): validate again, a few times


class ReturnedListError(DQError):
    """A returned list that cannot be read back (made outside a project, not a correction list)."""


@dataclass
class Correction:
    """One returned row on its way: the tracked issue it answers and where its cell is."""

    row: ReturnedRow
    number: int | None
    issue: Mapping[str, Any] | None = None
    table: Table | None = None
    at: int | None = None  # the record's Excel row in the table
    outcome: str | None = None
    reason: str | None = None  # refused: why, in the run's language
    request_id: int | None = None
    requester: str | None = None  # a change request's requester: the department's head
    old: str | None = None

    @property
    def field(self) -> str:
        return str(self.issue["field"]) if self.issue else ""

    @property
    def department(self) -> str | None:
        return self.issue["department"] if self.issue else None

    def refuse(self, reason: str) -> None:
        self.outcome, self.reason = REFUSED, reason


@dataclass
class ImportOutcome:
    """What the import did: every row with its outcome, and the files written."""

    corrections: list[Correction]
    written: list[Path] = field(default_factory=list)
    skipped: int = 0  # rows imported before with the same value

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.corrections if c.outcome == outcome)


def import_lists(project: Project, lists: Sequence[Path], out: Path, lang: str, ws: Any,
                 limits: Limits | None = None) -> ImportOutcome:
    """Take back the filled rows of `lists` (see the module's docstring); `ws` is the project's
    Workspace; the lists and the project's data are read within `limits` (default DQ_MAX_*)."""
    rows = [row for path in lists for row in _read(path, limits)]
    corrections = [Correction(row, parse_number(row.number) if row.number else None) for row in rows]
    with ws.open() as store:
        known = tracked_issues(store, [c.number for c in corrections if c.number is not None])
        before = already_imported(store, known)
        fresh = _match_issues(corrections, known, before, project.issue_prefix, lang)
        todo = [c for c in fresh if c.outcome is None]
        written: list[Path] = []
        if todo:
            result = _load(project, ws.config, lang, limits)
            _locate(todo, result.tables, project, ws.config, lang)
            _check_values([c for c in todo if c.outcome is None], result.tables, ws.config, lang)
            placed = [c for c in todo if c.outcome is None]
            needing = _needing_approval(placed, result.tables, ws)
            for c in placed:
                c.outcome = REQUESTED if id(c) in needing else APPLIED
            prefix = project.issue_prefix
            written += _write_masters([c for c in placed if c.outcome == APPLIED], out, ws.config, result, prefix, lang)
            written += _request_changes([c for c in placed if c.outcome == REQUESTED], needing, out, ws, store,
                                        result, prefix, lang)
        now = iso(run_time(project.timezone))  # the project's clock (DQ_NOW pins it), as dq check's
        record(store, [_imported(c, now) for c in corrections if c.outcome is not None and c.number in known])
    outcome = ImportOutcome([c for c in corrections if c.outcome is not None], written,
                            skipped=sum(1 for c in corrections if c.outcome is None))
    outcome.written.append(_write_outcome(outcome, out, ws.config, project.issue_prefix, lang))
    return outcome


def _read(path: Path, limits: Limits | None) -> list[ReturnedRow]:
    rows = read_list(path, limits)
    if rows and not any(parse_number(r.number) is not None for r in rows if r.number):
        raise ReturnedListError("returned.untracked", file=str(path))
    return rows


def _match_issues(corrections: list[Correction], known: Mapping[int, Mapping[str, Any]],
                  before: Mapping[int, list[Mapping[str, Any]]], prefix: str, lang: str) -> list[Correction]:
    """Each row's tracked issue; a row that cannot be one is refused, one imported before is skipped."""
    fresh = []
    seen: dict[int, Correction] = {}
    for c in corrections:
        if c.number is None:
            c.refuse(text("returned.no_number", lang, number=c.row.number or "-"))
            continue
        issue = known.get(c.number)
        if issue is None:
            c.refuse(text("returned.unknown_number", lang, number=c.row.number))
            continue
        c.issue = issue
        if any(b["new_value"] == c.row.corrected and b["outcome"] != REFUSED for b in before.get(c.number, [])):
            continue  # the same list (or value) imported again: nothing new
        if issue["status"] == "resolved":
            c.refuse(text("returned.resolved", lang, number=format_number(c.number, prefix)))
        elif not issue["field"]:
            c.refuse(text("returned.no_field", lang, number=format_number(c.number, prefix)))
        elif c.number in seen:
            c.refuse(text("returned.twice", lang, number=format_number(c.number, prefix), other=seen[c.number].row.where))
        else:
            seen[c.number] = c
        fresh.append(c)
    return fresh


def _load(project: Project, config: Config, lang: str, limits: Limits | None) -> Result:
    """The project's data files as `dq check` reads them (validated, to know each cell's findings)."""
    from dataquality.load.mapping import read_mappings

    wanted: dict[Path, set[str]] = {}
    for entity, files in project.input_files().items():
        for f in files:
            wanted.setdefault(f, set()).add(entity)
    mappings = read_mappings(list(project.mappings), config) if project.mappings else None
    done = run_stages(config, (), lang, stages=(LOAD, VALIDATE), mappings=mappings, keep_going=False,
                      wanted={p: frozenset(es) for p, es in wanted.items()}, limits=limits)
    return done.result


def _locate(corrections: Iterable[Correction], tables: Sequence[Table], project: Project, config: Config,
            lang: str) -> None:
    """The table and Excel row of each correction's record: by its key, else where it was last seen."""
    from dataquality.checks.values import TableValues

    keys: dict[int, pd.Series] = {}

    def keys_of(t: Table) -> pd.Series:
        if id(t) not in keys:
            keys[id(t)] = TableValues(t, config.schemas[t.entity], config).keys
        return keys[id(t)]

    for c in corrections:
        issue = c.issue
        assert issue is not None
        if issue["entity"] in project.sources:
            c.refuse(text("returned.in_database", lang, entity=issue["entity"]))
            continue
        candidates = [t for t in tables if t.entity == issue["entity"]]
        found = None
        if issue["key"] is not None:
            for t in candidates:
                hits = keys_of(t).index[(keys_of(t) == issue["key"]).fillna(False).to_numpy(dtype=bool)]
                if len(hits):
                    found = (t, int(hits[0]))
                    break
        if found is None:
            found = next(((t, int(issue["row"])) for t in candidates
                          if t.file == issue["file"] and t.sheet == issue["sheet"] and issue["row"] in t.data.index), None)
        if found is None:
            c.refuse(text("returned.record_gone", lang, key=issue["key"] or "-", file=issue["file"] or "-"))
            continue
        c.table, c.at = found
        if c.field not in c.table.data.columns or c.field not in c.table.columns:
            c.refuse(text("returned.no_column", lang, field=c.field, file=c.table.file))
            continue
        old = c.table.data.at[c.at, c.field]
        c.old = None if pd.isna(old) else str(old)


def _with_values(tables: Sequence[Table], corrections: Iterable[Correction]) -> list[Table]:
    """Copies of the tables with the corrected values in their cells (the originals stay as read)."""
    by_table: dict[int, list[Correction]] = defaultdict(list)
    for c in corrections:
        assert c.table is not None
        by_table[id(c.table)].append(c)
    out = []
    for t in tables:
        mine = by_table.get(id(t))
        if not mine:
            out.append(t)
            continue
        data = t.data.copy()
        for name in {c.field for c in mine}:  # one assignment per column, not per cell
            cells = [c for c in mine if c.field == name]
            data.loc[[c.at for c in cells], name] = [c.row.corrected for c in cells]
        out.append(replace(t, data=data))
    return out


def _check_values(corrections: list[Correction], tables: Sequence[Table], config: Config, lang: str) -> None:
    """Refuse each value the rules still find fault with at its cell (reported back, never applied)."""
    for _ in range(_ROUNDS):
        live = [c for c in corrections if c.outcome is None]
        if not live:
            return
        found: dict[tuple[str, str | None, int, str], Issue] = {}
        for issue in validate(_with_values(tables, live), config):
            if issue.severity in _BLOCKING and issue.row is not None and issue.field:
                found.setdefault((issue.file, issue.sheet, issue.row, issue.field), issue)
        refused = 0
        for c in live:
            assert c.table is not None and c.at is not None
            issue = found.get((c.table.file, c.table.sheet, c.at, c.field))
            if issue is not None:
                c.refuse(text("returned.still_breaks", lang, rule=issue.rule, message=issue.message(lang)))
                refused += 1
        if not refused:
            return


def _needing_approval(corrections: Sequence[Correction], tables: Sequence[Table], ws: Any) -> dict[int, Any]:
    """id(correction) -> its Change, for the corrections the approval policy gives a tier above 0."""
    from dataquality.approve.changes import compute_changes

    if not corrections:
        return {}
    touched = {id(c.table) for c in corrections}
    before = [t for t in tables if id(t) in touched]
    after = _with_values(before, corrections)
    changes = compute_changes(after, before, ws.config, ws.policy)
    by_ident = {(ch.entity, ch.key, ch.field): ch for ch in changes if ch.kind == "change" and ch.tier > 0}
    out = {}
    for c in corrections:
        assert c.issue is not None
        change = by_ident.get((c.issue["entity"], c.issue["key"], c.field))
        if change is not None:
            out[id(c)] = change
    return out


def _cell_change(c: Correction, prefix: str, lang: str) -> CellChange:
    assert c.table is not None and c.at is not None and c.number is not None
    said = text("returned.cell_said", lang, number=format_number(c.number, prefix), department=c.department or "-",
                by=c.row.done_by or "-", on=c.row.done_on or "-")
    return CellChange(c.table.file, c.table.sheet, c.at, c.table.columns[c.field], c.table.entity, c.field, c.old,
                      c.row.corrected, (format_number(c.number, prefix),), said)


def _copies(corrections: Sequence[Correction], folder: Path, config: Config, result: Result, prefix: str,
            lang: str) -> dict[Path, Path]:
    """A copy of each data file with `corrections` in it, written into `folder`: source -> copy."""
    by_file: dict[Path, list[Correction]] = defaultdict(list)
    for c in corrections:
        assert c.table is not None
        by_file[c.table.path].append(c)
    written: dict[Path, Path] = {}
    taken: set[str] = set()
    for source, mine in by_file.items():
        name, n = source.name, 1
        while name.casefold() in taken:  # two data folders may hold files of one name
            n += 1
            name = f"{source.stem}-{n}{source.suffix}"
        taken.add(name.casefold())
        target = inside(folder, name)
        check_output(source, target)
        changes = sorted((_cell_change(c, prefix, lang) for c in mine), key=lambda ch: (ch.sheet or "", ch.row, ch.column))
        folder.mkdir(parents=True, exist_ok=True)
        write_copy(FixPlan(source, changes, result, []), target, config, lang)
        written[source] = target
    return written


def _write_masters(corrections: Sequence[Correction], out: Path, config: Config, result: Result, prefix: str,
                   lang: str) -> list[Path]:
    """The corrected masters: each data file with its applied corrections."""
    return list(_copies(corrections, out, config, result, prefix, lang).values())


def department_head(config: Config, department: str | None) -> str | None:
    """The head of `department` named in the departments list (`head:`), or None."""
    ref = config.references.get("departments")
    if ref is None or not department:
        return None
    for entry in ref.records:
        names = [entry.get("name"), *(entry.get("aliases") or [])]
        if department in names and entry.get("head"):
            return str(entry["head"])
    return None


def _request_changes(corrections: Sequence[Correction], needing: Mapping[int, Any], out: Path, ws: Any, store: Any,
                     result: Result, prefix: str, lang: str) -> list[Path]:
    """Change requests for the values that need approval, the department head as requester, against a
    proposed copy of each data file (`dq apply --submission N` makes it the new master once approved)."""
    heads = {c.department: department_head(ws.config, c.department) for c in corrections}
    for c in corrections:
        if not heads[c.department]:
            c.refuse(text("returned.no_head", lang, department=c.department or "-"))
    asked = [c for c in corrections if c.outcome == REQUESTED]
    if not asked:
        return []
    proposed = _copies(asked, out / REQUESTS_FOLDER, ws.config, result, prefix, lang)
    for source, copy in proposed.items():
        mine = [c for c in asked if c.table is not None and c.table.path == source]
        for c in mine:
            c.requester = heads[c.department]
        changes = [replace(needing[id(c)], requested_by=c.requester) for c in mine]
        ids = submit_requests(store, ws, changes, source, copy, lang)
        for c in mine:
            assert c.issue is not None
            c.request_id = ids.get((c.issue["entity"], c.issue["key"], c.field))
    return list(proposed.values())


def submit_requests(store: Any, ws: Any, changes: Sequence[Any], source: Path, proposed: Path, lang: str) -> dict[tuple[str, str, str], int]:
    """The one place corrections become change requests (approve.workflow.submit, leaving every other
    open request as it is); returns each change's request id."""
    from dataquality.approve.apply import sha256_of
    from dataquality.approve.workflow import current_requests, submit

    info = {"incoming_path": str(proposed.resolve()), "incoming_sha256": sha256_of(proposed),
            "baseline_path": str(source.resolve()), "baseline_sha256": sha256_of(source),
            "entities": sorted({c.entity for c in changes})}
    # Submitted on behalf of each department's head (issue 23: a submission names a person of the
    # staff list, who never counts toward its approvals); the run is the key holder's own command.
    for head in sorted({str(c.requested_by) for c in changes}):
        mine = [c for c in changes if str(c.requested_by) == head]
        submit(store, mine, info, by=head, directory=ws.policy.directory(), withdraw_missing=False)
    with store.transaction() as conn:
        current = current_requests(conn, {c.entity for c in changes})
    return {ident: int(row["id"]) for ident, row in current.items()}


def _imported(c: Correction, now: str) -> ImportedCorrection:
    assert c.number is not None and c.outcome is not None
    return ImportedCorrection(
        number=c.number, imported_at=now, new_value=c.row.corrected, outcome=c.outcome, list_file=c.row.list_file.name,
        department=c.department, old_value=c.old, done_by=c.row.done_by, done_on=c.row.done_on,
        request_id=c.request_id, reason=c.reason)


def _write_outcome(outcome: ImportOutcome, out: Path, config: Config, prefix: str, lang: str) -> Path:
    """import-outcome.csv: every row read back with what became of it and why (for the departments)."""
    from dataquality.safe_text import csv_value

    path = out / OUTCOME_FILE
    out.mkdir(parents=True, exist_ok=True)
    columns = ("list", "number", "department", "key", "field", "old", "new", "done_by", "done_on", "outcome", "request", "reason")
    with atomic_open(path, "w", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([text(f"returned.col.{c}", lang) for c in columns])
        for c in outcome.corrections:
            number = format_number(c.number, prefix) if c.number is not None else c.row.number
            issue = c.issue or {}
            schema = config.schemas.get(str(issue.get("entity")))
            label = schema.fields[c.field].label(lang) if schema is not None and c.field in schema.fields else c.row.field
            values = (c.row.where, number, c.department, issue.get("key"), label, c.old, c.row.corrected,
                      c.row.done_by, c.row.done_on, text(f"returned.outcome.{c.outcome}", lang), c.request_id, c.reason)
            writer.writerow([csv_value("" if v is None else str(v)) for v in values])
    return path
