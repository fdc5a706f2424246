"""What every request to `dq serve` passes first (web/security.py), tried on a real server:
foreign Host names, another site's forms, proxy headers from anyone, huge bodies, odd ids."""

from __future__ import annotations

import socket
import time
from urllib.parse import quote, urlencode

from dataquality.approve import workflow

from .conftest import PASSWORD, Reply, cookies_of, request, sign_in

SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy",
                    "cache-control")


def _session(server, name: str = "赵敏") -> dict[str, str]:
    signed = sign_in(server, name, PASSWORD)
    assert signed.status == 303, signed.body
    return {"Cookie": f"dq_session={cookies_of(signed)['dq_session']}"}


def _csrf(server, session: dict[str, str], request_id: int) -> str:
    page = request(server, "GET", f"/requests/{request_id}", headers=session)
    return page.body.split('name="csrf" value="')[1].split('"')[0]


def _form(server, path: str, fields: dict[str, str], headers: dict[str, str]) -> Reply:
    return request(server, "POST", path, urlencode(fields),
                   {"Content-Type": "application/x-www-form-urlencoded", **headers})


def test_a_foreign_host_name_is_refused(serve) -> None:
    server = serve()
    # DNS rebinding: evil.example now resolves to 127.0.0.1, the browser sends Host: evil.example.
    for host in ("evil.example", "evil.example:80", f"127.0.0.1.evil.example:{server.port}"):
        reply = request(server, "GET", "/login", headers={"Host": host})
        assert reply.status == 400 and "--allowed-host" in reply.body, host
        assert all(h in reply.headers for h in SECURITY_HEADERS)
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", "localhost"):
        assert request(server, "GET", "/login", headers={"Host": host}).status == 200, host
    named = serve("--allowed-host", "dq.example.com")
    assert request(named, "GET", "/login", headers={"Host": "dq.example.com"}).status == 200
    assert request(named, "GET", "/login", headers={"Host": "evil.example"}).status == 400


def test_a_leaked_csrf_token_does_not_work_from_another_origin(serve) -> None:
    server = serve()
    session = _session(server)
    c2 = server.ids[("C000002", "credit_limit")]
    token = _csrf(server, session, c2)
    fields = {"csrf": token, "role": "L1"}
    for origin in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": f"http://127.0.0.1:{server.port + 1}"},
                   {"Origin": f"https://127.0.0.1:{server.port}"}, {"Referer": "http://evil.example/page"}, {}):
        reply = _form(server, f"/requests/{c2}/approve", fields, {**session, **origin})
        assert reply.status == 403 and "did not come from a page of this inbox" in reply.body, origin
    [v] = [v for v in workflow.list_requests(server.store, _policy()) if v.id == c2]
    assert v.present == ()  # nothing recorded
    # From the inbox's own page (Origin, or a Referer of it when a browser sends no Origin) it works.
    reply = _form(server, f"/requests/{c2}/approve", fields, {**session, "Referer": f"{server.url}/requests/{c2}"})
    assert reply.status == 303


def _policy():
    from dataquality.approve.tiers import ApprovalPolicy
    from dataquality.config import Config

    return ApprovalPolicy.load(config=Config.load())


def test_sign_in_csrf_with_a_planted_cookie_is_refused(serve) -> None:
    server = serve()
    # Another site planted dq_login_csrf=planted (cookies are not port-bound) and posts its own account.
    fields = {"csrf": "planted", "name": "杨磊", "password": PASSWORD}
    reply = _form(server, "/login", fields, {"Cookie": "dq_login_csrf=planted", "Origin": "http://127.0.0.1:9"})
    assert reply.status == 403 and "dq_session" not in cookies_of(reply)
    reply = _form(server, "/login", fields, {"Cookie": "dq_login_csrf=planted"})  # no Origin, no Referer
    assert reply.status == 403 and "dq_session" not in cookies_of(reply)


def test_a_bearer_token_request_without_cookies_needs_no_origin(serve) -> None:
    server = serve()
    # No API route exists yet: the guard lets the request through to the router (404, not 403).
    reply = request(server, "POST", "/api/v1/anything", "{}", {"Authorization": "Bearer abc", "Content-Type": "application/json"})
    assert reply.status == 404
    reply = request(server, "POST", "/api/v1/anything", "{}", {"Authorization": "Bearer abc", "Cookie": "dq_session=x"})
    assert reply.status == 403


def test_the_trusted_header_needs_a_trusted_proxy(serve, scenario_store, tmp_path) -> None:
    from .conftest import start_dq_serve

    _, url, _ = scenario_store
    refused = start_dq_serve(tmp_path, url, "--port", "0", "--trusted-header", "X-Remote-User")
    try:
        assert refused.wait(60) == 2 and "--trusted-proxy" in refused.stderr.read()
    finally:
        if refused.poll() is None:  # it started after all: stop it, the test has failed
            refused.terminate()
            refused.wait(30)
    # Believed only from the proxy's address: a local process connecting itself gets nothing.
    elsewhere = serve("--trusted-header", "X-Remote-User", "--trusted-proxy", "10.9.9.9")
    reply = request(elsewhere, "GET", "/", headers={"X-Remote-User": quote("杨磊")})
    assert reply.status == 303 and reply.headers["location"] == "/login"


