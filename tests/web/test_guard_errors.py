"""The guard around any Starlette app (a mounted API included): a bug's 500 page carries the
security headers too, and a route mounted later is guarded like the inbox."""

from __future__ import annotations

import http.client
import socket
import threading

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from dataquality.web.security import Guard, GuardSettings


def _boom(_request):  # type: ignore[no-untyped-def]
    raise RuntimeError("a bug")


def _ok(_request):  # type: ignore[no-untyped-def]
    return PlainTextResponse("done")


def test_errors_and_mounted_routes_are_guarded() -> None:
    api = Starlette(routes=[Route("/change", _ok, methods=["POST"])])
    app = Starlette(routes=[Route("/boom", _boom), Mount("/api/v1", api)],
                    middleware=[Middleware(Guard, settings=GuardSettings(lang="en"))])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started:
        started.wait(0.02)
    try:
        def ask(method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request(method, path, body=b"" if method == "POST" else None, headers=headers)
            res = conn.getresponse()
            res.read()
            conn.close()
            return res

        failed = ask("GET", "/boom", {})
        assert failed.status == 500 and failed.headers["x-frame-options"] == "DENY"
        assert ask("POST", "/api/v1/change", {"Cookie": "dq_session=x"}).status == 403
        assert ask("POST", "/api/v1/change", {"Authorization": "Bearer t"}).status == 200
        assert ask("POST", "/api/v1/change", {"Cookie": "dq_session=x", "Origin": f"http://127.0.0.1:{port}"}).status == 200
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
