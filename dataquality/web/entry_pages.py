"""The inbox's forms for approvals-sheet lines: the named approver confirms a line (it becomes his
approval or rejection) or declines it, signed in, with the session's CSRF token."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dataquality.approve import entries
from dataquality.errors import DQError
from dataquality.i18n import text


class Pages(Protocol):
    """What these handlers use of the inbox app (web/app.py `_Web`)."""

    store: Any
    policy: Any

    async def current(self, request: Request) -> Any: ...
    def csrf_ok(self, expected: str, form: Any) -> bool: ...
    def forbidden(self, request: Request) -> Response: ...
    def lang(self, request: Request) -> str: ...
    def page(self, request: Request, name: str, status: int = 200, **ctx: Any) -> Response: ...


async def decide(web: Pages, request: Request) -> Response:
    """POST /entries/{id}/confirm|decline."""
    found = await web.current(request)
    if isinstance(found, Response):
        return found
    account, csrf = found
    form = await request.form()
    if not web.csrf_ok(csrf, form):
        return web.forbidden(request)
    action = request.path_params["action"]
    raw = str(request.path_params["id"])
    lang = web.lang(request)
    if action not in ("confirm", "decline") or not raw.isdigit() or not 0 < int(raw) < 2**63:
        return web.page(request, "message.html", status=404, account=account, csrf=csrf,
                        title=text("web.not_found_title", lang), message=text("entries.not_found", lang, id=raw[:40]))
    entry_id = int(raw)
    try:
        if action == "confirm":
            await run_in_threadpool(entries.confirm, web.store, web.policy, account, entry_id)
        else:
            await run_in_threadpool(entries.decline, web.store, account, entry_id, str(form.get("reason") or ""))
    except DQError as exc:
        return web.page(request, "message.html", status=409, account=account, csrf=csrf,
                        title=text("web.forbidden", lang), message=exc.message(lang))
    return RedirectResponse(f"/?done={action}-entry-{entry_id}", status_code=303)
