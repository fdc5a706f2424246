"""/api/v1/submissions: a change set submitted by the signed-in person, with its two files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, UploadFile

from dataquality.approve.submission import keep, submit_files
from dataquality.web.api.auth import Me, Svc
from dataquality.web.api.models import SubmissionOut

router = APIRouter(tags=["submissions"])


@router.post("/submissions", response_model=SubmissionOut)
def submit(svc: Svc, account: Me, incoming: UploadFile, baseline: UploadFile,
           requested_by: Annotated[str | None, Form(description="Who asked, where the file has no 申请人 column (information).")] = None,
           ) -> SubmissionOut:
    """Submit the change set from `baseline` (the last approved master) to `incoming`: the service
    keeps both files, records a request for every change that needs approval, and withdraws only
    the submitter's own pending requests that the file no longer holds."""
    inc = keep(svc.state_dir, incoming.file, incoming.filename or "incoming.xlsx")
    base = keep(svc.state_dir, baseline.file, baseline.filename or "baseline.xlsx")
    res = submit_files(svc.store, svc.config, svc.policy, account, inc, base, requested_by or None)
    return SubmissionOut(submission=res.submission_id, created=list(res.created), revised=list(res.revised),
                         unchanged=list(res.unchanged), withdrawn=list(res.withdrawn), kept_open=list(res.kept_open),
                         no_approval=res.no_approval)
