"""`dq users` (sign-in accounts) and `dq serve` (the approvers' web inbox), registered onto `dq`.

Kept out of cli.py so the approval surface can grow without touching the shared command file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dataquality.i18n import normalise_lang, text


def register(main: click.Group) -> None:
    """Add `users` and `serve` to the `dq` group."""
    from dataquality.cli import (
        LANG_OPTION,
        _policy_and_config,
        _store,
        config_options,
        db_options,
        handle_errors,
    )

    @main.group()
    def users() -> None:
        """Sign-in accounts of approvers: one per person of the staff list, with the roles they hold."""

    def _password(lang: str, name: str) -> str:
        return click.prompt(text("accounts.new_password_prompt", lang, name=name), hide_input=True,
                            confirmation_prompt=text("accounts.repeat_prompt", lang), err=True)

    @users.command("add")
    @click.argument("name")
    @click.option("--role", "roles", multiple=True, required=True, help="A role the person approves in: L1, L2, L3 (repeat for several).")
    @db_options
    @config_options
    @LANG_OPTION
    @handle_errors
    def users_add(name: str, roles: tuple[str, ...], db: str | None, state_dir: Path | None, schemas_dir: Path | None,
                  rules_dir: Path | None, lang: str | None) -> None:
        """Create the account of NAME (a person of the staff list); the password is asked twice."""
        from dataquality.approve.accounts import add_user

        lang = normalise_lang(lang)
        _, policy = _policy_and_config(schemas_dir, rules_dir)
        person = policy.directory().person(name)
        password = _password(lang, person.name)
        store = _store(db, state_dir, policy)
        try:
            acc = add_user(store, policy, name, roles, password)
        finally:
            store.close()
        click.echo(text("accounts.added", lang, name=acc.name, id=acc.person_id, roles=", ".join(acc.roles)))

    @users.command("passwd")
    @click.argument("name")
    @db_options
    @config_options
    @LANG_OPTION
    @handle_errors
    def users_passwd(name: str, db: str | None, state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None,
                     lang: str | None) -> None:
        """Set a new password for NAME's account (asked twice); the account's sessions end."""
        from dataquality.approve.accounts import update_user

        lang = normalise_lang(lang)
        _, policy = _policy_and_config(schemas_dir, rules_dir)
        person = policy.directory().person(name)
        password = _password(lang, person.name)
        store = _store(db, state_dir, policy)
        try:
            acc = update_user(store, policy, name, password=password)
        finally:
            store.close()
        click.echo(text("accounts.password_set", lang, name=acc.name))

    @users.command("roles")
    @click.argument("name")
    @click.option("--role", "roles", multiple=True, help="The roles the account holds from now on (repeat).")
    @click.option("--disable/--enable", "disabled", default=None, help="Disable (or enable again) the account.")
    @db_options
    @config_options
    @LANG_OPTION
    @handle_errors
    def users_roles(name: str, roles: tuple[str, ...], disabled: bool | None, db: str | None, state_dir: Path | None,
                    schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
        """Change the roles of NAME's account, or disable it; its sessions end."""
        from dataquality.approve.accounts import update_user

        lang = normalise_lang(lang)
        _, policy = _policy_and_config(schemas_dir, rules_dir)
        store = _store(db, state_dir, policy)
        try:
            acc = update_user(store, policy, name, roles=roles or None, disabled=disabled)
        finally:
            store.close()
        click.echo(text("accounts.changed", lang, name=acc.name, roles=", ".join(acc.roles)))

    @users.command("list")
    @db_options
    @config_options
    @LANG_OPTION
    @handle_errors
    def users_list(db: str | None, state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None,
                   lang: str | None) -> None:
        """List the accounts with their roles; an account whose row was edited outside dq is marked."""
        from dataquality.approve.accounts import list_users

        lang = normalise_lang(lang)
        _, policy = _policy_and_config(schemas_dir, rules_dir)
        store = _store(db, state_dir, policy)
        try:
            found = list_users(store)
        finally:
            store.close()
        if not found:
            click.echo(text("accounts.none", lang))
        for u in found:
            flags = [text("accounts.disabled", lang)] if u["disabled"] else []
            flags += [] if u["sealed"] else [text("accounts.tampered_flag", lang)]
            click.echo(f"{u['name']} ({u['person_id']}): {u['roles']}" + (f"  [{', '.join(flags)}]" if flags else ""))

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told otherwise).")
    @click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
    @click.option("--trusted-header", default=None, envvar="DQ_TRUSTED_HEADER",
                  help="Sign in by this header set by a reverse proxy (company SSO), e.g. X-Remote-User. Off by default.")
    @click.option("--trusted-proxy", "trusted_proxies", multiple=True, default=("127.0.0.1", "::1"), show_default=True,
                  help="Address of the proxy whose --trusted-header is believed (repeat).")
    @click.option("--session-hours", type=click.FloatRange(0.1, 24 * 30), default=8.0, show_default=True, help="Sessions expire after this long.")
    @db_options
    @config_options
    @LANG_OPTION
    @handle_errors
    def serve(host: str, port: int, trusted_header: str | None, trusted_proxies: tuple[str, ...], session_hours: float,
              db: str | None, state_dir: Path | None, schemas_dir: Path | None, rules_dir: Path | None, lang: str | None) -> None:
        """Start the approvers' web inbox: sign in, see the requests waiting for your roles, approve or reject."""
        import uvicorn

        from dataquality.web.app import WebSettings, create_app

        lang = normalise_lang(lang)
        config, policy = _policy_and_config(schemas_dir, rules_dir)
        store = _store(db, state_dir, policy)
        settings = WebSettings(lang=lang, trusted_header=trusted_header, trusted_proxies=tuple(trusted_proxies),
                               session_hours=session_hours)
        app = create_app(store, policy, config, settings)
        click.echo(text("web.listening", lang, url=f"http://{host if ':' not in host else f'[{host}]'}:{port}/"), err=True)
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            store.close()


def print_head(store: Any, lang: str) -> str:
    """The audit chain's head line (`dq check`, `dq audit verify`): keep it outside the database."""
    from dataquality.approve import audit

    with store.transaction() as conn:
        head = audit.head(conn)
    click.echo(text("audit.head", lang, head=head))
    return head


def check_head(project: Any, run_dir: Path, lang: str) -> None:
    """After `dq check`: print the audit head and keep it in the run's report folder (audit-head.txt)."""
    from dataquality.approve import audit
    from dataquality.approve.keys import load_key
    from dataquality.fileio import atomic_open
    from dataquality.track.project import open_project_store

    store = open_project_store(project)
    try:
        key = load_key(project.state_dir)
        with store.transaction() as conn:
            head = audit.head(conn)
            # The nightly report read the approval tables: say so when the chain does not vouch for them.
            problems = audit.verify(conn, key=key)[1] if key is not None and head != "0:-" else []
    finally:
        store.close()
    with atomic_open(Path(run_dir) / "audit-head.txt") as fh:
        fh.write(head + "\n")
    click.echo(text("audit.head", lang, head=head))
    if problems:
        click.echo(text("audit.check_broken", lang, n=len(problems), first=problems[0].message(lang)), err=True)


def init_key(folder: Path, lang: str) -> None:
    """`dq init`: the project's audit key in FOLDER/.dq/audit.key (kept when it exists)."""
    from dataquality.approve.keys import create_key, default_key_path
    from dataquality.store import DEFAULT_STATE_DIR

    path = default_key_path(Path(folder) / DEFAULT_STATE_DIR)
    if path.exists():
        return
    create_key(path)
    click.echo(text("keys.created", lang, file=path))
