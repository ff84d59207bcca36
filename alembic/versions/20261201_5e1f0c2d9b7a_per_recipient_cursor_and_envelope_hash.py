"""per-recipient mailbox cursors; the hash of each sent envelope

Revision ID: 5e1f0c2d9b7a
Revises: c3d9e1f27a51
Create Date: 2026-12-01 20:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "5e1f0c2d9b7a"
down_revision: str | None = "b11ad0e5a60e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailbox_cursors",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("account_id"),
    )
    # Every account continues after the highest global number given out so far: a client's
    # stored cursor (a global number) never points past its new per-recipient numbers.
    op.execute(
        "INSERT INTO mailbox_cursors (account_id, last) "
        "SELECT accounts.id, COALESCE((SELECT last FROM relay_sequence WHERE id = 1), 0) "
        "FROM accounts"
    )
    with op.batch_alter_table("sent_messages") as batch:
        batch.add_column(sa.Column("envelope_hash", sa.LargeBinary(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sent_messages") as batch:
        batch.drop_column("envelope_hash")
    # Back to one global counter: it must continue after every per-recipient number.
    op.execute(
        "UPDATE relay_sequence SET last = (SELECT MAX(last) FROM mailbox_cursors) "
        "WHERE id = 1 AND (SELECT MAX(last) FROM mailbox_cursors) > last"
    )
    op.drop_table("mailbox_cursors")
