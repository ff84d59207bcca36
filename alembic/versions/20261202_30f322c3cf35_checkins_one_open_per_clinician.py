"""check-ins: at most one open check-in per clinician (two racing events cannot both schedule)

Revision ID: 30f322c3cf35
Revises: d4a7b2c91e05
Create Date: 2026-12-02 00:40:26.152388+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "30f322c3cf35"
down_revision: str | None = "d4a7b2c91e05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('scheduled', 'offered', 'snoozed')"


def upgrade() -> None:
    # A race before this revision may have left a clinician two open check-ins: keep the
    # earliest, so the index can be built.
    op.execute(
        f"DELETE FROM checkin_offers WHERE {OPEN} AND EXISTS ("
        " SELECT 1 FROM checkin_offers AS o WHERE o.account_id = checkin_offers.account_id"
        f" AND o.{OPEN}"
        " AND (o.created_at < checkin_offers.created_at"
        " OR (o.created_at = checkin_offers.created_at AND o.id < checkin_offers.id)))"
    )
    with op.batch_alter_table("checkin_offers", schema=None) as batch_op:
        batch_op.create_index(
            "ux_checkin_offers_open_account", ["account_id"], unique=True,
            sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("checkin_offers", schema=None) as batch_op:
        batch_op.drop_index("ux_checkin_offers_open_account")
