"""Making a job from an upload, and the clerk's choice of sheet, header row, entity and columns.

An upload is read as the CLI reads a file (the same loader, the same resource limits); a file that
cannot be read, or a mapping file that is wrong, leaves nothing behind. A layout the desk has seen
and the clerk confirmed is applied at once (mapping and value mapping), and the job says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, BinaryIO

from dataquality.approve.accounts import Account
from dataquality.config import Config
from dataquality.desk import jobs, layouts
from dataquality.desk.jobs import DeskError, Job
from dataquality.load.grid import iter_grids, read_csv_grid, sniff_kind
from dataquality.load.table import Table
from dataquality.store import Store

PREVIEW_ROWS = 30


def sheet_headers(table: Table) -> list[str]:
    """Every header cell of a loaded table's header row (the fields' and the unknown columns')."""
    return [*table.headers.values(), *(h for _, h in table.unknown_columns), *(h for _, h, _ in table.duplicate_columns)]


def key_of(table: Table) -> str:
    return layouts.layout_key(sheet_headers(table), table.header_row, table.entity)


def _load(path: Path, config: Config, mappings: Any) -> Any:
    """The pipeline's load stage over an upload (the CLI's reader and limits): its Result, or the
    first problem as an error when nothing of it could be read as a master."""
    from dataquality.pipeline import LOAD, run_stages

    result = run_stages(config, [path], "en", stages=(LOAD,), mappings=mappings).result
    if not result.tables:
        problem = next((i for i in result.issues if "error_key" in i.params), None)
        if problem is not None:
            raise DeskError(str(problem.params["error_key"]), **dict(problem.params["error_params"]))
        raise DeskError("desk.no_tables", file=path.name)
    return result


def _read(path: Path, config: Config, mappings: Any) -> list[Table]:
    return _load(path, config, mappings).tables


def create(store: Store, state_dir: Path, config: Config, account: Account, stream: BinaryIO, name: str,
           mapping_text: bytes | None = None, expire_hours: float = jobs.EXPIRE_HOURS,
           max_bytes: int = jobs.MAX_UPLOAD_BYTES) -> tuple[Job, layouts.Layout | None]:
    """Keep the upload, read it, apply a mapping file or a remembered layout, and record the job.
    Returns the job and the layout it was recognised as (None: a new layout)."""
    from dataquality.load.mapping import read_mappings

    if not jobs.may_use_desk(account):
        from dataquality.approve.accounts import NotAllowedError

        raise NotAllowedError("desk.clerks_only")
    jobs.expire(store, state_dir)
    job_id, path, size = jobs.store_upload(state_dir, stream, name, max_bytes)
    try:
        mappings = None
        if mapping_text is not None:
            mapping_path = path.parent / "mapping.yaml"
            mapping_path.write_bytes(mapping_text)
            mappings = read_mappings([mapping_path], config)
        loaded = _load(path, config, mappings)
        tables = loaded.tables
        known = None
        if mappings is not None:
            choice = {"sheets": [_sheet_dict(m, path.name) for m in mappings.sheets]}
        else:
            known = layouts.recall(store, key_of(tables[0]))
            choice = {"sheets": [_layout_sheet(known, tables[0], path.name)], "values": dict(known.values)} if known else {}
    except BaseException:  # unreadable, a wrong mapping, interrupted: nothing of the upload is kept
        jobs.discard(path)
        raise
    job = jobs.record(store, state_dir, account, job_id, path, size, path.name, choice, mappings is not None or known is not None,
                      key_of(tables[0]), expire_hours)
    if known is None:  # read with the job's own mapping already: the workbench starts from it
        from dataquality.desk.actions import live_edits
        from dataquality.desk.bench import open_bench

        open_bench(job, config, lambda: live_edits(store, job.id), loaded)
    elif known.values:  # the layout's value mapping, applied as the clerk's own batch
        from dataquality.desk.actions import map_values

        for field, pairs in known.values.items():
            map_values(store, config, account, job, 0, field, dict(pairs))
    return job, known


def _sheet_dict(m: Any, file_name: str) -> dict[str, Any]:
    d = dataclasses.asdict(m)
    d["columns"] = dict(m.columns)
    d["headers"] = list(m.headers)
    d.pop("source", None)
    return d


def _layout_sheet(layout: layouts.Layout, table: Table, file_name: str) -> dict[str, Any]:
    return {"file": file_name, "sheet": table.sheet, "entity": layout.entity, "header_row": layout.header_row,
            "columns": dict(layout.columns), "headers": []}


def choose(store: Store, config: Config, job: Job, sheet: str | None, header_row: int | None, entity: str | None,
           columns: dict[str, str | None] | None = None, confirmed: bool = False,
           values: dict[str, dict[str, str]] | None = None) -> Job:
    """The clerk's sheet, header row and entity (and, when confirming, the columns): the job is read
    again with them; an impossible choice (no such sheet or entity, nothing there) changes nothing."""
    from dataquality.desk.bench import forget

    if entity is not None and entity not in config.schemas:
        raise DeskError("desk.bad_entity", entity=str(entity)[:64], known=", ".join(config.schemas))
    if header_row is not None and not 1 <= header_row <= 1_048_576:
        raise DeskError("desk.bad_header_row", row=header_row)
    entry = {"file": job.path.name, "sheet": sheet, "entity": entity, "header_row": header_row,
             "columns": dict(columns or {}), "headers": []}
    choice = {"sheets": [entry], "values": dict(values if values is not None else job.choice.get("values") or {})}
    trial = dataclasses.replace(job, choice=choice)
    from dataquality.desk.bench import mappings_of

    tables = _read(job.path, config, mappings_of(trial))
    if sheet is not None and not any(t.sheet == sheet for t in tables):
        raise DeskError("desk.nothing_on_sheet", sheet=str(sheet)[:80])
    table = next((t for t in tables if t.sheet == sheet), tables[0])
    jobs.set_choice(store, job, choice, confirmed, key_of(table))
    forget(job.id)
    return dataclasses.replace(job, choice=choice, confirmed=confirmed, layout_key=key_of(table))


def confirm(store: Store, config: Config, account: Account, job: Job, table: Table,
            columns: dict[str, str | None], values: dict[str, dict[str, str]]) -> Job:
    """The clerk confirms the columns (and the value mapping): saved for the job and remembered for
    the layout, so the next upload of it skips this step."""
    job = choose(store, config, job, table.sheet, table.header_row, table.entity, columns, True, values)
    layouts.remember(store, layouts.Layout(key_of(table), table.entity, table.header_row, tuple(sheet_headers(table)),
                                           columns, values), account.name)
    return job


def preview(path: Path, sheet: str | None, around: int, rows: int = PREVIEW_ROWS) -> tuple[list[str | None], list[tuple[int, list[str]]]]:
    """The sheets of the file and the first rows of `sheet` (up to `around` + a few), as text."""
    kind = sniff_kind(path)
    names: list[str | None] = []
    grid = None
    for ref, book in iter_grids(path, kind):
        names.append(ref.name)
        if grid is None and (ref.name == sheet or sheet is None):
            grid = read_csv_grid(path).head(max(rows, around + 5)) if book is None else book.grid(ref, max(rows, around + 5))
    if grid is None:
        return names, []
    out = []
    for number, values in zip(range(1, len(grid) + 1), grid.itertuples(index=False), strict=False):
        out.append((number, ["" if v is None or v != v else str(v) for v in values]))
    return names, out
