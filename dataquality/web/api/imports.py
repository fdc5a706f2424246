"""/api/v1/imports: the import desk for ERP integrations and scripts (issue 24), as the signed-in
clerk. What each route does is in dataquality/desk/; a clerk reaches only his own imports (another
clerk's import is 404), an administrator every import."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, UploadFile
from fastapi.responses import FileResponse, Response

from dataquality.desk import actions, finish, intake, jobs
from dataquality.desk.jobs import Job
from dataquality.issue import to_dicts
from dataquality.web.api.auth import Me, Svc
from dataquality.web.api.desk_models import (
    CellIn,
    FixIn,
    FixOut,
    ImportListed,
    ImportOut,
    ImportSubmitted,
    RoutedOut,
    RowIssues,
    TableOut,
)

router = APIRouter(tags=["imports"])
ImportId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[0-9a-f]+$")]
Lang = Annotated[Literal["en", "zh"], Query()]
MAX_MAPPING_BYTES = 1024 * 1024


def _job(svc: Any, account: Any, import_id: str) -> Job:
    return jobs.get(svc.store, svc.state_dir, import_id, account)


@router.post("/imports", response_model=ImportOut, status_code=201)
def create_import(svc: Svc, account: Me, file: UploadFile, mapping: UploadFile | None = None) -> ImportOut:
    """Upload a file (xlsx, xlsm, xls, ods, csv/tsv) with an optional mapping file (YAML, as dq map
    writes it): read through the CLI's limits, checked, kept as an import of the signed-in clerk."""
    mapping_text = mapping.file.read(MAX_MAPPING_BYTES + 1) if mapping is not None else None
    if mapping_text is not None and len(mapping_text) > MAX_MAPPING_BYTES:
        raise jobs.DeskError("desk.too_large", limit=1)
    job, known = intake.create(svc.store, svc.state_dir, svc.config, account, file.file, file.filename or "upload.xlsx",
                               mapping_text, svc.desk_expire_hours, svc.max_upload_bytes)
    bench = actions.bench_of(svc.store, job, svc.config)
    result = bench.result()
    return ImportOut(id=job.id, file=job.file_name, remembered_layout=known is not None,
                     tables=[TableOut(sheet=t.sheet, entity=t.entity, header_row=t.header_row, records=len(t),
                                      mapping={letter: field for field, letter in t.columns.items()}) for t in result.tables],
                     summary=result.summary())


@router.get("/imports", response_model=list[ImportListed])
def list_imports(svc: Svc, account: Me) -> list[ImportListed]:
    """The signed-in clerk's imports (an administrator's: every import), newest first."""
    if not jobs.may_use_desk(account):
        from dataquality.approve.accounts import NotAllowedError

        raise NotAllowedError("desk.clerks_only")
    return [ImportListed(id=j.id, file=j.file_name, owner=j.owner_name, created_at=j.created_at, expires_at=j.expires_at,
                         submission=j.submission_id) for j in jobs.listing(svc.store, svc.state_dir, account)]


@router.get("/imports/{import_id}/issues", responses={200: {"content": {"application/json": {}},
                                                            "description": "The JSON report of the spec (as dq validate -f json)."}})
def import_issues(svc: Svc, account: Me, import_id: ImportId, lang: Lang = "en") -> Response:
    """The JSON report of the import's current values: identical to `dq validate -f json` on the same
    file and mapping (before any edit)."""
    from dataquality.report.json_report import encode_report

    job = _job(svc, account, import_id)
    bench = actions.bench_of(svc.store, job, svc.config)
    result = bench.result()
    result.files = [job.path.relative_to(job.folder)]
    return Response(encode_report(result, lang) + b"\n", media_type="application/json")


