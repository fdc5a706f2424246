"""The import desk (issue 24): import jobs, the clerk's edits, remembered layouts

- `desk_jobs`: one upload of a clerk, its owner, expiry and the confirmed sheet/header/mapping.
- `desk_edits`: the clerk's edits, fixes and mapped values as events (undo marks a batch undone).
- `desk_layouts`: headers + header row + entity -> the confirmed mapping and value mapping.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("stored", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("choice", sa.Text),
        sa.Column("confirmed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("layout_key", sa.String(64)),
        sa.Column("submission_id", sa.Integer),
    )
    op.create_index("ix_desk_jobs_owner", "desk_jobs", ["owner_id"])
    op.create_table(
        "desk_edits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("batch", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sheet", sa.String(200)),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("rules", sa.String(200)),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("undone", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_desk_edits_job", "desk_edits", ["job_id", "batch"])
    op.create_table(
        "desk_layouts",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("header_row", sa.Integer, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("values", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("dq state databases are upgraded only (docs/state-database.md)")
