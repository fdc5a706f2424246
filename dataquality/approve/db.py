"""Tables of the approval store: submissions, change requests, approvals and the audit log.

Migrations are registered with dataquality.store and applied by `open_store`. The audit log is
append-only twice over: the hash chain (audit.py) detects tampering, and database triggers refuse
UPDATE and DELETE where the dialect has them (SQLite, PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, inspect
from sqlalchemy.engine import Connection

from dataquality.store import register_migrations

meta = MetaData()

submissions = Table(
    "approve_submissions", meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("by", String(200)),
    Column("incoming_path", Text, nullable=False),
    Column("incoming_sha256", String(64), nullable=False),
    Column("baseline_path", Text, nullable=False),
    Column("baseline_sha256", String(64), nullable=False),
    Column("entities", String(200), nullable=False),
)

requests = Table(
    "approve_requests", meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("approve_submissions.id"), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("key", String(200), nullable=False),
    Column("field", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("old_norm", Text, nullable=False),
    Column("new_norm", Text, nullable=False),
    Column("tier", Integer, nullable=False),
    Column("requested_by", String(200)),
    # pending -> approved -> applied; pending/approved -> rejected | withdrawn
    Column("status", String(16), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("version", Integer, nullable=False, default=1),  # bumped when the incoming value is revised
    Index("ix_approve_requests_ident", "entity", "key", "field"),
    Index("ix_approve_requests_status", "status"),
)

approvals = Table(
    "approve_approvals", meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("approve_requests.id"), nullable=False),
    Column("approver", String(200), nullable=False),
    Column("role", String(8), nullable=False),
    Column("decision", String(16), nullable=False),  # approved | rejected
    Column("value_norm", Text, nullable=False),  # the incoming value approved: stale once it differs
    Column("comment", Text),
    Column("at", String(40), nullable=False),
    Column("source", String(200), nullable=False),
    Index("ix_approve_approvals_request", "request_id"),
)

audit_log = Table(
    "approve_audit", meta,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor", String(200)),
    Column("role", String(8)),
    Column("request_id", Integer),
    Column("entity", String(64)),
    Column("key", String(200)),
    Column("field", String(64)),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("comment", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # Since 0.2 (migration 3): the event's details as JSON (tier, normalised values, person ids,
    # the request's status after it), and how the row is sealed: hmac-sha256 under the key
    # `key_id` names. Rows of 0.1 have neither: plain sha256, pinned by the first keyed row after them.
    Column("data", Text),
    Column("alg", String(16)),
    Column("key_id", String(16)),
)

# The chain's head, written in the same transaction as every audit row: deleting the newest
# rows of the log no longer goes unnoticed.
audit_head = Table(
    "approve_audit_head", meta,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Sign-in accounts of `dq serve` and the CLI: one per person of the staff list. `mac` is an HMAC
# under the audit key over the row, so write access to the database alone cannot grant a role or
# set a password.
users = Table(
    "approve_users", meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("roles", String(200), nullable=False),  # L1,L2
    Column("password_hash", Text, nullable=False),
    Column("disabled", Integer, nullable=False, default=0),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("mac", String(64), nullable=False),
)

# Server-side sessions: the cookie holds a random token, the table its sha256 (a database reader
# cannot sign in with it), the CSRF token of its forms and its expiry; `mac` as above.
sessions = Table(
    "approve_sessions", meta,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("approve_users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("mac", String(64), nullable=False),
    Index("ix_approve_sessions_user", "user_id"),
)

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER approve_audit_no_{op.lower()} BEFORE {op} ON approve_audit "
    "BEGIN SELECT RAISE(ABORT, 'approve_audit is append-only'); END"
    for op in ("UPDATE", "DELETE")
]
_PG_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION approve_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'approve_audit is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER approve_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON approve_audit
       FOR EACH STATEMENT EXECUTE FUNCTION approve_audit_append_only()""",
]


# Migration 3: approvals are append-only too, and the chain's head only moves forward by one.
_SQLITE_TRIGGERS_V3 = [
    *(f"CREATE TRIGGER approve_approvals_no_{op.lower()} BEFORE {op} ON approve_approvals "
      "BEGIN SELECT RAISE(ABORT, 'approve_approvals is append-only'); END" for op in ("UPDATE", "DELETE")),
    "CREATE TRIGGER approve_audit_head_no_delete BEFORE DELETE ON approve_audit_head "
    "BEGIN SELECT RAISE(ABORT, 'approve_audit_head only moves forward'); END",
    "CREATE TRIGGER approve_audit_head_forward BEFORE UPDATE ON approve_audit_head WHEN NEW.seq <> OLD.seq + 1 "
    "BEGIN SELECT RAISE(ABORT, 'approve_audit_head only moves forward'); END",
]
_PG_TRIGGERS_V3 = [
    """CREATE OR REPLACE FUNCTION approve_approvals_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'approve_approvals is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER approve_approvals_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON approve_approvals
       FOR EACH STATEMENT EXECUTE FUNCTION approve_approvals_append_only()""",
    """CREATE OR REPLACE FUNCTION approve_audit_head_forward() RETURNS trigger AS $$
       BEGIN
         IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 THEN
           RAISE EXCEPTION 'approve_audit_head only moves forward';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER approve_audit_head_forward BEFORE UPDATE OR DELETE ON approve_audit_head
       FOR EACH ROW EXECUTE FUNCTION approve_audit_head_forward()""",
]
# What `dq audit verify` expects to find (dropping or disabling one is reported).
EXPECTED_TRIGGERS = {
    "sqlite": ("approve_audit_no_update", "approve_audit_no_delete", "approve_approvals_no_update",
               "approve_approvals_no_delete", "approve_audit_head_no_delete", "approve_audit_head_forward"),
    "postgresql": ("approve_audit_append_only", "approve_approvals_append_only", "approve_audit_head_forward"),
}


def _v1_tables(conn: Connection) -> None:
    # A fresh database gets today's tables; migration 3 only adds to one made by 0.1.
    meta.create_all(conn, checkfirst=True)


def _v2_append_only(conn: Connection) -> None:
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _PG_TRIGGERS}.get(conn.dialect.name, [])
    for sql in statements:
        conn.exec_driver_sql(sql)


def _v3_keyed_chain(conn: Connection) -> None:
    existing = {c["name"] for c in inspect(conn).get_columns("approve_audit")}
    for name, sql_type in (("data", "TEXT"), ("alg", "VARCHAR(16)"), ("key_id", "VARCHAR(16)")):
        if name not in existing:
            conn.exec_driver_sql(f"ALTER TABLE approve_audit ADD COLUMN {name} {sql_type}")
    users.create(conn, checkfirst=True)
    sessions.create(conn, checkfirst=True)
    statements = {"sqlite": _SQLITE_TRIGGERS_V3, "postgresql": _PG_TRIGGERS_V3}.get(conn.dialect.name, [])
    for sql in statements:
        conn.exec_driver_sql(sql)


register_migrations("approve", [_v1_tables, _v2_append_only, _v3_keyed_chain])
