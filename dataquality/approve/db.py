"""Tables of the approval store: submissions, change requests, approvals and the audit log.

These are today's table objects the code queries with; the schema itself is made by the Alembic
revisions in dataquality/migrations/versions (a test holds the two equal). A change here is a new
revision there. The audit log is append-only twice over: the hash chain (audit.py) detects
tampering, and database triggers refuse UPDATE and DELETE where the dialect has them (SQLite,
PostgreSQL; created by revisions 0001 and 0002).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

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
    # Since 0.2 (revision 0002): the event's details as JSON (tier, normalised values, person ids,
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

# What `dq audit verify` expects to find (dropping or disabling one is reported).
EXPECTED_TRIGGERS = {
    "sqlite": ("approve_audit_no_update", "approve_audit_no_delete", "approve_approvals_no_update",
               "approve_approvals_no_delete", "approve_audit_head_no_delete", "approve_audit_head_forward"),
    "postgresql": ("approve_audit_append_only", "approve_approvals_append_only", "approve_audit_head_forward"),
}

