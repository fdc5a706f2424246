"""Trust against an insider (issue 23): account versions, personal API tokens, approvals-sheet entries

- `approve_users.version`: bumped by every account event; sign-in and `dq audit verify` compare the
  row with the newest sealed account event, so a row written back from an older copy is refused.
- `approve_sessions.user_version`: a session is valid only for the account version it was made
  for. Sessions of 0.2 carry a seal without it: they are ended here (people sign in again).
- `approve_tokens`: personal bearer tokens of the JSON API (`dq users token`), stored as sha256.
- `approve_entries`: a line of an approvals sheet is "entered, awaiting confirmation" until the
  named approver confirms it signed in.
- an index on the audit log's (entity, key): the newest event about an account is found at once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("approve_users") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.execute("DELETE FROM approve_sessions")
    with op.batch_alter_table("approve_sessions") as batch:
        batch.add_column(sa.Column("user_version", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "approve_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("approve_users.id"), nullable=False),
        sa.Column("user_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    op.create_index("ix_approve_tokens_user", "approve_tokens", ["user_id"])
    op.create_table(
        "approve_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("approve_requests.id"), nullable=False),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("approver_id", sa.String(200), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("value_norm", sa.Text, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("decided_at", sa.String(40), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("entered_at", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("settled_at", sa.String(40)),
    )
    op.create_index("ix_approve_entries_approver", "approve_entries", ["approver_id", "status"])
    op.create_index("ix_approve_audit_subject", "approve_audit", ["entity", "key"])


def downgrade() -> None:
    raise NotImplementedError("dq state databases are upgraded only (docs/state-database.md)")
