"""federation: a forwarded request's status and deadline

Revision ID: 9d4b7e21c0f3
Revises: 5e1f0c2d9b7a
Create Date: 2026-12-01 23:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import server.db.types
from alembic import op

revision: str = "9d4b7e21c0f3"
down_revision: str | None = "5e1f0c2d9b7a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("federation_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("deadline_at", server.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_federation_requests_deadline_at"), ["deadline_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("federation_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_requests_deadline_at"))
        batch_op.drop_column("deadline_at")
        batch_op.drop_column("status")
