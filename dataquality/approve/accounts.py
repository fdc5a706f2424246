"""Sign-in accounts, password checks, server-side sessions and personal API tokens.

An account belongs to one person of the staff list and holds roles: the approval levels of
approval.yaml (L1, L2, L3) and the system roles below (`admin` manages accounts). Passwords are
hashed with argon2id (argon2-cffi).

Every account change is an audit event that names its operator and carries the account's state:
roles, disabled flag, version (bumped by each event) and a fingerprint of the password hash. An
account row is used only when its HMAC holds AND it says what the newest sealed event about it
says: a row written back from an older copy (a disabled account enabled again, an old password,
a revoked role) is refused, and `dq audit verify` reports it. Sessions and tokens are valid for the
account version they were made for, so any account event ends them.

Separation of duties: only a signed-in administrator adds accounts, changes roles or disables them;
a password is changed by its owner with the old password, or by an administrator. The first
administrator is made by `dq init` (or `dq users bootstrap` on a database without one), run by the
key holder.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from dataquality.approve import audit
from dataquality.approve.coverage import USER_ACTIONS, account_state
from dataquality.approve.db import audit_log, sessions, tokens, users
from dataquality.approve.keys import AuditKeyError
from dataquality.approve.passwords import PasswordRefused, check_password
from dataquality.approve.people import Person
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.errors import DQError
from dataquality.store import Store

SESSION_HOURS = 8
IDLE_MINUTES = 30
TOKEN_DAYS = 90
ADMIN = "admin"
CLERK = "clerk"
# Roles that are not approval levels: what an account may do in dq itself (`clerk`: imports on the
# desk of `dq serve`, issue 24); a role's labels are shown in `dq users list` and the web pages.
SYSTEM_ROLES: dict[str, Mapping[str, str]] = {
    ADMIN: {"en": "administrator (manages accounts)", "zh": "管理员（管理账号）"},
    CLERK: {"en": "clerk (checks and submits imports on the desk)", "zh": "录入员（在导入台检查并提交导入）"},
}
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


class NotAllowedError(DQError):
    """A signed-in person asked for something their roles do not allow (exit 2)."""


@dataclass(frozen=True)
class Account:
    """A signed-in (or looked-up) person with the roles the account holds."""

    id: int
    person_id: str
    name: str
    roles: tuple[str, ...]

    def holds(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles


def _key(conn: Connection) -> bytes:
    key = audit.key_for(conn)
    if key is None:
        raise AuditKeyError("keys.not_bound")
    return key


def _user_mac(key: bytes, row: dict[str, Any]) -> str:
    return audit.mac(key, "user", row["id"], row["person_id"], row["name"], row["roles"], row["password_hash"], int(row["disabled"]))


def role_codes(policy: ApprovalPolicy, roles: tuple[str, ...]) -> str:
    """The roles as stored: approval levels by their code (财务总监 -> L2) and system roles; none is
    allowed (a person who only submits)."""
    codes = []
    for r in roles:
        if r.strip().casefold() in SYSTEM_ROLES:
            codes.append(r.strip().casefold())
            continue
        found = policy.role(r)
        if found is None:
            known = [x.code for x in policy.roles] + list(SYSTEM_ROLES)
            raise AccountError("approve.unknown_role", role=r, roles=", ".join(known))
        codes.append(found.code)
    # No role at all is an account that only submits change requests (and withdraws its own).
    return ",".join(sorted(set(codes)))


def _check_password(password: str, person: Person) -> None:
    """The password policy (passwords.py), wherever an account's password is set."""
    try:
        check_password(password, (person.name, person.id))
    except PasswordRefused as exc:
        raise AccountError(exc.key, **exc.params) from None


def _of_row(row: dict[str, Any]) -> Account:
    return Account(row["id"], row["person_id"], row["name"], tuple(r for r in row["roles"].split(",") if r))


# --- the sealed account events ----------------------------------------------------------------


