"""/api/v1/requests: change requests, and deciding on them as the signed-in person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from dataquality.approve import acting, workflow
from dataquality.web.api.auth import Me, Svc
from dataquality.web.api.models import (
    AccountOut,
    ApproveIn,
    Health,
    RejectIn,
    RequestOut,
    WithdrawIn,
)

router = APIRouter(tags=["requests"])
RequestId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/health", response_model=Health, tags=["service"])
def health() -> Health:
    """Whether the service answers (no sign-in needed): the CLI asks before it asks for a password."""
    return Health(ok=True)


@router.get("/me", response_model=AccountOut, tags=["accounts"])
def me(account: Me) -> AccountOut:
    """The signed-in person and the roles the account holds."""
    return AccountOut.of(account)


@router.get("/requests", response_model=list[RequestOut])
def list_requests(svc: Svc, _account: Me, pending: bool = False, role: str | None = None,
                  entity: Annotated[str | None, Query(max_length=64)] = None) -> list[RequestOut]:
    """Requests with their approvals; `pending`, or only those still missing `role`."""
    return [RequestOut.of(v) for v in workflow.list_requests(svc.store, svc.policy, pending=pending, role=role, entity=entity)]


@router.get("/requests/{request_id}", response_model=RequestOut)
def get_request(svc: Svc, _account: Me, request_id: RequestId) -> RequestOut:
    """One request."""
    return RequestOut.of(workflow.request_view(svc.store, svc.policy, request_id))


@router.post("/requests/{request_id}/approve", response_model=RequestOut)
def approve(svc: Svc, account: Me, request_id: RequestId, body: ApproveIn) -> RequestOut:
    """Approve at one level, in a role the account holds."""
    acting.known_role(svc.policy, body.role)
    return RequestOut.of(acting.approve_as(svc.store, svc.policy, account, request_id, body.role, body.comment, source="api"))


@router.post("/requests/{request_id}/reject", response_model=RequestOut)
def reject(svc: Svc, account: Me, request_id: RequestId, body: RejectIn) -> RequestOut:
    """Reject: final; the change never reaches the master."""
    acting.known_role(svc.policy, body.role)
    return RequestOut.of(acting.reject_as(svc.store, svc.policy, account, request_id, body.reason, body.role, source="api"))


@router.post("/requests/{request_id}/withdraw", response_model=RequestOut)
def withdraw(svc: Svc, account: Me, request_id: RequestId, body: WithdrawIn) -> RequestOut:
    """Withdraw an open request: its submitter, or an administrator."""
    return RequestOut.of(acting.withdraw_as(svc.store, svc.policy, account, request_id, body.reason))
