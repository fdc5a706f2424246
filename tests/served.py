"""`dq serve` for tests: the service (web inbox and JSON API) in a thread on a free loopback port,
over a real store with its audit key, so that the CLI - which acts through the service, never with
the key - can be driven in-process with DQ_SERVER pointing at it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from dataquality.approve import accounts
from dataquality.approve.stores import open_approval_store
from dataquality.web.app import WebSettings, create_app

PASSWORD = "correct horse battery"
ADMIN = "王芳"


class Served:
    """An ASGI app on 127.0.0.1:<free port> in a thread; `url` is its base address."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        ready = threading.Event()
        while not self.server.started and self.thread.is_alive():
            ready.wait(0.02)
        assert self.server.started

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()
        self.sock.close()


@contextmanager
def service(url: str, state_dir: Path, config: Any, policy: Any, people: dict[str, tuple[str, ...]] | None = None,
            lang: str = "en") -> Iterator[str]:
    """The service over the database at `url` (its key made when new), with `people` given accounts by
    the administrator (王芳, made first when the database has none); yields its base URL."""
    store = open_approval_store(url, state_dir)
    try:
        if people:
            add_accounts(store, policy, people)
        served = Served(create_app(store, policy, config, WebSettings(lang=lang), state_dir=state_dir))
        try:
            yield served.url
        finally:
            served.stop()
    finally:
        store.close()


def add_accounts(store: Any, policy: Any, people: dict[str, tuple[str, ...]], password: str = PASSWORD) -> None:
    """Accounts for `people` (name -> roles), made by the administrator as dq users add does."""
    if not accounts.has_accounts(store):
        accounts.add_user(store, policy, ADMIN, ("admin",), password, bootstrap=True)
    admin = accounts.authenticate(store, policy, ADMIN, password)
    for name, roles in people.items():
        if name == ADMIN and roles:
            accounts.update_user(store, policy, name, roles=("admin", *roles), operator=admin)
        elif name != ADMIN:
            accounts.add_user(store, policy, name, roles, password, operator=admin)


@contextmanager
def project_service(folder: Path, people: dict[str, tuple[str, ...]] | None = None, lang: str = "en") -> Iterator[str]:
    """The service of the project in `folder`, as `dq serve` run there starts it."""
    from dataquality.track.workspace import load_project, workspace

    ws = workspace(load_project(folder / "dq.yaml"))
    with service(ws.url, ws.state_dir, ws.config, ws.policy, people, lang) as url:
        yield url
