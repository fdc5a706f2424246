"""The JSON API's request and response bodies (pydantic): FastAPI derives the OpenAPI document
(/api/v1/openapi.json) from them and from the typed handlers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Health(BaseModel):
    ok: bool


class AccountOut(BaseModel):
    """A signed-in person (or an account an administrator manages)."""

    name: str
    person_id: str
    roles: list[str]

    @classmethod
    def of(cls, account: Any) -> AccountOut:
        return cls(name=account.name, person_id=account.person_id, roles=list(account.roles))


class UserOut(AccountOut):
    """An account as `dq users list` shows it."""

    disabled: bool
    version: int
    intact: bool | None = Field(None, description="The row's seal holds and it says what its newest account event says.")


class RequestOut(BaseModel):
    """A change request and what its approvals amount to now."""

    id: int
    entity: str
    key: str
    field: str
    kind: str
    old: str | None
    new: str | None
    tier: int
    requested_by: str | None = Field(None, description="Who the file names as asking for the change (information).")
    submitted_by: str | None = Field(None, description="The signed-in person who submitted it.")
    status: str
    required: list[str]
    present: list[str]
    stale: list[str]
    missing: list[str]
    rejected_by: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, v: Any) -> RequestOut:
        return cls(id=v.id, entity=v.entity, key=v.key, field=v.field, kind=v.kind, old=v.old, new=v.new, tier=v.tier,
                   requested_by=v.requested_by, submitted_by=v.submitted_by, status=v.status, required=list(v.required),
                   present=[f"{p} ({r})" for p, r in v.present], stale=[f"{p} ({r})" for p, r in v.stale],
                   missing=list(v.missing), rejected_by=v.rejected_by, reason=v.reason)


class ApproveIn(BaseModel):
    role: str | None = Field(None, description="L1, L2, L3 (or 部门经理/财务总监/总经理); default: the account's only approval role.")
    comment: str | None = None


class RejectIn(BaseModel):
    reason: str = Field(min_length=1)
    role: str | None = None


class WithdrawIn(BaseModel):
    reason: str = Field(min_length=1)


class SubmissionOut(BaseModel):
    """What a submission did."""

    submission: int
    created: list[int]
    revised: list[int]
    unchanged: list[int]
    withdrawn: list[int]
    kept_open: list[int]
    no_approval: int


class SheetLineOut(BaseModel):
    """What became of one line of an approvals sheet (entered, or refused and why)."""

    row: int
    request: int | None
    decision: str
    entered: bool
    key: str
    params: dict[str, Any]
    message: str


class EntryOut(BaseModel):
    """An approvals-sheet line awaiting the named approver's confirmation."""

    id: int
    request: int
    entity: str
    key: str
    field: str
    old: str | None
    new: str | None
    approver: str
    role: str
    decision: str
    comment: str | None
    decided_at: str
    source: str
    status: str

    @classmethod
    def of(cls, e: Any) -> EntryOut:
        return cls(id=e.id, request=e.request_id, entity=e.entity, key=e.key, field=e.field, old=e.old, new=e.new,
                   approver=e.approver, role=e.role, decision=e.decision, comment=e.comment, decided_at=e.decided_at,
                   source=e.source, status=e.status)


class DeclineIn(BaseModel):
    reason: str | None = None


class UserIn(BaseModel):
    name: str = Field(description="A person of the staff list: name, alias or id.")
    roles: list[str] = Field(default_factory=list, description="Approval levels and system roles (admin); none: submits only.")
    password: str


class UserChange(BaseModel):
    roles: list[str] | None = None
    disabled: bool | None = None


class PasswordIn(BaseModel):
    new_password: str
    old_password: str | None = Field(None, description="Needed unless an administrator sets it.")


class TokenIn(BaseModel):
    days: float = Field(90, gt=0, le=366)


class TokenOut(BaseModel):
    token: str = Field(description="Shown once; dq keeps only its sha256.")
    days: float


class Problem(BaseModel):
    """An error: a message key of dq's catalogue with its parameters, and the text in both languages."""

    error: str
    params: dict[str, Any]
    message: str
    message_zh: str
    exit_code: int
