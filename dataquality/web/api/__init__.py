"""The JSON API of `dq serve` (/api/v1): how the CLI - and any script - acts as a signed-in person
through the service that holds the audit key, instead of reading the key itself.

FastAPI, mounted on the inbox's Starlette app; the OpenAPI document is generated from the typed
handlers and pydantic models at /api/v1/openapi.json. Every request signs in with a personal
bearer token (`dq users token`) or HTTP Basic (name and password, checked like the sign-in page).
No cookie is ever read here, so no other site can make a browser act through the API. Routes only
parse and render: what they do is in dataquality/approve/. Routers per concern (requests, entries,
submissions, users) so that a later one (imports, a `clerk` role) is one more module.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from dataquality.errors import DQError
from dataquality.web.api import entries, imports, requests, submissions, users
from dataquality.web.api.auth import Service, status_of
from dataquality.web.api.models import Problem
from dataquality.web.throttle import SignInThrottled

PREFIX = "/api/v1"
# The routes that receive files (a change set's workbooks, an approvals sheet): the guard lets their
# bodies be as large as a master, declared and streamed (web/security.py).
UPLOAD_PATHS = ("/submissions", "/sheets", "/imports")


def create_api(service: Service) -> FastAPI:
    """The API app over `service` (the store with its key bound, the policy, the configuration)."""
    api = FastAPI(title="dq approvals API", version="1", openapi_url="/openapi.json", docs_url=None, redoc_url=None,
                  description="Change requests, approvals, approvals-sheet entries, submissions and accounts of dq, "
                              "acting as the signed-in person (bearer token or HTTP Basic).")
    api.state.service = service

    @api.exception_handler(DQError)
    async def dq_error(_request: Request, exc: DQError) -> JSONResponse:
        body = Problem(error=exc.key, params=_plain(exc.params), message=exc.message("en"), message_zh=exc.message("zh"),
                       exit_code=exc.exit_code)
        status = status_of(exc)
        if isinstance(exc, SignInThrottled):
            headers = {"Retry-After": str(exc.retry_after)}
            return JSONResponse(body.model_dump(), status_code=429, headers=headers)
        # Bearer only: a Basic challenge would make a browser offer (and then keep sending) a password.
        headers = {"WWW-Authenticate": 'Bearer realm="dq"'} if status == 401 else None
        return JSONResponse(body.model_dump(), status_code=status, headers=headers)

    @api.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # A body or parameter the handlers' types refuse: said like any other refusal of dq.
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors())[:500]
        return await dq_error(request, DQError("api.bad_request", detail=detail))

    for module in (requests, entries, submissions, users, imports):
        api.include_router(module.router)
    return api


def _plain(params: dict) -> dict:
    """Parameters as JSON: texts given per language stay mappings, anything else becomes text."""
    out = {}
    for k, v in params.items():
        out[k] = v if isinstance(v, (str, int, float, bool, type(None), dict, list)) else str(v)
    return out
