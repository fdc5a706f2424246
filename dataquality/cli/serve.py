"""dq serve: the approvers' web inbox (issue 14), on the project's approval database."""

from __future__ import annotations

from pathlib import Path

import click

from dataquality.cli.options import handle_errors, lang_option, state_options, workspace
from dataquality.i18n import text
from dataquality.terminal import echo


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told otherwise).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name people reach the inbox by, e.g. dq.example.com or *.example.com (repeat). "
                   "Requests for any other name are refused. Always allowed: localhost, 127.0.0.1, ::1 and the --host address.")
@click.option("--trusted-header", default=None, envvar="DQ_TRUSTED_HEADER",
              help="Sign in by this header set by a reverse proxy (company SSO), e.g. X-Remote-User. Off by default; needs --trusted-proxy.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="Address or network of the reverse proxy (repeat): only from it are --trusted-header and "
                   "X-Forwarded-For/-Proto believed. None by default.")
@click.option("--session-hours", type=click.FloatRange(0.1, 24 * 30), default=8.0, show_default=True, help="Sessions end this long after sign-in.")
@click.option("--idle-minutes", type=click.FloatRange(1, 24 * 60), default=30.0, show_default=True,
              help="Sessions end after this long without a request.")
@click.option("--secure-cookies", is_flag=True, help="Mark cookies Secure (sent over HTTPS only): use it behind a TLS-terminating proxy.")
@state_options
@lang_option
@handle_errors
def serve(host: str, port: int, allowed_hosts: tuple[str, ...], trusted_header: str | None, trusted_proxies: tuple[str, ...],
          session_hours: float, idle_minutes: float, secure_cookies: bool, config_path: Path | None, db: str | None,
          state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str) -> None:
    """Start the approvers' web inbox and its JSON API (/api/v1, used by dq approve, dq changes submit,
    dq users ...): the service holds the audit key; people sign in and act through it."""
    import uvicorn

    from dataquality.approve.accounts import has_accounts
    from dataquality.web.app import WebSettings, create_app
    from dataquality.web.security import served_hosts

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    notices = () if ws.project is not None else ("serve.no_project",)
    settings = WebSettings(lang=lang, trusted_header=trusted_header, trusted_proxies=tuple(trusted_proxies),
                           session_hours=session_hours, idle_minutes=idle_minutes, secure_cookies=secure_cookies,
                           allowed_hosts=served_hosts(host, allowed_hosts), notices=notices,
                           baseline=ws.project.baseline if ws.project is not None else None,
                           desk_expire_hours=ws.project.desk_expire_hours if ws.project is not None else 72.0)
    with ws.open() as store:
        app = create_app(store, ws.policy, ws.config, settings, state_dir=ws.state_dir)
        for notice in notices:
            echo(text(notice, lang), err=True)
        if not has_accounts(store):
            echo(text("serve.no_accounts", lang), err=True)
        echo(text("web.listening", lang, url=f"http://{host if ':' not in host else f'[{host}]'}:{port}/"), err=True)
        # The app's guard applies the proxy headers itself, from --trusted-proxy only.
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False, server_header=False)


def register(main: click.Group) -> None:
    main.add_command(serve)
