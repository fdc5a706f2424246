"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    # Write the change out explicitly (op.create_table / op.add_column / op.execute), never from
    # today's table objects in approve/db.py or track/db.py: those move on, this revision must not.
    # Triggers and functions differ by dialect: branch on op.get_bind().dialect.name.
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    # dq offers no downgrade: the way back is the copy taken before upgrading (docs/state-database.md).
    raise NotImplementedError("dq state databases are upgraded only")
