"""The CLI as a client of `dq serve`: people act through the service that holds the audit key.

`dq approve`, `dq reject`, `dq approvals import|confirm|decline`, `dq changes submit|withdraw` and
`dq users add|passwd|roles|token` sign in and call the service's JSON API (/api/v1) at --server
(env DQ_SERVER, default http://127.0.0.1:8000). They sign in with a personal token (env DQ_TOKEN,
made by `dq users token`) or as --user with the password asked. When the service is not running
they say so and stop (exit 2): they never fall back to reading the key.

Passwords are read from the terminal without echo; when standard input is not a terminal (a
script, a pipe), each password is one line of standard input, in the order the command's help
gives (e.g. `dq users add`: your password, then the new password twice). No line is an error
(exit 2), never a silent empty password.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dataquality.errors import DQError
from dataquality.i18n import text

DEFAULT_SERVER = "http://127.0.0.1:8000"
API = "/api/v1"
TOKEN_ENV = "DQ_TOKEN"
F = Callable[..., Any]


class ServiceError(DQError):
    """An error the service answered with (its message key and parameters), or no service at all."""

    def __init__(self, message_key: str, /, exit_code: int = 2, **params: Any) -> None:
        self.exit_code = exit_code
        super().__init__(message_key, **params)


def read_password(prompt: str, lang: str, repeat: str | None = None) -> str:
    """A password: from the terminal without echo, or one line of standard input per prompt."""
    stdin = sys.stdin
    if stdin.isatty():
        try:
            value = getpass.getpass(prompt + ": ")
            again = getpass.getpass(repeat + ": ") if repeat else value
        except EOFError:
            raise DQError("accounts.no_password_input", prompt=prompt) from None
    else:
        value = _line(stdin, prompt)
        again = _line(stdin, repeat) if repeat else value
    if value != again:
        raise DQError("accounts.passwords_differ")
    return value


def _line(stream: Any, prompt: str) -> str:
    line = stream.readline()
    if not line:
        raise DQError("accounts.no_password_input", prompt=prompt)
    return line.rstrip("\r\n")


def server_url(given: str | None) -> str:
    return (given or os.environ.get("DQ_SERVER") or DEFAULT_SERVER).rstrip("/")


class Client:
    """One signed-in conversation with the service's API."""

    def __init__(self, server: str, auth: Any, lang: str, headers: dict[str, str] | None = None) -> None:
        import httpx

        self.server, self.lang = server, lang
        self.http = httpx.Client(base_url=server + API, auth=auth, headers=headers,
                                 timeout=httpx.Timeout(30.0, read=900.0))

    def call(self, method: str, path: str, **kw: Any) -> Any:
        """The JSON answer of METHOD PATH; the service's refusal as our own error (same message and code)."""
        import httpx

        try:
            res = self.http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise ServiceError("service.not_running", url=self.server, error=type(exc).__name__) from None
        if res.status_code >= 400:
            try:
                body = res.json()
                params = body.get("params") or {}
                raise ServiceError(str(body["error"]), exit_code=int(body.get("exit_code", 2)), **params)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise ServiceError("service.bad_answer", url=self.server, status=res.status_code) from None
        return None if res.status_code == 204 or not res.content else res.json()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reachable(server: str) -> None:
    """Stop with one line (exit 2) when no dq serve answers at `server`, before any password is asked."""
    import httpx

    try:
        res = httpx.get(server + API + "/health", timeout=10.0)
    except httpx.TransportError as exc:
        raise ServiceError("service.not_running", url=server, error=type(exc).__name__) from None
    if res.status_code != 200:
        raise ServiceError("service.bad_answer", url=server, status=res.status_code)


def connect(server: str | None, user: str | None, lang: str, password: str | None = None) -> tuple[Client, str | None]:
    """A client signed in with DQ_TOKEN, or as `user` with the password asked (or given); returns it
    and the password used (a command changing its own password needs it as the old one)."""
    import httpx

    url = server_url(server)
    reachable(url)
    token = os.environ.get(TOKEN_ENV)
    if token:
        return Client(url, None, lang, headers={"Authorization": f"Bearer {token}"}), None
    if not user or not user.strip():
        raise DQError("service.who")
    if password is None:
        password = read_password(text("accounts.password_prompt", lang, name=user), lang)
    return Client(url, httpx.BasicAuth(user, password), lang), password


def service_options(fn: F) -> F:
    """--user (who signs in; env DQ_USER) and --server (env DQ_SERVER), shared by every command that acts
    through dq serve."""
    fn = click.option("--server", default=None, envvar="DQ_SERVER", metavar="URL",
                      help=f"The dq serve to act through (env DQ_SERVER; default {DEFAULT_SERVER}).")(fn)
    fn = click.option("--user", "--by", "-u", "user", default=None, envvar="DQ_USER",
                      help="Who you are: a person of the staff list with a dq account; your password is asked "
                           "(one line of standard input in scripts). Not needed with a personal token in DQ_TOKEN.")(fn)
    return fn


def upload(path: Path) -> tuple[str, Any]:
    """A file for a multipart upload: (its name, an open handle); an error naming it when it is missing."""
    from dataquality.errors import InputError

    if not path.is_file():
        raise InputError("service.no_file", file=str(path))
    return path.name, path.open("rb")
