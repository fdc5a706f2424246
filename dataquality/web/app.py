"""`dq serve`: the approvers' web inbox (Starlette + Jinja2, no JavaScript).

A person signs in (argon2-checked password, or a header set by a trusted reverse proxy when
enabled), gets a server-side session (a random cookie; the database keeps its hash, its expiry
and its CSRF token), and sees the requests waiting for a role their account holds. Every form
carries the session's CSRF token and a POST without the right one is refused; the sign-in form
has its own double-submit token. Decisions go through the same workflow as the CLI, as the
signed-in person, so every approval rule holds here too. What every request passes first (hosts,
proxies, body size, origin, security headers) is in security.py; sign-in throttling in throttle.py.
"""

from __future__ import annotations

import hmac
import re
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
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dataquality.approve import accounts, acting, entries, workflow
from dataquality.approve.accounts import Account
from dataquality.approve.db import audit_log, requests
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.errors import DQError
from dataquality.i18n import LANGUAGES, normalise_lang, text
from dataquality.store import Store
from dataquality.web import entry_pages
from dataquality.web.api import PREFIX, UPLOAD_PATHS, create_api
from dataquality.web.api.auth import Service
from dataquality.web.desk_pages import UPLOAD_PATH, DeskPages
from dataquality.web.security import (
    LANG_COOKIE,
    LOOPBACK_HOSTS,
    MAX_BODY_BYTES,
    MAX_UPLOAD_BYTES,
    Guard,
    GuardSettings,
)
from dataquality.web.throttle import SignInGate, SignInThrottled, ThrottleSettings
from dataquality.web.wording import Wording

SESSION_COOKIE = "dq_session"
LOGIN_COOKIE = "dq_login_csrf"
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_STATIC = Path(__file__).resolve().parent / "static"  # the desk's script and the vendored grid (no CDN)
_MAX_ID = 2**63 - 1  # request ids are SQL BIGINTs
# What a decision's redirect says was done (?done=approve-12, ?done=confirm-entry-3).
_DONE = re.compile(r"(approve|reject|confirm|decline)-(entry-)?(\d{1,19})")


@dataclass(frozen=True)
class WebSettings:
    """How `dq serve` runs: default language, trusted proxy sign-in (off unless a header is named,
    and then believed only from `trusted_proxies`), allowed host names, session lifetimes."""

    lang: str = "zh"
    trusted_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    session_hours: float = accounts.SESSION_HOURS
    idle_minutes: float = accounts.IDLE_MINUTES
    secure_cookies: bool = False
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    max_body_bytes: int = MAX_BODY_BYTES
    max_upload_bytes: int = MAX_UPLOAD_BYTES  # a change set's workbooks sent to the API
    throttle: ThrottleSettings = ThrottleSettings()
    notices: tuple[str, ...] = ()  # catalogue keys shown on the sign-in page (e.g. no project here)
    baseline: Path | None = None  # the project's approved master (dq.yaml baseline): imports compare with it
    desk_expire_hours: float = 72.0  # dq.yaml desk.expire_hours: the import desk's jobs expire after this

    def __post_init__(self) -> None:
        if self.trusted_header and not self.trusted_proxies:  # believed from anyone: refused at once
            raise DQError("web_guard.header_needs_proxy", header=self.trusted_header)


