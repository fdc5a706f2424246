"""Sign-in accounts (`dq users`), password checks and server-side sessions (`dq serve`).

An account belongs to one person of the staff list and holds the approval roles that person may
act in. Passwords are hashed with argon2id (argon2-cffi). Account and session rows carry an HMAC
under the audit key (kept outside the database), checked on every use: a row written or edited
with database access alone - a role granted, a password hash swapped, a session planted - is
refused. Creating an account or changing its roles or password is also an audit event.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from dataquality.approve import audit
from dataquality.approve.db import sessions, users
from dataquality.approve.keys import AuditKeyError
from dataquality.approve.passwords import PasswordRefused, check_password
from dataquality.approve.people import Person
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.errors import DQError
from dataquality.store import Store

SESSION_HOURS = 8
IDLE_MINUTES = 30
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Checked when the name is unknown, so a wrong name costs as long as a wrong password."""
    return _HASHER.hash("dq-no-such-user-dummy-password")


class AccountError(DQError):
    """An account operation the user got wrong (unknown person, weak password, no such role...)."""


class SignInError(DQError):
    """Wrong name or password, disabled account or tampered account row: one message for all."""

    exit_code = 2


@dataclass(frozen=True)
class Account:
    """A signed-in (or looked-up) person with the roles the account holds."""

    id: int
    person_id: str
    name: str
    roles: tuple[str, ...]


def _key(conn: Connection) -> bytes:
    key = audit.key_for(conn)
    if key is None:
        raise AuditKeyError("keys.not_bound")
    return key


def _user_mac(key: bytes, row: dict[str, Any]) -> str:
    return audit.mac(key, "user", row["id"], row["person_id"], row["name"], row["roles"], row["password_hash"], int(row["disabled"]))


def _roles(policy: ApprovalPolicy, roles: tuple[str, ...]) -> str:
    codes = []
    for r in roles:
        found = policy.role(r)
        if found is None:
            raise AccountError("approve.unknown_role", role=r, roles=", ".join(x.code for x in policy.roles))
        codes.append(found.code)
    if not codes:
        raise AccountError("accounts.no_role")
    return ",".join(sorted(set(codes)))


def _check_password(password: str, person: Person) -> None:
    """The password policy (passwords.py), wherever an account's password is set."""
    try:
        check_password(password, (person.name, person.id))
    except PasswordRefused as exc:
        raise AccountError(exc.key, **exc.params) from None


def add_user(store: Store, policy: ApprovalPolicy, name: str, roles: tuple[str, ...], password: str, by: str | None = None) -> Account:
    """Create the account of the staff-list person `name` with `roles` (an audit event)."""
    person = policy.directory().person(name)
    codes = _roles(policy, roles)
    _check_password(password, person)
    at = audit.now()
    with store.transaction() as conn:
        key = _key(conn)
        if conn.execute(select(users.c.id).where(users.c.person_id == person.id)).first():
            raise AccountError("accounts.exists", name=person.name)
        row = {"person_id": person.id, "name": person.name, "roles": codes, "password_hash": _HASHER.hash(password),
               "disabled": 0, "created_at": at, "updated_at": at, "mac": "-"}
        uid = int(conn.execute(users.insert().values(**row)).inserted_primary_key[0])
        row["id"] = uid
        conn.execute(users.update().where(users.c.id == uid).values(mac=_user_mac(key, row)))
        audit.append(conn, "user_add", actor=by or person.name, comment=f"{person.name} ({person.id}): {codes}",
                     data={"person_id": person.id, "roles": codes})
    return Account(uid, person.id, person.name, tuple(codes.split(",")))


def update_user(store: Store, policy: ApprovalPolicy, name: str, *, password: str | None = None,
                roles: tuple[str, ...] | None = None, disabled: bool | None = None, by: str | None = None) -> Account:
    """Change an account's password, roles or disabled flag (an audit event; its sessions end)."""
    person = policy.directory().person(name)
    if password is not None:
        _check_password(password, person)
    with store.transaction() as conn:
        key = _key(conn)
        found = conn.execute(select(users).where(users.c.person_id == person.id)).first()
        if found is None:
            raise AccountError("accounts.no_account", name=person.name)
        row = dict(found._mapping)
        if not hmac.compare_digest(row["mac"], _user_mac(key, row)):
            raise AccountError("accounts.tampered", name=person.name)
        changes: dict[str, Any] = {"updated_at": audit.now()}
        if password is not None:
            changes["password_hash"] = _HASHER.hash(password)
        if roles is not None:
            changes["roles"] = _roles(policy, roles)
        if disabled is not None:
            changes["disabled"] = int(disabled)
        row.update(changes)
        changes["mac"] = _user_mac(key, row)
        conn.execute(users.update().where(users.c.id == row["id"]).values(**changes))
        conn.execute(delete(sessions).where(sessions.c.user_id == row["id"]))
        what = ", ".join(k for k in ("password_hash", "roles", "disabled") if k in changes)
        audit.append(conn, "user_change", actor=by or person.name, comment=f"{person.name} ({person.id}): {what}",
                     data={"person_id": person.id, "roles": row["roles"], "disabled": row["disabled"],
                           "password_changed": password is not None})
    return Account(row["id"], row["person_id"], row["name"], tuple(row["roles"].split(",")))


