"""Who is calling the API: a personal bearer token or HTTP Basic, checked by approve.accounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from dataquality.approve import accounts
from dataquality.approve.accounts import Account, AccountError, NotAllowedError, SignInError
from dataquality.approve.workflow import WorkflowError
from dataquality.errors import DQError
from dataquality.store import Store

_BEARER = HTTPBearer(auto_error=False, description="A personal token made with dq users token NAME.")
_BASIC = HTTPBasic(auto_error=False, description="A person of the staff list and the account's password.")


@dataclass(frozen=True)
class Service:
    """What the API works on: the store (audit key bound), the policy and configuration, and the
    state folder where submitted files are kept."""

    store: Store
    policy: Any
    config: Any
    state_dir: Path


def service(request: Request) -> Service:
    return request.app.state.service


async def signed_in(request: Request,
                    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
                    basic: Annotated[HTTPBasicCredentials | None, Security(_BASIC)]) -> Account:
    """The account acting: a live token, or a right name and password; 401 otherwise."""
    svc = service(request)
    if bearer is not None:
        found = await run_in_threadpool(accounts.token_account, svc.store, bearer.credentials)
        if found is None:
            raise SignInError("api.bad_token")
        return found
    if basic is not None:
        return await run_in_threadpool(accounts.authenticate, svc.store, svc.policy, basic.username, basic.password)
    raise SignInError("api.sign_in_needed")


Me = Annotated[Account, Depends(signed_in)]
Svc = Annotated[Service, Depends(service)]


def status_of(exc: DQError) -> int:
    """The HTTP status of an error of dq: who you are (401), what you may not (403), what is not
    there (404), what the rules refuse (409), anything else you gave (422)."""
    if isinstance(exc, SignInError):
        return 401
    if isinstance(exc, NotAllowedError):
        return 403
    if exc.key.endswith("not_found") or exc.key in ("accounts.no_account", "apply.unknown_submission"):
        return 404
    if isinstance(exc, (WorkflowError, AccountError)):
        return 409
    return 422
