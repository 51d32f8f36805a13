"""tip_deliveries: drop the contact_id index that ix_tip_deliveries_week already covers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 00:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (contact_id, local_week) answers every contact_id lookup; the clock writes tens of
    # thousands of deliveries a pass, each paying for every index.
    with op.batch_alter_table("tip_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tip_deliveries_contact_id"))


def downgrade() -> None:
    with op.batch_alter_table("tip_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tip_deliveries_contact_id"), ["contact_id"], unique=False
        )