@router.patch("/imports/{import_id}/cells", response_model=RowIssues)
def edit_cell(svc: Svc, account: Me, import_id: ImportId, body: CellIn, lang: Lang = "en") -> RowIssues:
    """Put a value in one cell: kept as the clerk's edit (undoable, audited); the row is checked
    again at once, with the record rules for the rows it involves. Returns the row's issues."""
    job = _job(svc, account, import_id)
    _, found = actions.edit_cell(svc.store, svc.config, account, job, body.sheet, body.row, body.field, body.value)
    return RowIssues(sheet=body.sheet, row=body.row, issues=to_dicts(found, lang))


@router.post("/imports/{import_id}/undo")
def undo(svc: Svc, account: Me, import_id: ImportId) -> dict[str, int]:
    """Undo the clerk's newest edit, fix or value mapping; how many cells changed back."""
    job = _job(svc, account, import_id)
    return {"cells": actions.undo(svc.store, svc.config, account, job)}


@router.post("/imports/{import_id}/fix", response_model=FixOut)
def fix(svc: Svc, account: Me, import_id: ImportId, body: FixIn | None = None) -> FixOut:
    """Apply the certain fixes (those dq fix makes): all, or one rule's, one field's or one cell's;
    with preview only list them."""
    body = body or FixIn()
    job = _job(svc, account, import_id)
    bench = actions.bench_of(svc.store, job, svc.config)
    tbl = bench.table_of_sheet(body.sheet) if body.sheet is not None else None
    proposed = actions.proposed_fixes(bench, body.scope, tbl, body.row, body.field, body.rule)
    listed = [{"sheet": p.sheet, "row": p.row, "column": p.column, "field": p.field, "old": p.old, "new": p.new,
               "rules": list(p.rules)} for p in proposed]
    if body.preview:
        return FixOut(count=len(proposed), applied=False, fixes=listed)
    count = actions.apply_fixes(svc.store, svc.config, account, job, proposed)
    return FixOut(count=count, applied=True, fixes=listed)


@router.get("/imports/{import_id}/download", response_class=FileResponse,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def download(svc: Svc, account: Me, import_id: ImportId,
             kind: Annotated[Literal["fixed", "annotated", "corrections"], Query()] = "fixed", lang: Lang = "en") -> FileResponse:
    """The clerk's workbook with the corrected cells (as dq fix writes it), the annotated workbook,
    or the correction lists per department (a zip)."""
    job = _job(svc, account, import_id)
    bench = actions.bench_of(svc.store, job, svc.config)
    path, name = finish.download(svc.store, svc.config, bench, kind, lang)
    media = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12", ".csv": "text/csv", ".zip": "application/zip"}
    return FileResponse(path, media_type=media.get(path.suffix.lower(), "application/octet-stream"), filename=name)


@router.get("/imports/{import_id}/changes", response_model=list[RoutedOut])
def changes(svc: Svc, account: Me, import_id: ImportId) -> list[RoutedOut]:
    """Each sensitive change against the project's approved master, with its tier and roles."""
    job = _job(svc, account, import_id)
    bench = actions.bench_of(svc.store, job, svc.config)
    return [RoutedOut.of(r) for r in finish.compare(svc.store, svc.config, svc.policy, bench, svc.baseline)]


@router.post("/imports/{import_id}/submit", response_model=ImportSubmitted)
def submit(svc: Svc, account: Me, import_id: ImportId) -> ImportSubmitted:
    """Submit the change requests of the import against the project's baseline, as the clerk."""
    job = _job(svc, account, import_id)
    bench = actions.bench_of(svc.store, job, svc.config)
    routed = finish.compare(svc.store, svc.config, svc.policy, bench, svc.baseline)
    res: Any = finish.submit(svc.store, svc.state_dir, svc.config, svc.policy, account, job, bench, svc.baseline)
    return ImportSubmitted(submission=res.submission_id, created=list(res.created), revised=list(res.revised),
                           unchanged=list(res.unchanged), withdrawn=list(res.withdrawn), no_approval=res.no_approval,
                           routed=[RoutedOut.of(r) for r in routed])
