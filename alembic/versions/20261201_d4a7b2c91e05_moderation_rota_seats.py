"""moderation rota seats (a rota place kept for a moderator invite)

Revision ID: d4a7b2c91e05
Revises: 9d4b7e21c0f3
Create Date: 2026-12-01 23:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import server.db.types
from alembic import op

revision: str = "d4a7b2c91e05"
down_revision: str | None = "9d4b7e21c0f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderation_rota_seats",
        sa.Column("invite_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invite_id"], ["invites.id"]),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"]),
        sa.PrimaryKeyConstraint("invite_id"),
    )
    with op.batch_alter_table("moderation_rota_seats", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_rota_seats_network_id"), ["network_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("moderation_rota_seats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_rota_seats_network_id"))
    op.drop_table("moderation_rota_seats")
