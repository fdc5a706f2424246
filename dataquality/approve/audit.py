"""The append-only audit log: every request, approval, rejection, apply and account change,
chained and sealed with a key kept outside the database.

Row N stores the seal of row N-1 (`prev_hash`) and its own seal: HMAC-SHA256 under the audit key
(keys.py) over a canonical JSON of its fields, its details (`data`) included. Editing, inserting,
deleting or re-sealing rows needs the key, which the database does not hold. `verify` also checks
that the state tables say what the events say (coverage.py: submissions, requests, every column of
approvals and sheet entries, accounts), that the protecting triggers exist as dq defined them, and,
given the head printed by an earlier `dq check` or `dq audit verify` (`--expect-head SEQ:SEAL`),
that the log has not been truncated, rolled back or deleted.

Rows written by dq 0.1 are plain sha256 (no key existed). They are vouched for only by a `seal`
event right after them, written by the upgrade of a dq 0.1 database (stores.py) or by the explicit
`dq audit seal-legacy --expect-head`: never by an ordinary command, and nothing else is appended
after them. A log with no keyed row at all is reported, as tampered when the database has accounts
or a key (dq 0.1 had neither).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from dataquality.approve.db import PG_TRIGGERS, SQLITE_TRIGGERS, audit_head, audit_log
from dataquality.approve.keys import AuditKeyError, key_id
from dataquality.errors import DQError
from dataquality.fileio import atomic_open, atomic_path
from dataquality.i18n import text as msg

GENESIS = "0" * 64
ALG = "hmac-sha256"
HASHED = ("seq", "at", "action", "actor", "role", "request_id", "entity", "key", "field", "old_value", "new_value", "comment", "prev_hash")
SEALED = (*HASHED, "data", "alg", "key_id")
EXPORT_COLUMNS = ("seq", "at", "action", "actor", "role", "request_id", "entity", "key", "field", "old_value", "new_value", "comment", "prev_hash", "hash")
HEAD_LEN = 16  # hex digits of the seal in a printed head: SEQ:0123456789abcdef
EMPTY_HEAD = "0:-"
_PG_CHAIN_LOCK = 724202
_KEYS: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()


def now() -> str:
    """The current UTC time as ISO text: the same bytes on every database, so hashes agree."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def bind_key(engine: Engine, key: bytes) -> None:
    """Use `key` for every row appended and verified through `engine` (see keys.open_keyed_store)."""
    _KEYS[engine] = key


def key_for(conn: Connection) -> bytes | None:
    """The audit key bound to the connection's engine, if any."""
    return _KEYS.get(conn.engine)


def row_hash(row: dict[str, Any]) -> str:
    """The unkeyed sha256 of a 0.1 row over its hashed fields (kept to verify old logs)."""
    payload = json.dumps([row.get(k) for k in HASHED], ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def row_mac(row: dict[str, Any], key: bytes) -> str:
    """The keyed seal of a row: HMAC-SHA256 over its fields, details and key id."""
    payload = json.dumps([row.get(k) for k in SEALED], ensure_ascii=False, separators=(",", ":"), default=str)
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def mac(key: bytes, *parts: Any) -> str:
    """An HMAC under the audit key over `parts` (used to seal account and session rows)."""
    payload = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"), default=str)
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


class AuditError(DQError):
    """A bad argument to the audit commands, or a log that cannot be written to (exit 2)."""


def _refuse_unsealed_tail(conn: Connection, head_seq: int, action: str) -> None:
    """Nothing is appended after rows the key does not seal (a dq 0.1 log, or one rewritten
    without the key): a keyed row there would vouch for them. Only a `seal` event may follow them,
    written by the upgrade or by the explicit, anchored `dq audit seal-legacy`."""
    if action == "seal":
        return
    last = conn.execute(select(audit_log.c.alg).where(audit_log.c.seq == head_seq)).first()
    if last is not None and last.alg is None:
        raise AuditError("audit.unsealed_tail")


def append(conn: Connection, action: str, data: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """Add one sealed row at the end of the chain inside the caller's transaction; returns the row."""
    key = key_for(conn)
    if key is None:
        raise AuditKeyError("keys.not_bound")
    if conn.dialect.name == "postgresql":
        # Serialise appenders: two transactions must never both extend the same head.
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_CHAIN_LOCK})"))
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    if head:
        _refuse_unsealed_tail(conn, head.seq, action)
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    row: dict[str, Any] = {k: None for k in SEALED}
    row.update(fields)
    row.update(seq=seq, action=action, prev_hash=prev, at=fields.get("at") or now())
    for k in ("old_value", "new_value", "comment", "actor", "key"):
        if row[k] is not None:
            row[k] = str(row[k])
    row["data"] = None if data is None else json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    row.update(alg=ALG, key_id=key_id(key))
    row["hash"] = row_mac(row, key)
    conn.execute(audit_log.insert().values(**row))
    if head:
        conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=row["hash"]))
    else:
        conn.execute(audit_head.insert().values(id=1, seq=seq, hash=row["hash"]))
    return row


