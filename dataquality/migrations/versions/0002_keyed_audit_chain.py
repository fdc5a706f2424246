"""Keyed audit chain, accounts and sessions (issue 14)

Approvals that can be trusted (issue 14): audit events carry their details and how they are
sealed (hmac-sha256 under a named key); sign-in accounts and server-side sessions for `dq serve`;
approvals append-only and the chain's head moving forward by one only, by triggers.

This is what the `approve` migration 3 of the pre-Alembic scheme did; a database that had run it
is stamped at this revision (dataquality/store.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = [
    *(f"CREATE TRIGGER approve_approvals_no_{verb.lower()} BEFORE {verb} ON approve_approvals "
      "BEGIN SELECT RAISE(ABORT, 'approve_approvals is append-only'); END" for verb in ("UPDATE", "DELETE")),
    "CREATE TRIGGER approve_audit_head_no_delete BEFORE DELETE ON approve_audit_head "
    "BEGIN SELECT RAISE(ABORT, 'approve_audit_head only moves forward'); END",
    "CREATE TRIGGER approve_audit_head_forward BEFORE UPDATE ON approve_audit_head WHEN NEW.seq <> OLD.seq + 1 "
    "BEGIN SELECT RAISE(ABORT, 'approve_audit_head only moves forward'); END",
]
PG_TRIGGERS = [
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


def upgrade() -> None:
    # Rows of 0.1.0 keep NULL here: plain sha256, pinned by the first keyed row after them.
    op.add_column("approve_audit", sa.Column("data", sa.Text))
    op.add_column("approve_audit", sa.Column("alg", sa.String(16)))
    op.add_column("approve_audit", sa.Column("key_id", sa.String(16)))
    op.create_table(
        "approve_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("disabled", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    op.create_table(
        "approve_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("approve_users.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    op.create_index("ix_approve_sessions_user", "approve_sessions", ["user_id"])
    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": PG_TRIGGERS}.get(op.get_bind().dialect.name, [])
    for sql in statements:
        op.execute(sql)


def downgrade() -> None:
    raise NotImplementedError("dq state databases are upgraded only (docs/state-database.md)")
