"""`dq serve`: the approvers' web inbox (Starlette + Jinja2, no JavaScript).

A person signs in (argon2-checked password, or a header set by a trusted reverse proxy when
enabled), gets a server-side session (a random cookie; the database keeps its hash, its expiry
and its CSRF token), and sees the requests waiting for a role their account holds. Every form
carries the session's CSRF token and a POST without the right one is refused; the sign-in form
has its own double-submit token. Decisions go through the same workflow as the CLI, as the
signed-in person, so every approval rule holds here too.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from dataquality.approve import accounts, acting, entries, workflow
from dataquality.approve.accounts import Account
from dataquality.approve.db import audit_log, requests
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.errors import DQError
from dataquality.i18n import LANGUAGES, normalise_lang, text
from dataquality.store import Store
from dataquality.web import entry_pages
from dataquality.web.api import PREFIX, create_api
from dataquality.web.api.auth import Service

SESSION_COOKIE = "dq_session"
LOGIN_COOKIE = "dq_login_csrf"
LANG_COOKIE = "dq_lang"
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class WebSettings:
    """How `dq serve` runs: default language, trusted proxy sign-in (off unless a header is named)."""

    lang: str = "zh"
    trusted_header: str | None = None
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    session_hours: float = accounts.SESSION_HOURS
    secure_cookies: bool = False
    notices: tuple[str, ...] = ()  # catalogue keys shown on the sign-in page (no project, no account yet)


class _Web:
    """The app's state and handlers."""

    def __init__(self, store: Store, policy: ApprovalPolicy, config: Config, settings: WebSettings) -> None:
        self.store, self.policy, self.config, self.settings = store, policy, config, settings
        self.env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True)

    # --- helpers -------------------------------------------------------------------------------

    def lang(self, request: Request) -> str:
        wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        return normalise_lang(wanted) if wanted in LANGUAGES else self.settings.lang

    def page(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = self.lang(request)

        def t(key: str, **params: Any) -> str:
            return text(key, lang, **params)

        body = self.env.get_template(name).render(t=t, lang=lang, policy=self.policy, **ctx)
        response = HTMLResponse(body, status_code=status, headers=_HEADERS)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", httponly=True)
        return response

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        # Lax: a link to the inbox from an e-mail still arrives signed in; no form of another site
        # is ever accepted anyway, since each carries this session's CSRF token.
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=self.settings.secure_cookies, path="/")

    def signed_in(self, request: Request) -> tuple[Account, str] | None:
        return accounts.session_account(self.store, request.cookies.get(SESSION_COOKIE))

    def _trusted(self, request: Request) -> Account | None:
        header = self.settings.trusted_header
        if not header or request.client is None or request.client.host not in self.settings.trusted_proxies:
            return None
        name = request.headers.get(header)
        return accounts.account_for_person(self.store, self.policy, _header_text(name)) if name else None

    def to_sign_in(self) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    def csrf_ok(self, expected: str, form: Any) -> bool:
        given = str(form.get("csrf") or "")
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    def forbidden(self, request: Request) -> HTMLResponse:
        return self.page(request, "message.html", status=403, title=text("web.forbidden", self.lang(request)),
                         message=text("web.bad_csrf", self.lang(request)), account=None, csrf="")

    async def current(self, request: Request) -> tuple[Account, str] | Response:
        found = await run_in_threadpool(self.signed_in, request)
        if found:
            return found
        trusted = await run_in_threadpool(self._trusted, request)
        if trusted is None:
            return self.to_sign_in()
        # Signed in by the proxy: a session of our own carries the CSRF token of the forms.
        token, csrf = await run_in_threadpool(accounts.start_session, self.store, trusted, self.settings.session_hours)
        response = RedirectResponse(str(request.url.path), status_code=303)
        self._cookie(response, SESSION_COOKIE, token, int(self.settings.session_hours * 3600))
        return response

    # --- pages ---------------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        if await run_in_threadpool(self.signed_in, request):
            return RedirectResponse("/", status_code=303)
        return self._login_page(request)

    def _login_page(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        token = secrets.token_urlsafe(32)
        # Nobody can pass a sign-in page of a database without accounts: say so (a tiny query).
        notices = (*self.settings.notices, *(() if accounts.has_accounts(self.store) else ("serve.no_accounts",)))
        response = self.page(request, "login.html", status=status, csrf=token, error=error, account=None,
                             notices=notices)
        self._cookie(response, LOGIN_COOKIE, token, 3600)
        return response

    async def login(self, request: Request) -> Response:
        form = await request.form()
        if not self.csrf_ok(request.cookies.get(LOGIN_COOKIE, ""), form) or not request.cookies.get(LOGIN_COOKIE):
            return self.forbidden(request)
        try:
            account = await run_in_threadpool(accounts.authenticate, self.store, self.policy,
                                              str(form.get("name") or ""), str(form.get("password") or ""))
        except DQError as exc:
            return self._login_page(request, exc.message(self.lang(request)), status=401)
        token, _ = await run_in_threadpool(accounts.start_session, self.store, account, self.settings.session_hours)
        response = RedirectResponse("/", status_code=303)
        self._cookie(response, SESSION_COOKIE, token, int(self.settings.session_hours * 3600))
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    async def logout(self, request: Request) -> Response:
        found = await self.current(request)
        if isinstance(found, Response):
            return found
        form = await request.form()
        if not self.csrf_ok(found[1], form):
            return self.forbidden(request)
        await run_in_threadpool(accounts.end_session, self.store, request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    def own(self, v: workflow.RequestView, account: Account) -> bool:
        """Whether the account's person asked for or submitted the request (he never decides on it)."""
        return any(workflow.same_person(who, account.person_id, self.policy.people) for who in (v.requested_by, v.submitted_by))

    def _inbox(self, account: Account) -> tuple[list[workflow.RequestView], list[workflow.RequestView], list[Any]]:
        """(waiting for one of my roles, my own open requests, sheet lines awaiting my confirmation)."""
        pending = workflow.list_requests(self.store, self.policy, pending=True)
        mine = [v for v in pending if self.own(v, account)]
        own_ids = {v.id for v in mine}
        waiting = [v for v in pending if v.id not in own_ids and set(v.missing) & set(account.roles)
                   and not any(workflow.same_person(p, account.person_id, self.policy.people) for p, _ in v.present)]
        return waiting, mine, entries.awaiting(self.store, account)

    async def inbox(self, request: Request) -> Response:
        found = await self.current(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        waiting, mine, entered = await run_in_threadpool(self._inbox, account)
        return self.page(request, "inbox.html", account=account, csrf=csrf, waiting=waiting, mine=mine,
                         entries=entered, flash=request.query_params.get("done"))

    def _detail(self, request_id: int) -> tuple[workflow.RequestView | None, list[dict[str, Any]]]:
        with self.store.transaction() as conn:
            row = conn.execute(select(requests).where(requests.c.id == request_id)).first()
            if row is None:
                return None, []
            [v] = workflow.views(conn, [dict(row._mapping)], self.policy)
            history = [dict(r._mapping) for r in conn.execute(
                select(audit_log.c.seq, audit_log.c.at, audit_log.c.action, audit_log.c.actor, audit_log.c.role,
                       audit_log.c.new_value, audit_log.c.comment)
                .where(audit_log.c.request_id == request_id).order_by(audit_log.c.seq))]
        return v, history

    async def detail(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        found = await self.current(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        try:
            request_id = int(request.path_params["id"])
        except ValueError:
            request_id = -1
        v, history = await run_in_threadpool(self._detail, request_id)
        if v is None:
            return self.page(request, "message.html", status=404, account=account, csrf=csrf,
                             title=text("web.not_found_title", self.lang(request)),
                             message=text("approve.not_found", self.lang(request), id=request_id))
        own = self.own(v, account)
        return self.page(request, "request.html", status=status, account=account, csrf=csrf, v=v, history=history,
                         own=own, error=error)

    async def decide(self, request: Request) -> Response:
        found = await self.current(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        form = await request.form()
        if not self.csrf_ok(csrf, form):
            return self.forbidden(request)
        try:
            request_id = int(request.path_params["id"])
        except ValueError:
            return self.to_sign_in()
        action = request.path_params["action"]
        if action not in ("approve", "reject"):
            return self.page(request, "message.html", status=404, account=account, csrf=csrf,
                             title=text("web.not_found_title", self.lang(request)), message=action)
        role = str(form.get("role") or "") or None
        try:
            if action == "approve":
                await run_in_threadpool(acting.approve_as, self.store, self.policy, account, request_id, role,
                                        str(form.get("comment") or "").strip() or None, "web")
            else:
                await run_in_threadpool(acting.reject_as, self.store, self.policy, account, request_id,
                                        str(form.get("reason") or ""), role, "web")
        except DQError as exc:
            return await self.detail(request, error=exc.message(self.lang(request)), status=409)
        return RedirectResponse(f"/?done={action}-{request_id}", status_code=303)


def _state_dir_of(store: Store) -> Path:
    """Where an SQLite database lives (its state folder), else .dq here."""
    if store.url.startswith("sqlite:///") and not store.url.startswith("sqlite:///:memory:"):
        return Path(store.url.removeprefix("sqlite:///")).parent
    return Path(".dq")


def _header_text(value: str) -> str:
    """A proxy's user header as text: a staff id, or a name sent as UTF-8 bytes or percent-encoded."""
    try:
        value = value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    return unquote(value)


def create_app(store: Store, policy: ApprovalPolicy, config: Config, settings: WebSettings | None = None,
               state_dir: Path | None = None) -> Starlette:
    """The Starlette application of `dq serve` over an opened store (audit key bound), with the JSON
    API mounted at /api/v1; `state_dir` keeps submitted files (default: the SQLite file's folder)."""
    web = _Web(store, policy, config, settings or WebSettings())
    routes = [
        Route("/", web.inbox, methods=["GET"]),
        Route("/login", web.login_form, methods=["GET"]),
        Route("/login", web.login, methods=["POST"]),
        Route("/logout", web.logout, methods=["POST"]),
        Route("/requests/{id}", web.detail, methods=["GET"]),
        Route("/requests/{id}/{action:str}", web.decide, methods=["POST"]),
        Route("/entries/{id}/{action:str}", partial(entry_pages.decide, web), methods=["POST"]),
        Mount(PREFIX, app=create_api(Service(store, policy, config, state_dir or _state_dir_of(store)))),
    ]
    app = Starlette(routes=routes)
    app.state.web = web
    return app