def newest_event(conn: Connection, person_id: str) -> dict[str, Any] | None:
    """The newest audit event about the account of `person_id` (events of dq 0.2 name the person in
    their details only, so they are looked for there when none names it as its subject)."""
    found = conn.execute(select(audit_log).where(audit_log.c.entity == "user", audit_log.c.key == person_id)
                         .order_by(audit_log.c.seq.desc()).limit(1)).first()
    if found is not None:
        return dict(found._mapping)
    q = select(audit_log).where(audit_log.c.action.in_(USER_ACTIONS), audit_log.c.entity.is_(None)).order_by(audit_log.c.seq.desc())
    for r in conn.execute(q):
        if r.data and json.loads(r.data).get("person_id") == person_id:
            return dict(r._mapping)
    return None


def intact(conn: Connection, key: bytes, row: dict[str, Any]) -> bool:
    """The row's HMAC holds and it says what the newest sealed event about the account says."""
    if not hmac.compare_digest(row["mac"], _user_mac(key, row)):
        return False
    event = newest_event(conn, row["person_id"])
    if event is None or not audit.sealed_row(event, key):
        return False
    said = json.loads(event["data"] or "{}")
    state = account_state(row)
    # An event of dq 0.2 carries no version or fingerprint: the version is then the first one.
    said.setdefault("version", 1)
    return all(str(said[c]) == state[c] for c in state if c in said)


def _event(conn: Connection, row: dict[str, Any], action: str, operator: Account | None, what: str) -> None:
    """Append the account event (the row's state after the change, and who changed it)."""
    by = operator.name if operator is not None else f"key holder ({_os_user()})"
    audit.append(conn, action, actor=by, entity="user", key=row["person_id"],
                 comment=f"{row['name']} ({row['person_id']}): {what}",
                 data={"person_id": row["person_id"], **account_state(row),
                       "operator_id": operator.person_id if operator is not None else None})


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"


def _write(conn: Connection, key: bytes, row: dict[str, Any], changes: dict[str, Any]) -> None:
    """Store the changed row with a new version and seal; its sessions and tokens end."""
    row.update(changes)
    row["version"] = int(row["version"]) + 1
    row["mac"] = _user_mac(key, row)
    conn.execute(users.update().where(users.c.id == row["id"]).values(
        **{k: row[k] for k in (*changes, "version", "mac")}))
    conn.execute(delete(sessions).where(sessions.c.user_id == row["id"]))
    conn.execute(delete(tokens).where(tokens.c.user_id == row["id"]))


