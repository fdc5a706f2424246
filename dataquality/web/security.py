"""What `dq serve` enforces on every request before a route sees it (one ASGI middleware, `Guard`).

In order, for each HTTP request, whatever its route (the inbox, a mounted API):
1. Headers only a proxy may set (the `--trusted-header` sign-in header, X-Forwarded-*) are
   removed unless the connection comes from a `--trusted-proxy` address; from one, uvicorn's
   ProxyHeadersMiddleware takes the client address and scheme from X-Forwarded-For/-Proto (the
   first address that is not a trusted proxy), so throttling sees the person, not the proxy.
2. The Host header must name an allowed host (Starlette's TrustedHostMiddleware decides): a page
   of another site whose name was rebound to 127.0.0.1 is answered 400, never the inbox.
3. A request body is read up to `max_body_bytes` before anything parses it: a larger declared
   Content-Length is refused at once, a longer chunked body as soon as it passes the limit (413).
   The API's file uploads (`upload_paths`: a change set's workbooks, an approvals sheet) must
   declare their length, up to `max_upload_bytes`, and are streamed on (the server reads no more
   than declared), never held in memory here.
4. A state-changing request (any method but GET/HEAD/OPTIONS) must come from a page of this
   very origin (Origin, else Referer): a leaked CSRF token or a planted sign-in cookie is useless
   to another site. A request carrying its own credentials (a bearer token, or HTTP Basic, which
   dq never asks a browser for) and no cookie is exempt: a browser never adds either by itself.
Every response, the refusals and error pages included, carries the security headers (and HSTS
when the request came over HTTPS); with `secure_cookies` every cookie set is marked Secure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from dataquality.i18n import LANGUAGES, normalise_lang, text

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
LANG_COOKIE = "dq_lang"
MAX_BODY_BYTES = 64 * 1024  # the inbox's forms are a few hundred bytes; a comment of a few pages fits
MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # a change set: two workbooks of a master with a million rows
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PROXY_HEADERS = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"
_DEFAULT_PORT = {"http": 80, "https": 443}


@dataclass(frozen=True)
class GuardSettings:
    """What the guard allows: host names, proxies and the header only they may set, body size."""

    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    trusted_proxies: tuple[str, ...] = ()
    proxy_only_headers: tuple[str, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES
    secure_cookies: bool = False
    lang: str = "zh"
    upload_paths: tuple[str, ...] = ()
    max_upload_bytes: int = MAX_UPLOAD_BYTES


def host_pattern(name: str) -> str:
    """An allowed host as TrustedHostMiddleware compares it: lower case, an IPv6 address in brackets."""
    name = name.strip().lower()
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def served_hosts(listen: str, named: Sequence[str]) -> tuple[str, ...]:
    """The allowed host names: the loopback names (no other site can be reached by them), those
    named (--allowed-host), and the address dq listens on when it is one address."""
    hosts = [*LOOPBACK_HOSTS, *named]
    if listen not in ("0.0.0.0", "::", ""):
        hosts.append(listen)
    return tuple(dict.fromkeys(host_pattern(h) for h in hosts))


class _Refused(Exception):
    """A request the guard answers itself (status, message key)."""

    def __init__(self, status: int, key: str, **params: Any) -> None:
        super().__init__(key)
        self.status, self.key, self.params = status, key, params


class Guard:
    """The ASGI middleware of `dq serve` (see the module's docstring)."""

    def __init__(self, app: ASGIApp, settings: GuardSettings) -> None:
        self.app, self.settings = app, settings
        self._proxied = ProxyHeadersMiddleware(self._checked, trusted_hosts=list(settings.trusted_proxies))  # type: ignore[arg-type]
        self._proxy_only = {h.lower().encode("latin-1") for h in settings.proxy_only_headers} | set(_PROXY_HEADERS)
        # TrustedHostMiddleware decides; a passing request reaches this marker instead of the app,
        # so that a refusal can be answered in the reader's language (its own reply is English only).
        self._hosts = TrustedHostMiddleware(_mark_host_allowed, allowed_hosts=[host_pattern(h) for h in settings.allowed_hosts],
                                            www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":  # dq serves no websockets: refuse before any route
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        sent = _Sent()
        send = self._with_headers(scope, send, sent)
        try:
            peer = scope["client"][0] if scope.get("client") else None
            if peer not in self._proxied.trusted_hosts:
                scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in self._proxy_only]
            await self._proxied(scope, receive, send)  # type: ignore[arg-type]
        except _Refused as refused:
            await self._refuse(scope, send, refused)
        except Exception:
            if not sent.started:  # a bug: the error page gets the headers too
                await PlainTextResponse(HTTPStatus.INTERNAL_SERVER_ERROR.phrase, 500)(scope, receive, send)
            raise

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        """After the proxy headers: host, body size, origin; then the app."""
        await self._hosts(scope, receive, _discard)
        if not scope.pop("dq.host_allowed", False):
            raise _Refused(400, "web_guard.bad_host", host=Headers(scope=scope).get("host", "")[:100])
        headers = Headers(scope=scope)
        receive = await self._limited_body(scope, headers, receive)
        if scope["method"] not in SAFE_METHODS and not _credentials_only(headers) and not _same_origin(scope, headers):
            raise _Refused(403, "web_guard.cross_origin")
        await self.app(scope, receive, send)

    async def _limited_body(self, scope: Scope, headers: Headers, receive: Receive) -> Receive:
        """The body read here, at most `max_body_bytes`, and handed on as one message."""
        limit = self.settings.max_body_bytes
        declared = headers.get("content-length")
        if declared is not None and not (declared.isascii() and declared.isdigit()):
            raise _Refused(400, "web_guard.bad_length")
        if scope["method"] not in SAFE_METHODS and scope.get("path") in self.settings.upload_paths:
            return self._upload(declared, receive)
        if declared is not None:
            if int(declared) > limit:
                raise _Refused(413, "web_guard.too_large", n=limit // 1024)
        if scope["method"] in SAFE_METHODS and declared is None and "transfer-encoding" not in headers:
            return receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return _replay([message], receive)
            size += len(message.get("body", b""))
            if size > limit:
                raise _Refused(413, "web_guard.too_large", n=limit // 1024)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return _replay([{"type": "http.request", "body": b"".join(chunks), "more_body": False}], receive)

    def _upload(self, declared: str | None, receive: Receive) -> Receive:
        """A file upload: its declared length within `max_upload_bytes`, the body streamed on as sent."""
        if declared is None:
            raise _Refused(411, "web_guard.length_required")
        if int(declared) > self.settings.max_upload_bytes:
            raise _Refused(413, "web_guard.too_large", n=self.settings.max_upload_bytes // 1024)
        return receive

    def _with_headers(self, scope: Scope, send: Send, sent: _Sent) -> Send:
        secure = self.settings.secure_cookies

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent.started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if scope.get("scheme") == "https" and "strict-transport-security" not in headers:
                    headers["Strict-Transport-Security"] = HSTS
                if secure:
                    _secure_cookies(headers)
            await send(message)

        return with_headers

    async def _refuse(self, scope: Scope, send: Send, refused: _Refused) -> None:
        lang = _lang(scope, self.settings.lang)
        response = PlainTextResponse(text(refused.key, lang, **refused.params), status_code=refused.status)
        await response(scope, _no_body, send)


class _Sent:
    started = False


async def _mark_host_allowed(scope: Scope, _receive: Receive, _send: Send) -> None:
    scope["dq.host_allowed"] = True


async def _discard(_message: Message) -> None:
    return None


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def _replay(messages: list[Message], receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A receive that hands out `messages` first, then whatever the server sends (a disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _credentials_only(headers: Headers) -> bool:
    """A request authenticated by credentials it carries itself (a bearer token, or HTTP Basic, which
    dq never challenges a browser for) and no cookie: no browser sends that on its own."""
    scheme = headers.get("authorization", "").split(" ", 1)[0].lower()
    return scheme in ("bearer", "basic") and "cookie" not in headers


def _origin(url: str, scheme_default: str | None = None) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url if scheme_default is None else f"{scheme_default}://{url}")
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port or _DEFAULT_PORT.get(parts.scheme.lower(), 0)


def _same_origin(scope: Scope, headers: Headers) -> bool:
    """Whether the page that sent this request is of this server's origin (Origin, else Referer)."""
    source = headers.get("origin") or headers.get("referer")
    if not source or source == "null":
        return False
    given = _origin(source)
    own = _origin(headers.get("host", ""), scope.get("scheme", "http"))
    return given is not None and given == own


def _secure_cookies(headers: MutableHeaders) -> None:
    cookies = headers.getlist("set-cookie")
    if not cookies:
        return
    del headers["set-cookie"]
    for cookie in cookies:
        has_secure = any(part.strip().lower() == "secure" for part in cookie.split(";")[1:])
        headers.append("set-cookie", cookie if has_secure else f"{cookie}; Secure")


def _lang(scope: Scope, default: str) -> str:
    for part in Headers(scope=scope).get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == LANG_COOKIE and value in LANGUAGES:
            return normalise_lang(value)
    return default
