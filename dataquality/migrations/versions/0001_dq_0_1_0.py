"""dq 0.1.0's schema, frozen

The state database as dq 0.1.0 created it: the approval tables with the append-only triggers on
the audit log (0.1.0's `approve` migrations 1 and 2) and the tracking tables (its `track`
migration 1).

Written out column by column from 0.1.0's approve/db.py and track/db.py (commit ec013e3), never
from today's table objects: tests/test_migrations.py compares a database made by 0.1.0's own code
with one made by these revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.String(40)

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER approve_audit_no_{verb.lower()} BEFORE {verb} ON approve_audit "
    "BEGIN SELECT RAISE(ABORT, 'approve_audit is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
PG_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION approve_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'approve_audit is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER approve_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON approve_audit
       FOR EACH STATEMENT EXECUTE FUNCTION approve_audit_append_only()""",
]


def upgrade() -> None:
    _approve_tables()
    _track_tables()
    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": PG_TRIGGERS}.get(op.get_bind().dialect.name, [])
    for sql in statements:
        op.execute(sql)


def _approve_tables() -> None:
    op.create_table(
        "approve_submissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("by", sa.String(200)),
        sa.Column("incoming_path", sa.Text, nullable=False),
        sa.Column("incoming_sha256", sa.String(64), nullable=False),
        sa.Column("baseline_path", sa.Text, nullable=False),
        sa.Column("baseline_sha256", sa.String(64), nullable=False),
        sa.Column("entities", sa.String(200), nullable=False),
    )
    op.create_table(
        "approve_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("approve_submissions.id"), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("old_norm", sa.Text, nullable=False),
        sa.Column("new_norm", sa.Text, nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("requested_by", sa.String(200)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_approve_requests_ident", "approve_requests", ["entity", "key", "field"])
    op.create_index("ix_approve_requests_status", "approve_requests", ["status"])
    op.create_table(
        "approve_approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("approve_requests.id"), nullable=False),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("value_norm", sa.Text, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.create_index("ix_approve_approvals_request", "approve_approvals", ["request_id"])
    op.create_table(
        "approve_audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("role", sa.String(8)),
        sa.Column("request_id", sa.Integer),
        sa.Column("entity", sa.String(64)),
        sa.Column("key", sa.String(200)),
        sa.Column("field", sa.String(64)),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("comment", sa.Text),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "approve_audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def _track_tables() -> None:
    op.create_table(
        "track_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("project", sa.Text),
        sa.Column("files", sa.Text),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("rerun_of", sa.Integer),
        sa.Column("report_dir", sa.Text),
        sa.Column("fail_on", sa.String(16)),
        sa.Column("exit_code", sa.Integer),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("infos", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("reopened", sa.Integer, nullable=False),
        sa.Column("resolved", sa.Integer, nullable=False),
        sa.Column("overdue", sa.Integer, nullable=False),
    )
    op.create_table(
        "track_issues",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(64)),
        sa.Column("key", sa.Text),
        sa.Column("field", sa.String(128)),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("department", sa.String(128)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
        sa.Column("times_seen", sa.Integer, nullable=False),
        sa.Column("times_reopened", sa.Integer, nullable=False),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("track_runs.id"), nullable=False),
        sa.Column("last_run", sa.Integer, sa.ForeignKey("track_runs.id"), nullable=False),
        sa.Column("file", sa.Text),
        sa.Column("sheet", sa.Text),
        sa.Column("row", sa.Integer),
        sa.Column("value", sa.Text),
        sa.Column("message_params", sa.Text),
    )
    op.create_index("ix_track_issues_status", "track_issues", ["status"])
    op.create_index("ix_track_issues_department", "track_issues", ["department"])
    op.create_table(
        "track_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.Integer, sa.ForeignKey("track_issues.number"), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("track_runs.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("department", sa.String(128)),
        sa.Column("file", sa.Text),
        sa.Column("sheet", sa.Text),
        sa.Column("row", sa.Integer),
        sa.Column("value", sa.Text),
    )
    op.create_index("ix_track_events_number", "track_events", ["number"])
    op.create_index("ix_track_events_run", "track_events", ["run_id"])
    op.create_table(
        "track_run_counts",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("track_runs.id"), primary_key=True),
        sa.Column("severity", sa.String(16), primary_key=True),
        sa.Column("department", sa.String(128), primary_key=True),
        sa.Column("issues", sa.Integer, nullable=False),
    )
    op.create_table(
        "track_locks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("acquired_at", TS, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("dq state databases are upgraded only (docs/state-database.md)")
