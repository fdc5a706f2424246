"""The record's name beside its code (issue 25): `approve_requests.record_name`

The approvers' pages show "C000002 上海乙公司", not a bare code: a change request keeps the name
its record has in the submitted file (the schema's name field). Requests made before have none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("approve_requests", sa.Column("record_name", sa.Text))


def downgrade() -> None:
    raise NotImplementedError("dq state databases are upgraded only (docs/state-database.md)")
