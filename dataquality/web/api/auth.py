"""Who is calling the API: a personal bearer token or HTTP Basic, checked by approve.accounts."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from starlette.concurrency import run_in_threadpool

from dataquality.approve import accounts, workflow
from dataquality.approve.accounts import Account, AccountError, NotAllowedError, SignInError
from dataquality.approve.workflow import WorkflowError
from dataquality.errors import DQError
from dataquality.store import Store
from dataquality.web.throttle import SignInGate


class _Utf8Basic(HTTPBasic):
    """HTTP Basic whose name and password are UTF-8 (RFC 7617's charset="UTF-8"): staff names are
    Chinese; FastAPI's own reads ASCII only."""

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        scheme, _, param = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, sep, password = base64.b64decode(param.strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise SignInError("api.sign_in_needed") from None
        if not sep:
            raise SignInError("api.sign_in_needed")
        return HTTPBasicCredentials(username=name, password=password)


_BEARER = HTTPBearer(auto_error=False, description="A personal token made with dq users token NAME.")
_BASIC = _Utf8Basic(auto_error=False, description="A person of the staff list and the account's password (UTF-8).")


@dataclass(frozen=True)
class Service:
    """What the API works on: the store (audit key bound), the policy and configuration, and the
    state folder where submitted files are kept."""

    store: Store
    policy: Any
    config: Any
    state_dir: Path
    gate: SignInGate  # the inbox's: a password guessed here is throttled as on the sign-in page
    baseline: Path | None = None  # the project's approved master: what an import is compared with
    desk_expire_hours: float = 72.0  # dq.yaml desk.expire_hours: imports are removed after this
    max_upload_bytes: int = 512 * 1024 * 1024


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
        name, password = basic.username, basic.password
        return await svc.gate.attempt(request.client.host if request.client else "-",
                                      workflow.person_key(name, svc.policy.people),
                                      lambda: accounts.authenticate(svc.store, svc.policy, name, password))
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
