"""Tables of the approval store: submissions, change requests, approvals and the audit log.

Migrations are registered with dataquality.store and applied by `open_store`. The audit log is
append-only twice over: the hash chain (audit.py) detects tampering, and database triggers refuse
UPDATE and DELETE where the dialect has them (SQLite, PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text
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
)

# The chain's head, written in the same transaction as every audit row: deleting the newest
# rows of the log no longer goes unnoticed.
audit_head = Table(
    "approve_audit_head", meta,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
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


def _v1_tables(conn: Connection) -> None:
    meta.create_all(conn, checkfirst=True)


def _v2_append_only(conn: Connection) -> None:
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _PG_TRIGGERS}.get(conn.dialect.name, [])
    for sql in statements:
        conn.exec_driver_sql(sql)


register_migrations("approve", [_v1_tables, _v2_append_only])
