"""Finishing a job: the clerk's own workbook with the corrected cells (written as `dq fix` writes
it), the annotated workbook, the correction lists, the JSON report; the comparison with the
project's approved master (each sensitive change with its tier and the roles that must approve
it) and the submission of the change requests, as the signed-in clerk."""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dataquality.approve import audit
from dataquality.approve.accounts import Account
from dataquality.approve.changes import Change
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.desk import jobs
from dataquality.desk.actions import live_edits
from dataquality.desk.bench import Workbench
from dataquality.desk.jobs import DeskError, Job
from dataquality.fix import CellChange, FixPlan
from dataquality.i18n import text
from dataquality.load.grid import sniff_kind
from dataquality.store import Store

KINDS = ("fixed", "annotated", "corrections")


@dataclass(frozen=True)
class Routed:
    """A change that needs approval, as the clerk sees it before submitting: the change set's own
    Change (its tier among its fields) and the roles that must approve it."""

    change: Change
    roles: tuple[str, ...]


def changes(store: Store, bench: Workbench) -> list[CellChange]:
    """Every cell whose value differs from the upload, with the rules of the fixes that changed it
    (a clerk's own edit says so instead)."""
    rules: dict[tuple[str | None, int, str], list[str]] = {}
    edited: set[tuple[str | None, int, str]] = set()
    from sqlalchemy import select

    from dataquality.desk.db import edits

    with store.transaction() as conn:
        for r in conn.execute(select(edits.c.sheet, edits.c.row, edits.c.field, edits.c.kind, edits.c.rules)
                              .where(edits.c.job_id == bench.job.id, edits.c.undone == 0).order_by(edits.c.id)):
            cell = (r.sheet, r.row, r.field)
            if r.kind == "fix":
                rules.setdefault(cell, [])
                rules[cell] += [c for c in (r.rules or "").split(",") if c and c not in rules[cell]]
            else:
                edited.add(cell)
    out = []
    for sheet, row, field in sorted({(s, r, f) for s, r, f, _ in live_edits(store, bench.job.id)},
                                    key=lambda c: (c[0] or "", c[1], c[2])):
        tbl = bench.table_of_sheet(sheet)
        if tbl < 0 or not bench.has_cell(tbl, row, field):
            continue
        old, new = bench.original(tbl, row, field), bench.value(tbl, row, field)
        if old == new or new is None:
            continue
        t = bench.tables[tbl]
        said = None if (sheet, row, field) not in edited else text("desk.edited_note", "zh") + " / " + text("desk.edited_note", "en")
        out.append(CellChange(t.file, sheet, row, t.columns[field], t.entity, field, old, new,
                              tuple(rules.get((sheet, row, field), ())), said))
    return out


def fixed_copy(store: Store, config: Config, bench: Workbench, target: Path, lang: str) -> Path:
    """The clerk's workbook with every changed cell, written by `dq fix`'s writer (styles, formulas,
    other sheets kept; each changed cell marked and listed on the Changes sheet)."""
    from dataquality.fix import write

    kind = sniff_kind(bench.job.path)
    if kind not in ("xlsx", "csv"):
        raise DeskError("desk.no_fixed_copy", file=bench.job.file_name)
    plan = FixPlan(bench.job.path, changes(store, bench), bench.result(), [])
    written = write(plan, target, config, lang)
    return written[0]


