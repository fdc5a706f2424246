"""Corrections that came back from the departments (issue 25)

`dq corrections import` reads the filled correction lists: each filled row is recorded here with
what became of it (applied to a corrected master, a change request for a sensitive field, or
refused with the reason), so the next `dq check` marks an issue that went away as fixed by its
department, and `dq issues show` tells who corrected what and when.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "track_corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.Integer, sa.ForeignKey("track_issues.number"), nullable=False),
        sa.Column("imported_at", sa.String(40), nullable=False),
        sa.Column("list_file", sa.Text),
        sa.Column("department", sa.String(128)),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text, nullable=False),
        sa.Column("done_by", sa.Text),
        sa.Column("done_on", sa.String(40)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("request_id", sa.Integer),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_track_corrections_number", "track_corrections", ["number"])


def downgrade() -> None:
    raise NotImplementedError("dq state databases are upgraded only (docs/state-database.md)")