class _Web:
    """The app's state and handlers."""

    def __init__(self, store: Store, policy: ApprovalPolicy, config: Config, settings: WebSettings) -> None:
        self.store, self.policy, self.config, self.settings = store, policy, config, settings
        self.gate = SignInGate(settings.throttle)
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

        w = Wording(self.config, self.policy, lang)
        body = self.env.get_template(name).render(t=t, w=w, lang=lang, policy=self.policy, **ctx)
        response = HTMLResponse(body, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", httponly=True, secure=self.settings.secure_cookies)
        return response

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        # Lax: a link to the inbox from an e-mail still arrives signed in; no form of another site
        # is ever accepted anyway, since each carries this session's CSRF token.
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=self.settings.secure_cookies, path="/")

    def signed_in(self, request: Request) -> tuple[Account, str] | None:
        return accounts.session_account(self.store, request.cookies.get(SESSION_COOKIE), self.settings.session_hours,
                                        self.settings.idle_minutes)

    def _trusted(self, request: Request) -> Account | None:
        # The guard removes this header from every request not sent by a trusted proxy.
        header = self.settings.trusted_header
        if not header:
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
        token, csrf = await run_in_threadpool(accounts.start_session, self.store, trusted, self.settings.session_hours,
                                              self.settings.idle_minutes)
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
        name, password = str(form.get("name") or ""), str(form.get("password") or "")
        try:
            account = await self.gate.attempt(
                request.client.host if request.client else "-", workflow.person_key(name, self.policy.people),
                lambda: accounts.authenticate(self.store, self.policy, name, password))
        except SignInThrottled as exc:
            response = self._login_page(request, exc.message(self.lang(request)), status=429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except DQError as exc:
            return self._login_page(request, exc.message(self.lang(request)), status=401)
        token, _ = await run_in_threadpool(accounts.start_session, self.store, account, self.settings.session_hours,
                                           self.settings.idle_minutes)
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

    async def inbox(self, request: Request) -> Response:
        found = await self.current(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        if account.holds(accounts.CLERK) and not any(self.policy.role(r) for r in account.roles):
            return RedirectResponse("/desk", status_code=303)  # a clerk's home is his imports
        waiting, mine = await run_in_threadpool(acting.inbox, self.store, self.policy, account)
        entered = await run_in_threadpool(entries.awaiting, self.store, account)  # sheet lines naming this person
        return self.page(request, "inbox.html", account=account, csrf=csrf, waiting=waiting, mine=mine,
                         entries=entered, flash=_flash(request.query_params.get("done"), self.lang(request)))

    def _detail(self, request_id: int) -> tuple[workflow.RequestView | None, list[dict[str, Any]]]:
        with self.store.transaction() as conn:
            row = conn.execute(select(requests).where(requests.c.id == request_id)).first()
            if row is None:
                return None, []
            [v] = workflow.views(conn, [dict(row._mapping)], self.policy)
            history = [dict(r._mapping) for r in conn.execute(
                select(audit_log.c.seq, audit_log.c.at, audit_log.c.action, audit_log.c.actor, audit_log.c.role,
                       audit_log.c.new_value, audit_log.c.comment, audit_log.c.data)
                .where(audit_log.c.request_id == request_id).order_by(audit_log.c.seq))]
        return v, history

    async def detail(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        found = await self.current(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        request_id = _request_id(request)
        v, history = await run_in_threadpool(self._detail, request_id) if request_id else (None, [])
        if v is None:
            lang = self.lang(request)
            return self.page(request, "message.html", status=404, account=account, csrf=csrf,
                             title=text("web.not_found_title", lang),
                             message=text("web.request_not_found", lang, id=request_id) if request_id
                             else text("web.no_such_page", lang))
        own = acting.own(self.policy, v, account)
        # Forms only while there is something for this person to decide: a decided request (approved,
        # rejected, applied, withdrawn), his own, or one he approved already shows none.
        approved_already = any(workflow.same_person(p, account.person_id, self.policy.people) for p, _ in v.present)
        open_to_him = v.status == "pending" and not own and not approved_already
        roles = set(account.roles)
        return self.page(request, "request.html", status=status, account=account, csrf=csrf, v=v, history=history,
                         own=own, approved_already=approved_already, error=error,
                         can_approve=open_to_him and bool(roles & set(v.missing)),
                         can_reject=open_to_him and bool(roles & set(v.required)))

    async def _confirm_reject(self, request: Request, account: Account, csrf: str, request_id: int,
                              form: Any) -> Response:
        """A rejection is final: the reject form first shows what would be rejected, and only the
        confirmation page's own form (confirmed=yes) rejects. No script needed."""
        v, _ = await run_in_threadpool(self._detail, request_id)
        if v is None:
            return self.page(request, "message.html", status=404, account=account, csrf=csrf,
                             title=text("web.not_found_title", self.lang(request)),
                             message=text("web.request_not_found", self.lang(request), id=request_id))
        return self.page(request, "confirm_reject.html", account=account, csrf=csrf, v=v,
                         reason=str(form.get("reason") or ""), role=str(form.get("role") or ""))

    async def decide(self, request: Request) -> Response:
        found = await self.current(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        form = await request.form()
        if not self.csrf_ok(csrf, form):
            return self.forbidden(request)
        request_id = _request_id(request)
        action = request.path_params["action"]
        if request_id is None or action not in ("approve", "reject"):
            return self.page(request, "message.html", status=404, account=account, csrf=csrf,
                             title=text("web.not_found_title", self.lang(request)),
                             message=text("web.no_such_page", self.lang(request)))
        role = str(form.get("role") or "") or None
        try:
            if action == "reject" and form.get("confirmed") != "yes":
                await run_in_threadpool(acting.rehearse_reject_as, self.store, self.policy, account, request_id,
                                        str(form.get("reason") or ""), role)
                return await self._confirm_reject(request, account, csrf, request_id, form)
            if action == "approve":
                await run_in_threadpool(acting.approve_as, self.store, self.policy, account, request_id, role,
                                        str(form.get("comment") or "").strip() or None, "web")
            else:
                await run_in_threadpool(acting.reject_as, self.store, self.policy, account, request_id,
                                        str(form.get("reason") or ""), role, "web")
        except DQError as exc:
            return await self.detail(request, error=exc.message(self.lang(request)), status=409)
        return RedirectResponse(f"/?done={action}-{request_id}", status_code=303)


def _request_id(request: Request) -> int | None:
    """The request id of the path when it is one (ASCII digits, within BIGINT); None otherwise."""
    given = request.path_params["id"]
    if not (given.isascii() and given.isdigit() and len(given) <= 19) or not 0 < int(given) <= _MAX_ID:
        return None
    return int(given)


def _flash(done: str | None, lang: str) -> str | None:
    """The line that says what the last decision recorded, in words; None for anything else."""
    found = _DONE.fullmatch(done or "")
    if found is None:
        return None
    action, entry, number = found.groups()
    return text(f"web.flash.{action}{'_entry' if entry else ''}", lang, id=number)


def _header_text(value: str) -> str:
    """A proxy's user header as text: a staff id, or a name sent as UTF-8 bytes or percent-encoded."""
    try:
        value = value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    return unquote(value)


def _state_dir_of(store: Store) -> Path:
    """Where an SQLite database lives (its state folder), else .dq here."""
    if store.url.startswith("sqlite:///") and not store.url.startswith("sqlite:///:memory:"):
        return Path(store.url.removeprefix("sqlite:///")).parent
    return Path(".dq")


def create_app(store: Store, policy: ApprovalPolicy, config: Config, settings: WebSettings | None = None,
               state_dir: Path | None = None) -> Starlette:
    """The Starlette application of `dq serve` over an opened store (audit key bound), with the JSON
    API mounted at /api/v1 (`state_dir` keeps submitted files; default: the SQLite file's folder);
    every request, of any route mounted on it too, passes the guard first (security.py)."""
    settings = settings or WebSettings()
    web = _Web(store, policy, config, settings)
    state_dir = state_dir or _state_dir_of(store)
    service = Service(store, policy, config, state_dir, web.gate, settings.baseline, settings.desk_expire_hours,
                      settings.max_upload_bytes)
    desk = DeskPages(web, state_dir)
    routes = [
        Route("/", web.inbox, methods=["GET"]),
        Route("/login", web.login_form, methods=["GET"]),
        Route("/login", web.login, methods=["POST"]),
        Route("/logout", web.logout, methods=["POST"]),
        Route("/requests/{id}", web.detail, methods=["GET"]),
        Route("/requests/{id}/{action:str}", web.decide, methods=["POST"]),
        Route("/entries/{id}/{action:str}", partial(entry_pages.decide, web), methods=["POST"]),
        *desk.routes(),
        Mount("/static", app=StaticFiles(directory=_STATIC), name="static"),
        Mount(PREFIX, app=create_api(service)),
    ]
    guard = GuardSettings(allowed_hosts=settings.allowed_hosts, trusted_proxies=settings.trusted_proxies,
                          proxy_only_headers=(settings.trusted_header,) if settings.trusted_header else (),
                          max_body_bytes=settings.max_body_bytes, secure_cookies=settings.secure_cookies,
                          lang=settings.lang, upload_paths=(*(PREFIX + p for p in UPLOAD_PATHS), UPLOAD_PATH),
                          max_upload_bytes=settings.max_upload_bytes)
    app = Starlette(routes=routes, middleware=[Middleware(Guard, settings=guard)])
    app.state.web = web
    return app