def download(store: Store, config: Config, bench: Workbench, kind: str, lang: str) -> tuple[Path, str]:
    """A download of the job, written into its folder: (path, file name to offer)."""
    if kind not in KINDS:
        raise DeskError("desk.bad_kind", kind=str(kind)[:20], kinds=", ".join(KINDS))
    folder = bench.job.folder / "out"
    folder.mkdir(exist_ok=True, mode=0o700)
    source = bench.job.path
    suffix = ".csv" if sniff_kind(source) == "csv" else (".xlsm" if source.suffix.lower() == ".xlsm" else ".xlsx")
    with bench.lock:
        if kind == "fixed":
            target = folder / f"{source.stem}.fixed{suffix}"
            return fixed_copy(store, config, bench, target, lang), target.name
        result = bench.result()
        if kind == "annotated":
            from dataquality.report.annotated_xlsx import annotate

            target = folder / f"{source.stem}.annotated{'.xlsm' if suffix == '.xlsm' else '.xlsx'}"
            annotate(source, target, result.issues, lang)
            return target, target.name
        from dataquality.report.corrections import write_lists

        lists = folder / "corrections"
        shutil.rmtree(lists, ignore_errors=True)
        written = write_lists(result, lists, lang)
        target = folder / f"{source.stem}.corrections.zip"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for path in written:
                z.write(path, path.relative_to(lists).as_posix())
        tmp = target.with_suffix(".partial")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(target)
        return target, target.name


def incoming_copy(store: Store, config: Config, bench: Workbench) -> Path:
    """The job's current values as the workbook a change set is computed from: the corrected copy of
    the clerk's file when dq reads it as it is; with a mapping (the clerk's, a layout's, a mapping
    file), or a file dq cannot write back, a workbook of the tables under their field names, which
    every later reader (dq changes, dq apply) reads the same way without the mapping."""
    source = bench.job.path
    kind = sniff_kind(source)
    folder = bench.job.folder / "out"
    folder.mkdir(exist_ok=True, mode=0o700)
    if kind in ("xlsx", "csv") and not bench.job.choice.get("sheets"):
        return fixed_copy(store, config, bench, folder / f"{source.stem}.incoming{'.csv' if kind == 'csv' else '.xlsx'}", "en")
    return tables_copy(bench, folder / f"{source.stem}.incoming.xlsx")


def tables_copy(bench: Workbench, target: Path) -> Path:
    """The current tables as a workbook: one sheet each, headed by field names, every value as text."""
    import xlsxwriter

    from dataquality.fileio import atomic_path

    with atomic_path(target) as tmp:
        # Values are data: nothing becomes a formula, a number or a link on the way out.
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                              "strings_to_urls": False})
        text_format = book.add_format({"num_format": "@"})
        for n, table in enumerate(bench.tables):
            sheet = book.add_worksheet(table.entity if n == 0 else f"{table.entity}{n + 1}")
            fields = [f for f in table.data.columns if f not in table.derived]
            for col, field in enumerate(fields):
                sheet.write_string(0, col, field.split("#")[0])
                sheet.write_column(1, col, table.data[field].fillna("").astype(str).tolist(), text_format)
        book.close()
    return target


def compare(store: Store, config: Config, policy: ApprovalPolicy, bench: Workbench, baseline: Path | None) -> list[Routed]:
    """Each sensitive change of the job against the approved master, with its tier and roles."""
    from dataquality.approve.changes import load_change_set

    if baseline is None:
        raise DeskError("desk.no_baseline")
    incoming = incoming_copy(store, config, bench)
    found, _, _ = load_change_set(incoming, Path(baseline), config, policy, "en")
    return [Routed(c, tuple(r.code for r in policy.required_roles(c.tier))) for c in found if c.tier > 0]


def submit(store: Store, state_dir: Path, config: Config, policy: ApprovalPolicy, account: Account, job: Job,
           bench: Workbench, baseline: Path | None) -> object:
    """Submit the job's change set as the signed-in clerk (through approve/submission)."""
    from dataquality.approve.submission import keep_path, submit_files

    if baseline is None:
        raise DeskError("desk.no_baseline")
    incoming = keep_path(state_dir, incoming_copy(store, config, bench))
    base = keep_path(state_dir, Path(baseline))
    res = submit_files(store, config, policy, account, incoming, base)
    with store.transaction() as conn:
        audit.append(conn, "desk_submit", actor=account.name, entity="import", key=job.id,
                     data={"submission": res.submission_id, "created": list(res.created), "revised": list(res.revised)})
    if res.submission_id is not None:
        jobs.set_submission(store, job, res.submission_id)
    return res
