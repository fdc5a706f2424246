"""dq serve: the approvers' web inbox (issue 14), on the project's approval database."""

from __future__ import annotations

from pathlib import Path

import click

from dataquality.cli.options import handle_errors, lang_option, state_options, workspace
from dataquality.i18n import text


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told otherwise).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--trusted-header", default=None, envvar="DQ_TRUSTED_HEADER",
              help="Sign in by this header set by a reverse proxy (company SSO), e.g. X-Remote-User. Off by default.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, default=("127.0.0.1", "::1"), show_default=True,
              help="Address of the proxy whose --trusted-header is believed (repeat).")
@click.option("--session-hours", type=click.FloatRange(0.1, 24 * 30), default=8.0, show_default=True, help="Sessions expire after this long.")
@state_options
@lang_option
@handle_errors
def serve(host: str, port: int, trusted_header: str | None, trusted_proxies: tuple[str, ...], session_hours: float,
          config_path: Path | None, db: str | None, state_dir: Path | None, schemas_dir: Path | None,
          rules_dir: Path | None, lang: str) -> None:
    """Start the approvers' web inbox and its JSON API (/api/v1, used by dq approve, dq changes submit,
    dq users ...): the service holds the audit key; people sign in and act through it."""
    import uvicorn

    from dataquality.approve.accounts import has_accounts
    from dataquality.web.app import WebSettings, create_app

    ws = workspace(db, state_dir, schemas_dir, rules_dir)
    notices = () if ws.project is not None else ("serve.no_project",)
    settings = WebSettings(lang=lang, trusted_header=trusted_header, trusted_proxies=tuple(trusted_proxies),
                           session_hours=session_hours, notices=notices)
    with ws.open() as store:
        app = create_app(store, ws.policy, ws.config, settings, state_dir=ws.state_dir)
        for notice in notices:
            click.echo(text(notice, lang), err=True)
        if not has_accounts(store):
            click.echo(text("serve.no_accounts", lang), err=True)
        click.echo(text("web.listening", lang, url=f"http://{host if ':' not in host else f'[{host}]'}:{port}/"), err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")


def register(main: click.Group) -> None:
    main.add_command(serve)
