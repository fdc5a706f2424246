"""Another site attacks the inbox through a signed-in person's real browser (Chromium): a page on
another port of the same host (same site, so SameSite=Lax cookies go along) posts a form with a
leaked CSRF token, or plants a sign-in cookie and signs the victim into the attacker's account."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dataquality.approve import workflow

from .conftest import PASSWORD

pytestmark = pytest.mark.browser


class _Attacker:
    """A web page of its own on 127.0.0.1:<another port>: serves `page` (and `cookie`, if set)."""

    def __init__(self) -> None:
        self.page, self.cookie = "", ""
        attacker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = attacker.page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                if attacker.cookie:
                    self.send_header("Set-Cookie", attacker.cookie)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def form(self, action: str, fields: dict[str, str]) -> None:
        inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
        self.page = (f'<form id="f" method="post" action="{escape(action)}">{inputs}</form>'
                     '<script>document.getElementById("f").submit()</script>')


@pytest.fixture
def attacker() -> Iterator[_Attacker]:
    site = _Attacker()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


def _signed_in(browser, url: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(url + "/")
    return context, page


def test_a_leaked_token_posted_from_another_site_is_refused(browser, serve, attacker, policy) -> None:
    server = serve()
    c2 = server.ids[("C000002", "credit_limit")]
    context, page = _signed_in(browser, server.url, "赵敏")
    page.goto(f"{server.url}/requests/{c2}")
    leaked = page.locator('input[name="csrf"]').first.get_attribute("value")
    attacker.form(f"{server.url}/requests/{c2}/approve", {"csrf": leaked, "role": "L1", "comment": "sure"})
    page.goto(attacker.url + "/")
    page.wait_for_url(f"{server.url}/**")  # the form went to the inbox
    assert "did not come from a page of this inbox" in page.content()
    [v] = [v for v in workflow.list_requests(server.store, policy) if v.id == c2]
    assert v.present == ()
    # The same form from the inbox itself goes through: it is the origin that was refused.
    page.goto(f"{server.url}/requests/{c2}")
    page.click("#approve")
    [v] = [v for v in workflow.list_requests(server.store, policy) if v.id == c2]
    assert v.present == (("赵敏", "L1"),)
    context.close()


def test_a_planted_sign_in_cookie_does_not_sign_the_victim_in(browser, serve, attacker) -> None:
    server = serve()
    attacker.cookie = "dq_login_csrf=planted; Path=/; SameSite=Lax"  # cookies are not bound to a port
    attacker.form(f"{server.url}/login", {"csrf": "planted", "name": "杨磊", "password": PASSWORD})
    context = browser.new_context()
    page = context.new_page()
    page.goto(attacker.url + "/")
    page.wait_for_url(f"{server.url}/**")  # the form went to the inbox
    assert "did not come from a page of this inbox" in page.content()
    page.goto(server.url + "/")
    assert page.url == server.url + "/login"  # not signed in as the attacker's account
    assert not [c for c in context.cookies() if c["name"] == "dq_session"]
    context.close()