def _locked(conn: Connection, key: bytes, person: Person) -> dict[str, Any]:
    q = select(users).where(users.c.person_id == person.id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    found = conn.execute(q).first()
    if found is None:
        raise AccountError("accounts.no_account", name=person.name)
    row = dict(found._mapping)
    if not intact(conn, key, row):
        raise AccountError("accounts.tampered", name=person.name)
    return row


def _require_admin(operator: Account | None) -> None:
    if operator is None or not operator.is_admin:
        raise NotAllowedError("accounts.admin_only", name=operator.name if operator else "-")


def _admins_left(conn: Connection, key: bytes, but: str | None = None) -> int:
    """Enabled, intact administrator accounts (other than person `but`)."""
    n = 0
    for r in conn.execute(select(users).where(users.c.disabled == 0)):
        row = dict(r._mapping)
        if row["person_id"] != but and ADMIN in row["roles"].split(",") and intact(conn, key, row):
            n += 1
    return n


# --- managing accounts --------------------------------------------------------------------------


def add_user(store: Store, policy: ApprovalPolicy, name: str, roles: tuple[str, ...], password: str,
             operator: Account | None = None, bootstrap: bool = False) -> Account:
    """Create the account of the staff-list person `name` with `roles`, by a signed-in administrator
    (`bootstrap`: the key holder making the first administrator of a database that has none)."""
    person = policy.directory().person(name)
    codes = role_codes(policy, roles)
    _check_password(password, person)
    if not bootstrap:
        _require_admin(operator)
    at = audit.now()
    with store.transaction() as conn:
        key = _key(conn)
        if bootstrap and (ADMIN not in codes.split(",") or _admins_left(conn, key)):
            raise NotAllowedError("accounts.bootstrap_refused")
        if conn.execute(select(users.c.id).where(users.c.person_id == person.id)).first():
            raise AccountError("accounts.exists", name=person.name)
        row = {"person_id": person.id, "name": person.name, "roles": codes, "password_hash": _HASHER.hash(password),
               "disabled": 0, "created_at": at, "updated_at": at, "mac": "-", "version": 1}
        uid = int(conn.execute(users.insert().values(**row)).inserted_primary_key[0])
        row["id"] = uid
        conn.execute(users.update().where(users.c.id == uid).values(mac=_user_mac(key, row)))
        _event(conn, row, "user_add", None if bootstrap else operator, f"added with {codes}")
    return _of_row(row)


def update_user(store: Store, policy: ApprovalPolicy, name: str, *, roles: tuple[str, ...] | None = None,
                disabled: bool | None = None, operator: Account | None = None) -> Account:
    """Change an account's roles or disabled flag: administrators only (an audit event; its
    sessions and token end). The last enabled administrator is never removed."""
    _require_admin(operator)
    person = policy.directory().person(name)
    with store.transaction() as conn:
        key = _key(conn)
        row = _locked(conn, key, person)
        changes: dict[str, Any] = {"updated_at": audit.now()}
        if roles is not None:
            changes["roles"] = role_codes(policy, roles)
        if disabled is not None:
            changes["disabled"] = int(disabled)
        still_admin = ADMIN in changes.get("roles", row["roles"]).split(",") and not changes.get("disabled", row["disabled"])
        if not still_admin and ADMIN in row["roles"].split(",") and not _admins_left(conn, key, but=row["person_id"]):
            raise NotAllowedError("accounts.last_admin", name=person.name)
        _write(conn, key, row, changes)
        what = ", ".join(k for k in ("roles", "disabled") if k in changes)
        _event(conn, row, "user_change", operator, what)
    return _of_row(row)


def set_password(store: Store, policy: ApprovalPolicy, name: str, password: str, operator: Account,
                 old_password: str | None = None) -> Account:
    """A new password for `name`: by its owner giving the old one, or by an administrator."""
    person = policy.directory().person(name)
    own = operator.person_id == person.id
    if not operator.is_admin and not own:
        raise NotAllowedError("accounts.password_not_yours", name=operator.name, account=person.name)
    _check_password(password, person)
    with store.transaction() as conn:
        key = _key(conn)
        row = _locked(conn, key, person)
        if not operator.is_admin and not _verify(row["password_hash"], old_password or ""):
            raise SignInError("accounts.old_password_wrong")
        _write(conn, key, row, {"password_hash": _HASHER.hash(password), "updated_at": audit.now()})
        _event(conn, row, "user_change", operator, "password")
    return _of_row(row)


def list_users(store: Store) -> list[dict[str, Any]]:
    """Every account (without its password hash); with the key, whether it is intact (its seal holds
    and it says what the newest account event says)."""
    with store.transaction() as conn:
        key = audit.key_for(conn)
        out = []
        for r in conn.execute(select(users).order_by(users.c.name)):
            row = dict(r._mapping)
            out.append({"name": row["name"], "person_id": row["person_id"], "roles": row["roles"],
                        "disabled": bool(row["disabled"]), "version": row["version"],
                        "sealed": None if key is None else intact(conn, key, row)})
        return out


def has_accounts(store: Store) -> bool:
    """Whether anyone could sign in at all (dq serve says so when nobody can)."""
    with store.transaction() as conn:
        return conn.execute(select(users.c.id).where(users.c.disabled == 0).limit(1)).first() is not None


# --- signing in ---------------------------------------------------------------------------------


def _account(conn: Connection, key: bytes, where: Any) -> tuple[Account, dict[str, Any]] | None:
    found = conn.execute(select(users).where(where)).first()
    if found is None:
        return None
    row = dict(found._mapping)
    if row["disabled"] or not intact(conn, key, row):
        return None
    return _of_row(row), row


def authenticate(store: Store, policy: ApprovalPolicy, name: str, password: str) -> Account:
    """The account of `name` when `password` is right; SignInError otherwise (one message for all)."""
    person: Person | None = policy.directory().find(name)
    with store.transaction() as conn:
        key = _key(conn)
        found = _account(conn, key, users.c.person_id == person.id) if person else None
    if found is None:
        _verify(_dummy_hash(), password or "")
        raise SignInError("accounts.sign_in_failed")
    account, row = found
    if not _verify(row["password_hash"], password or ""):
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


# --- sessions and tokens ------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _session_mac(key: bytes, row: dict[str, Any]) -> str:
    # created_at is sealed too: it bounds how far an active session may be extended.
    return audit.mac(key, "session", row["token_hash"], row["user_id"], row["user_version"], row["csrf"],
                     row["created_at"], row["expires_at"])


def _token_mac(key: bytes, row: dict[str, Any]) -> str:
    return audit.mac(key, "token", row["token_hash"], row["user_id"], row["user_version"], row["expires_at"])


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _version(conn: Connection, account: Account) -> int:
    return int(conn.execute(select(users.c.version).where(users.c.id == account.id)).scalar_one())


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
        row["user_version"] = _version(conn, account)
        row["mac"] = _session_mac(_key(conn), row)
        conn.execute(delete(sessions).where(sessions.c.expires_at < now.isoformat()))
        conn.execute(sessions.insert().values(**row))
    return token, csrf


def _live(conn: Connection, key: bytes, row: dict[str, Any], mac: str) -> Account | None:
    """The account of a session or token row whose seal holds, that has not expired and was made
    for the account's current version."""
    if not hmac.compare_digest(row["mac"], mac) or row["expires_at"] <= _utcnow().isoformat():
        return None
    found = _account(conn, key, users.c.id == row["user_id"])
    if found is None or int(found[1]["version"]) != int(row["user_version"]):
        return None
    return found[0]


# A used session's expiry moves on at most this often: a page view is not a write every time.
_EXTEND_EVERY = dt.timedelta(minutes=1)


def session_account(store: Store, token: str | None, hours: float = SESSION_HOURS,
                    idle_minutes: float | None = None) -> tuple[Account, str] | None:
    """(account, CSRF token) of a live session; None when unknown, expired (idle too long, or
    older than `hours`), tampered, disabled or made for an older account version. Using it keeps
    it alive for `idle_minutes` more."""
    if not token:
        return None
    with store.transaction() as conn:
        key = _key(conn)
        found = conn.execute(select(sessions).where(sessions.c.token_hash == _token_hash(token))).first()
        if found is None:
            return None
        row = dict(found._mapping)
        acc = _live(conn, key, row, _session_mac(key, row))
        if acc is not None and idle_minutes is not None:
            _extend(conn, key, row, _utcnow(), hours, idle_minutes)
    return (acc, row["csrf"]) if acc else None


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


def issue_token(store: Store, policy: ApprovalPolicy, account: Account, days: float = TOKEN_DAYS) -> str:
    """A new personal API token for the signed-in `account` (only its owner makes one). It replaces
    the previous token and ends the account's sessions (an account event bumps the version)."""
    token = "dq_" + secrets.token_urlsafe(32)
    now = _utcnow()
    person = policy.directory().person(account.person_id)
    with store.transaction() as conn:
        key = _key(conn)
        row = _locked(conn, key, person)
        _write(conn, key, row, {"updated_at": now.isoformat()})
        _event(conn, row, "token_add", account, f"API token, valid {days:g} days")
        tok = {"token_hash": _token_hash(token), "user_id": row["id"], "user_version": row["version"],
               "created_at": now.isoformat(), "expires_at": (now + dt.timedelta(days=days)).isoformat()}
        tok["mac"] = _token_mac(key, tok)
        conn.execute(tokens.insert().values(**tok))
    return token


def revoke_tokens(store: Store, policy: ApprovalPolicy, name: str, operator: Account) -> Account:
    """End the API token (and sessions) of `name`: by its owner or an administrator."""
    person = policy.directory().person(name)
    if not operator.is_admin and operator.person_id != person.id:
        raise NotAllowedError("accounts.token_not_yours", name=operator.name, account=person.name)
    with store.transaction() as conn:
        key = _key(conn)
        row = _locked(conn, key, person)
        _write(conn, key, row, {"updated_at": audit.now()})
        _event(conn, row, "token_revoke", operator, "API token revoked")
    return _of_row(row)


def token_account(store: Store, token: str | None) -> Account | None:
    """The account of a live API token; None when unknown, expired, revoked or tampered."""
    if not token:
        return None
    with store.transaction() as conn:
        key = _key(conn)
        found = conn.execute(select(tokens).where(tokens.c.token_hash == _token_hash(token))).first()
        if found is None:
            return None
        row = dict(found._mapping)
        return _live(conn, key, row, _token_mac(key, row))
