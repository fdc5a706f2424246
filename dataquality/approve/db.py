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
    Column("record_name", Text),  # the record's name in the submitted file, shown beside its key (revision 0005)
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
    Index("ix_approve_audit_subject", "entity", "key"),
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
    # Bumped by every account event (revision 0004); sign-in and `dq audit verify` compare the row
    # with the newest sealed account event, so an older copy of the row written back is refused.
    Column("version", Integer, nullable=False, server_default="1"),
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
    Column("user_version", Integer, nullable=False, server_default="0"),  # the account version it is valid for
    Index("ix_approve_sessions_user", "user_id"),
)

# Personal bearer tokens of the JSON API (`dq users token`): the sha256 of the token, the account
# version it is valid for (a newer account event ends it), its expiry; `mac` as above.
tokens = Table(
    "approve_tokens", meta,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("approve_users.id"), nullable=False),
    Column("user_version", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("mac", String(64), nullable=False),
    Index("ix_approve_tokens_user", "user_id"),
)

# Lines of approvals sheets: "entered" by the importer, each waiting until the named approver
# confirms (it then becomes an approval or a rejection) or declines it, signed in. Every column is
# under the chain (the enter/confirm/decline events carry them).
entries = Table(
    "approve_entries", meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("approve_requests.id"), nullable=False),
    Column("approver", String(200), nullable=False),
    Column("approver_id", String(200), nullable=False),
    Column("role", String(8), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("value_norm", Text, nullable=False),
    Column("comment", Text),
    Column("decided_at", String(40), nullable=False),  # the date written on the sheet
    Column("source", String(200), nullable=False),
    Column("entered_by", String(200), nullable=False),  # the importer's person id
    Column("entered_at", String(40), nullable=False),
    Column("status", String(16), nullable=False),  # entered -> confirmed | declined
    Column("settled_at", String(40)),
    Index("ix_approve_entries_approver", "approver_id", "status"),
)

# What `dq audit verify` expects to find, by definition and not only by name: a trigger replaced by
# a no-op of the same name, or a trigger function whose body was swapped, is reported. SQLite keeps
# each trigger's CREATE statement as written by revisions 0001 and 0002; PostgreSQL's definition is
# pg_get_triggerdef (without the schema) and the trigger function's body (both whitespace-folded).
_APPEND_ONLY = "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
_FORWARD = "BEGIN SELECT RAISE(ABORT, 'approve_audit_head only moves forward'); END"
SQLITE_TRIGGERS = {
    **{f"{table}_no_{verb.lower()}": f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
       + _APPEND_ONLY.format(table=table)
       for table in ("approve_audit", "approve_approvals") for verb in ("UPDATE", "DELETE")},
    "approve_audit_head_no_delete": f"CREATE TRIGGER approve_audit_head_no_delete BEFORE DELETE ON approve_audit_head {_FORWARD}",
    "approve_audit_head_forward": "CREATE TRIGGER approve_audit_head_forward BEFORE UPDATE ON approve_audit_head "
                                  f"WHEN NEW.seq <> OLD.seq + 1 {_FORWARD}",
}
PG_TRIGGERS = {
    **{f"{table}_append_only": (
        f"CREATE TRIGGER {table}_append_only BEFORE DELETE OR UPDATE OR TRUNCATE ON {table} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {table}_append_only()",
        f"BEGIN RAISE EXCEPTION '{table} is append-only'; END;") for table in ("approve_audit", "approve_approvals")},
    "approve_audit_head_forward": (
        "CREATE TRIGGER approve_audit_head_forward BEFORE DELETE OR UPDATE ON approve_audit_head FOR EACH ROW "
        "EXECUTE FUNCTION approve_audit_head_forward()",
        "BEGIN IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 THEN RAISE EXCEPTION 'approve_audit_head only moves "
        "forward'; END IF; RETURN NEW; END;"),
}
EXPECTED_TRIGGERS = {"sqlite": tuple(SQLITE_TRIGGERS), "postgresql": tuple(PG_TRIGGERS)}