def sealed_row(row: dict[str, Any] | None, key: bytes) -> bool:
    """Whether a row read from the log carries this key's valid seal (a check of one event, e.g. the
    newest about an account at sign-in; the whole chain is `verify`'s work)."""
    return bool(row) and row.get("alg") == ALG and row.get("key_id") == key_id(key) \
        and hmac.compare_digest(row_mac(row, key), row["hash"])


@dataclass(frozen=True)
class Problem:
    """One place where the chain does not hold."""

    seq: int | None
    key: str  # catalogue key under audit.problem.*
    params: dict[str, Any]

    def message(self, lang: str) -> str:
        return msg(f"audit.problem.{self.key}", lang, seq=self.seq, **self.params)


def rows(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every audit row in chain order."""
    for r in conn.execute(select(audit_log).order_by(audit_log.c.seq)):
        yield dict(r._mapping)


def head(conn: Connection) -> str:
    """The chain's head as printed for an anchor kept outside the database: SEQ:SEAL (0:- when empty)."""
    last = conn.execute(select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    return f"{last.seq}:{last.hash[:HEAD_LEN]}" if last else EMPTY_HEAD


def parse_head(value: str) -> tuple[int, str]:
    """'SEQ:SEAL' -> (seq, seal prefix); AuditError (exit 2) when it is not one. The seal must be
    written as printed (16 hex digits at least): a short prefix is too easy to match by chance."""
    seq, sep, seal = value.strip().partition(":")
    seal = seal.strip().lower()
    if not sep or not seq.strip().isdigit() or (seal != "-" and (len(seal) < HEAD_LEN or any(c not in "0123456789abcdef" for c in seal))):
        raise AuditError("audit.bad_head", head=value, n=HEAD_LEN)
    if (seal == "-") != (int(seq) == 0):
        raise AuditError("audit.bad_head", head=value, n=HEAD_LEN)
    return int(seq), seal


def _seal_problems(row: dict[str, Any], key: bytes | None, keyed_seen: bool) -> list[Problem]:
    if row.get("alg") is None:
        if keyed_seen:
            # A row without a key after keyed ones: written by someone who does not hold the key.
            return [Problem(row["seq"], "unkeyed", {})]
        return [] if row_hash(row) == row["hash"] else [Problem(row["seq"], "edited", {})]
    if row.get("alg") != ALG:
        return [Problem(row["seq"], "edited", {})]
    if key is None:
        return []
    if row.get("key_id") != key_id(key):
        return [Problem(row["seq"], "other_key", {})]
    return [] if hmac.compare_digest(row_mac(row, key), row["hash"]) else [Problem(row["seq"], "edited", {})]


@dataclass(frozen=True)
class Verification:
    """What `verify` found: rows checked, problems, and the state the intact events vouch for."""

    count: int
    problems: list[Problem]
    vouched: Any  # coverage.Replay (None without the key)


@dataclass
class _Walk:
    """The chain walked row by row."""

    key: bytes | None
    count: int = 0
    expected_seq: int = 1
    prev: str = GENESIS
    keyed_seen: bool = False
    legacy_rows: int = 0
    other_key_reported: bool = False
    problems: list[Problem] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    by_seq: dict[int, str] = field(default_factory=dict)

    def step(self, row: dict[str, Any]) -> None:
        self.count += 1
        if row["seq"] != self.expected_seq:
            self.problems.append(Problem(row["seq"], "gap", {"expected": self.expected_seq}))
        if row["prev_hash"] != self.prev:
            self.problems.append(Problem(row["seq"], "broken_link", {}))
        sealed = _seal_problems(row, self.key, self.keyed_seen)
        for p in sealed:
            if p.key == "other_key":
                if self.other_key_reported:
                    continue
                self.other_key_reported = True
            self.problems.append(p)
        if row.get("alg") is None:
            self.legacy_rows += 0 if self.keyed_seen else 1
        elif not self.keyed_seen:
            self.keyed_seen = True
            if self.legacy_rows and row["action"] != "seal":
                # Rows without the key are vouched for only by a seal event right after them.
                self.problems.append(Problem(row["seq"], "legacy_not_sealed", {"n": self.legacy_rows}))
        self.expected_seq, self.prev = row["seq"] + 1, row["hash"]
        self.by_seq[row["seq"]] = row["hash"]
        if not sealed and self.key is not None:
            self.events.append(row)  # only events whose seal holds say what the state is


def _unkeyed_log(conn: Connection, walk: _Walk) -> list[Problem]:
    """A log of rows only without the key: dq 0.1's, never sealed, or one rewritten without the key.
    With accounts (dq 0.1 had none) or a key at hand it is tampered; never is it sealed by reading it."""
    if walk.keyed_seen or not walk.count:
        return []
    from dataquality.approve.db import users

    has_accounts = conn.execute(select(users.c.id).limit(1)).first() is not None
    return [Problem(None, "unkeyed_tampered" if has_accounts or walk.key is not None else "unsealed", {})]


def check(conn: Connection, key: bytes | None = None, expect_head: str | None = None, state: bool = True) -> Verification:
    """Walk the chain and compare the state tables with what its intact events vouch for."""
    from dataquality.approve import coverage

    walk = _Walk(key or key_for(conn))
    if walk.key is None:
        walk.problems.append(Problem(None, "no_key", {}))
    for row in rows(conn):
        walk.step(row)
    problems = walk.problems + _unkeyed_log(conn, walk)
    last = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    last_seq = walk.expected_seq - 1
    if last is None and walk.count:
        problems.append(Problem(None, "no_head", {}))
    elif last is not None and (last.seq != last_seq or last.hash != walk.prev):
        problems.append(Problem(None, "head_mismatch", {"head": last.seq, "last": last_seq}))
    problems.extend(_trigger_problems(conn))
    vouched = None
    if state and walk.key is not None:  # without the key no event can be trusted to vouch for anything
        vouched, found = coverage.check(conn, walk.events)
        problems.extend(Problem(p[0], p[1], p[2]) for p in found)
    if expect_head is not None:
        seq, seal = parse_head(expect_head)
        if seq > last_seq:
            problems.append(Problem(None, "behind_anchor", {"anchor": expect_head.strip(), "last": last_seq}))
        elif seq > 0 and not walk.by_seq.get(seq, "").startswith(seal):
            problems.append(Problem(seq, "anchor_mismatch", {"anchor": expect_head.strip()}))
    return Verification(walk.count, problems, vouched)


def verify(conn: Connection, key: bytes | None = None, expect_head: str | None = None,
           state: bool = True) -> tuple[int, list[Problem]]:
    """(rows checked, problems): rows edited, inserted, deleted or forged; a head that does not
    match; state tables that do not say what the events say; triggers missing or not as dq made
    them; and, given `expect_head`, a log that no longer reaches that head."""
    found = check(conn, key, expect_head, state)
    return found.count, found.problems


def _fold(sql: str) -> str:
    """A definition compared as text: whitespace runs as one space, no schema prefix, no final ;."""
    return " ".join(sql.replace("public.", "").split()).rstrip(";").strip().casefold()


def _trigger_problems(conn: Connection) -> list[Problem]:
    """The protecting triggers that are missing, disabled or not defined as dq defined them."""
    if conn.dialect.name == "sqlite":
        found = {name: _fold(sql or "") for name, sql in
                 conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
        wanted = {name: _fold(sql) for name, sql in SQLITE_TRIGGERS.items()}
    elif conn.dialect.name == "postgresql":
        found = {name: _fold(f"{definition} || {body}") for name, definition, body in conn.exec_driver_sql(
            "SELECT t.tgname, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')")}
        wanted = {name: _fold(f"{definition} || {body}") for name, (definition, body) in PG_TRIGGERS.items()}
    else:
        return []
    out = []
    for name, definition in wanted.items():
        if name not in found:
            out.append(Problem(None, "trigger_missing", {"trigger": name}))
        elif found[name] != definition:
            out.append(Problem(None, "trigger_changed", {"trigger": name}))
    return out


class ExportError(DQError):
    """The audit log cannot be exported to the file asked for."""


def export(conn: Connection, path: Path) -> int:
    """Write the log to `path` (.xlsx or .csv); returns the number of rows written."""
    suffix = path.suffix.lower()
    writers = {".csv": _export_csv, ".xlsx": _export_xlsx}
    if suffix not in writers:
        raise ExportError("audit.export_format", file=str(path))
    data = list(rows(conn))
    writers[suffix](data, path)
    return len(data)


def _export_csv(data: list[dict[str, Any]], path: Path) -> None:
    # utf-8-sig so Excel opens the Chinese text correctly; formulas defused as in xlsx exports.
    with atomic_open(path, "w", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(EXPORT_COLUMNS)
        for row in data:
            w.writerow([_csv_cell(row.get(c)) for c in EXPORT_COLUMNS])


def _csv_cell(value: Any) -> Any:
    from dataquality.safe_text import csv_value

    return csv_value(value)


def _export_xlsx(data: list[dict[str, Any]], path: Path) -> None:
    from openpyxl import Workbook

    from dataquality.xlsx import put

    wb = Workbook()
    ws = wb.active
    ws.title = "audit"
    ws.append(list(EXPORT_COLUMNS))
    for r, row in enumerate(data, start=2):
        for c, name in enumerate(EXPORT_COLUMNS, start=1):
            put(ws.cell(row=r, column=c), row.get(name))
    ws.freeze_panes = "A2"
    with atomic_path(path) as tmp:
        wb.save(tmp)
