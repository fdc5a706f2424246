"""/api/v1/entries and /api/v1/sheets: approvals-sheet lines, entered by an importer, confirmed or
declined by the approver each names."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, UploadFile

from dataquality.approve import entries
from dataquality.approve.sheet import import_sheet
from dataquality.approve.submission import keep
from dataquality.i18n import text
from dataquality.web.api.auth import Me, Svc
from dataquality.web.api.models import DeclineIn, EntryOut, RequestOut, SheetLineOut

router = APIRouter(tags=["approvals sheets"])
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/sheets", response_model=list[SheetLineOut])
def import_approvals_sheet(svc: Svc, account: Me, sheet: UploadFile) -> list[SheetLineOut]:
    """Enter the lines of an approvals sheet (xlsx or csv) as the signed-in importer: each waits for
    the named approver's confirmation; refused lines say why."""
    # Kept under the name it was sent with (the entries' source names it), like a submission's files.
    kept = keep(svc.state_dir, sheet.file, sheet.filename or "approvals.xlsx")
    outcomes = import_sheet(svc.store, svc.policy, svc.config, kept, "en", importer=account)
    return [SheetLineOut(row=o.row, request=o.request_id, decision=o.decision, entered=o.ok, key=o.key,
                         params={k: v if isinstance(v, (str, int, float, dict, type(None))) else str(v)
                                 for k, v in o.params.items()},
                         message=text(o.key, "en", **o.params)) for o in outcomes]


@router.get("/entries", response_model=list[EntryOut])
def awaiting(svc: Svc, account: Me) -> list[EntryOut]:
    """Sheet lines naming the signed-in person that wait for his confirmation."""
    return [EntryOut.of(e) for e in entries.awaiting(svc.store, account)]


@router.post("/entries/{entry_id}/confirm", response_model=RequestOut)
def confirm(svc: Svc, account: Me, entry_id: EntryId) -> RequestOut:
    """Make the line your decision: it is recorded as your approval or rejection."""
    return RequestOut.of(entries.confirm(svc.store, svc.policy, account, entry_id))


@router.post("/entries/{entry_id}/decline", status_code=204)
def decline(svc: Svc, account: Me, entry_id: EntryId, body: DeclineIn) -> None:
    """Say the line is not your decision: it closes without counting."""
    entries.decline(svc.store, account, entry_id, body.reason)
