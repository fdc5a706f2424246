"""/api/v1/users: accounts, managed by a signed-in administrator; passwords and personal tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from dataquality.approve import accounts
from dataquality.web.api.auth import Me, Svc
from dataquality.web.api.models import (
    AccountOut,
    PasswordIn,
    TokenIn,
    TokenOut,
    UserChange,
    UserIn,
    UserOut,
)

router = APIRouter(tags=["accounts"])
Name = Annotated[str, Path(min_length=1, max_length=200, description="A person of the staff list: name, alias or id.")]


@router.get("/users", response_model=list[UserOut])
def list_users(svc: Svc, account: Me) -> list[UserOut]:
    """Every account: administrators only."""
    if not account.is_admin:
        raise accounts.NotAllowedError("accounts.admin_only", name=account.name)
    return [UserOut(name=u["name"], person_id=u["person_id"], roles=u["roles"].split(","), disabled=u["disabled"],
                    version=u["version"], intact=u["sealed"]) for u in accounts.list_users(svc.store)]


@router.post("/users", response_model=AccountOut, status_code=201)
def add_user(svc: Svc, account: Me, body: UserIn) -> AccountOut:
    """Create an account (administrators only); the event names you as its operator."""
    return AccountOut.of(accounts.add_user(svc.store, svc.policy, body.name, tuple(body.roles), body.password, operator=account))


@router.patch("/users/{name}", response_model=AccountOut)
def change_user(svc: Svc, account: Me, name: Name, body: UserChange) -> AccountOut:
    """Change an account's roles, or disable or enable it (administrators only); its sessions end."""
    return AccountOut.of(accounts.update_user(svc.store, svc.policy, name, roles=tuple(body.roles) if body.roles else None,
                                              disabled=body.disabled, operator=account))


@router.put("/users/{name}/password", response_model=AccountOut)
def set_password(svc: Svc, account: Me, name: Name, body: PasswordIn) -> AccountOut:
    """A new password: your own with the old one, or anyone's as an administrator."""
    return AccountOut.of(accounts.set_password(svc.store, svc.policy, name, body.new_password, operator=account,
                                               old_password=body.old_password))


@router.post("/users/{name}/token", response_model=TokenOut, status_code=201)
def new_token(svc: Svc, account: Me, name: Name, body: TokenIn) -> TokenOut:
    """A personal API token for yourself (shown once; it replaces your previous one and ends your sessions)."""
    person = svc.policy.directory().person(name)
    if person.id != account.person_id:
        raise accounts.NotAllowedError("accounts.token_not_yours", name=account.name, account=person.name)
    return TokenOut(token=accounts.issue_token(svc.store, svc.policy, account, body.days), days=body.days)


@router.delete("/users/{name}/token", response_model=AccountOut)
def revoke_token(svc: Svc, account: Me, name: Name) -> AccountOut:
    """End a person's API token and sessions: your own, or anyone's as an administrator."""
    return AccountOut.of(accounts.revoke_tokens(svc.store, svc.policy, name, operator=account))