def list_users(store: Store) -> list[dict[str, Any]]:
    """Every account (without its password hash), each with whether its row's seal holds."""
    with store.transaction() as conn:
        key = _key(conn)
        out = []
        for r in conn.execute(select(users).order_by(users.c.name)):
            row = dict(r._mapping)
            ok = hmac.compare_digest(row["mac"], _user_mac(key, row))
            out.append({"name": row["name"], "person_id": row["person_id"], "roles": row["roles"],
                        "disabled": bool(row["disabled"]), "sealed": ok})
        return out


def _account(conn: Connection, key: bytes, where: Any) -> tuple[Account, str] | None:
    found = conn.execute(select(users).where(where)).first()
    if found is None:
        return None
    row = dict(found._mapping)
    if row["disabled"] or not hmac.compare_digest(row["mac"], _user_mac(key, row)):
        return None
    return Account(row["id"], row["person_id"], row["name"], tuple(row["roles"].split(","))), row["password_hash"]


def authenticate(store: Store, policy: ApprovalPolicy, name: str, password: str) -> Account:
    """The account of `name` when `password` is right; SignInError otherwise (one message for all)."""
    person: Person | None = policy.directory().find(name)
    with store.transaction() as conn:
        key = _key(conn)
        found = _account(conn, key, users.c.person_id == person.id) if person else None
    if found is None:
        _verify(_dummy_hash(), password or "")
        raise SignInError("accounts.sign_in_failed")
    account, stored = found
    if not _verify(stored, password or ""):
        raise SignInError("accounts.sign_in_failed")
    return account


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def account_for_person(store: Store, policy: ApprovalPolicy, name: str) -> Account | None:
    """The enabled, intact account of the person `name` (sign-in by a trusted proxy header)."""
    person = policy.directory().find(name)
    if person is None:
        return None
    with store.transaction() as conn:
        found = _account(conn, _key(conn), users.c.person_id == person.id)
    return found[0] if found else None


# --- sessions --------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _session_mac(key: bytes, row: dict[str, Any]) -> str:
    # created_at is sealed too: it bounds how far an active session may be extended.
    return audit.mac(key, "session", row["token_hash"], row["user_id"], row["csrf"], row["created_at"], row["expires_at"])


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _expiry(created: dt.datetime, now: dt.datetime, hours: float, idle_minutes: float | None) -> str:
    """When a session used at `now` ends: `idle_minutes` later, never past `hours` after it began."""
    end = created + dt.timedelta(hours=hours)
    if idle_minutes is not None:
        end = min(end, now + dt.timedelta(minutes=idle_minutes))
    return end.isoformat()


def start_session(store: Store, account: Account, hours: float = SESSION_HOURS,
                  idle_minutes: float | None = None) -> tuple[str, str]:
    """A new session for `account`: (cookie token, CSRF token). It ends `hours` after it began, or
    earlier when unused for `idle_minutes`. Expired sessions are cleared."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = _utcnow()
    row = {"token_hash": _token_hash(token), "user_id": account.id, "csrf": csrf, "created_at": now.isoformat(),
           "expires_at": _expiry(now, now, hours, idle_minutes)}
    with store.transaction() as conn:
        row["mac"] = _session_mac(_key(conn), row)
        conn.execute(delete(sessions).where(sessions.c.expires_at < now.isoformat()))
        conn.execute(sessions.insert().values(**row))
    return token, csrf


# A used session's expiry moves on at most this often: a page view is not a write every time.
_EXTEND_EVERY = dt.timedelta(minutes=1)


def session_account(store: Store, token: str | None, hours: float = SESSION_HOURS,
                    idle_minutes: float | None = None) -> tuple[Account, str] | None:
    """(account, CSRF token) of a live session; None when unknown, expired (idle too long, or
    older than `hours`), tampered or disabled. Using it keeps it alive for `idle_minutes` more."""
    if not token:
        return None
    with store.transaction() as conn:
        key = _key(conn)
        found = conn.execute(select(sessions).where(sessions.c.token_hash == _token_hash(token))).first()
        if found is None:
            return None
        row = dict(found._mapping)
        now = _utcnow()
        if not hmac.compare_digest(row["mac"], _session_mac(key, row)) or row["expires_at"] <= now.isoformat():
            return None
        acc = _account(conn, key, users.c.id == row["user_id"])
        if acc and idle_minutes is not None:
            _extend(conn, key, row, now, hours, idle_minutes)
    return (acc[0], row["csrf"]) if acc else None


def _extend(conn: Connection, key: bytes, row: dict[str, Any], now: dt.datetime, hours: float, idle_minutes: float) -> None:
    later = _expiry(dt.datetime.fromisoformat(row["created_at"]), now, hours, idle_minutes)
    if dt.datetime.fromisoformat(later) - dt.datetime.fromisoformat(row["expires_at"]) >= _EXTEND_EVERY:
        row = {**row, "expires_at": later}
        conn.execute(sessions.update().where(sessions.c.token_hash == row["token_hash"])
                     .values(expires_at=later, mac=_session_mac(key, row)))


def end_session(store: Store, token: str | None) -> None:
    """Sign out: the session row is deleted."""
    if token:
        with store.transaction() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))