def test_behind_a_proxy_that_adds_x_forwarded_for(serve) -> None:
    server = serve("--trusted-header", "X-Remote-User", "--trusted-proxy", "127.0.0.1")
    proxied = {"X-Remote-User": quote("杨磊"), "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    reply = request(server, "GET", "/", headers=proxied)
    assert reply.status == 303 and "dq_session" in cookies_of(reply)  # signed in by the proxy's header
    assert reply.headers["strict-transport-security"].startswith("max-age=")  # the person came over HTTPS
    # Throttling counts the person's address from X-Forwarded-For, not the proxy's.
    for n in range(11):
        sign_in(server, f"nobody{n}", "wrong password here", {"X-Forwarded-For": "203.0.113.8"})
    assert sign_in(server, "赵敏", PASSWORD, {"X-Forwarded-For": "203.0.113.8"}).status == 429
    assert sign_in(server, "赵敏", PASSWORD, {"X-Forwarded-For": "203.0.113.9"}).status == 303


def test_x_forwarded_for_from_anyone_else_is_ignored(serve) -> None:
    server = serve()  # no trusted proxy
    for n in range(11):  # a different forged address each time: still one address, 127.0.0.1
        sign_in(server, f"nobody{n}", "wrong password here", {"X-Forwarded-For": f"198.51.100.{n}"})
    assert sign_in(server, "赵敏", PASSWORD, {"X-Forwarded-For": "198.51.100.200"}).status == 429
    reply = request(server, "GET", "/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in reply.headers


def test_a_huge_body_is_refused_before_it_is_read(serve) -> None:
    server = serve()
    # 120 MB announced, a few bytes sent: the answer comes at once, nothing waits for the rest.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 125829120\r\n\r\ncsrf=a&name=b&password=")
        started = time.monotonic()
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413") and time.monotonic() - started < 5
    assert b"content-security-policy" in answer.lower()
    # Chunked, no length announced: refused as soon as it passes 64 KiB.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"a" * 16384
        for _ in range(5):
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        assert s.recv(4096).startswith(b"HTTP/1.1 413")


def test_a_malformed_request_id_is_404(serve) -> None:
    server = serve()
    session = _session(server)
    token = _csrf(server, session, server.ids[("C000002", "credit_limit")])
    for path in ("/requests/99999999999999999999", "/requests/9223372036854775808", "/requests/-1", "/requests/0",
                 "/requests/%EF%BC%91%EF%BC%92", "/requests/1e3", "/requests/abc", "/requests/%00"):
        assert request(server, "GET", path, headers=session).status == 404, path
        reply = _form(server, f"{path}/approve", {"csrf": token, "role": "L1"}, {**session, "Origin": server.url})
        assert reply.status == 404, path


def test_security_headers_on_every_response(serve) -> None:
    server = serve()
    replies = {
        303: request(server, "GET", "/"),
        404: request(server, "GET", "/no/such/page"),
        405: request(server, "PUT", "/login", headers={"Origin": server.url}),
        400: request(server, "GET", "/", headers={"Host": "evil.example"}),
        403: request(server, "POST", "/logout"),
        200: request(server, "GET", "/login"),
    }
    for status, reply in replies.items():
        assert reply.status == status
        missing = [h for h in SECURITY_HEADERS if h not in reply.headers]
        assert not missing, f"{status} lacks {missing}"
        assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]


def test_secure_cookies_behind_tls(serve) -> None:
    plain = serve()
    assert all("secure" not in c.lower() for c in request(plain, "GET", "/login").headers.get_all("set-cookie"))
    server = serve("--secure-cookies")
    for path in ("/login", "/login?lang=en"):
        cookies = request(server, "GET", path).headers.get_all("set-cookie")
        assert cookies and all("; secure" in c.lower() for c in cookies), cookies
    signed = sign_in(server, "赵敏", PASSWORD)
    assert signed.status == 303 and all("; secure" in c.lower() for c in signed.headers.get_all("set-cookie"))


def test_an_approver_acts_only_on_requests_needing_his_roles(serve) -> None:
    server = serve()
    session = _session(server, "吴刚")  # L3, the general manager
    tier1 = server.ids[("C000001", "credit_limit")]
    token = _csrf(server, session, tier1)
    reply = _form(server, f"/requests/{tier1}/reject", {"csrf": token, "reason": "no"}, {**session, "Origin": server.url})
    assert reply.status == 409 and "is not one of them" in reply.body
    [v] = [v for v in workflow.list_requests(server.store, _policy()) if v.id == tier1]
    assert v.status == "pending"
