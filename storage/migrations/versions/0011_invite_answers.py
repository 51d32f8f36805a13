"""consultation_invites.answers: each respondent's answers pivoted, for the exports

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 13:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The answers already stored, pivoted as record_answer now keeps them: skipped answers and
# values blanked by retention are left out.
PIVOTED = {
    "postgresql": """
        UPDATE consultation_invites AS invite SET answers = pivoted.answers
        FROM (
            SELECT consultation_id, contact_id, jsonb_object_agg(question_id, value) AS answers
            FROM consultation_answers
            WHERE NOT skipped AND value IS NOT NULL AND contact_id IS NOT NULL
            GROUP BY consultation_id, contact_id
        ) AS pivoted
        WHERE invite.consultation_id = pivoted.consultation_id
          AND invite.contact_id = pivoted.contact_id
    """,
    "sqlite": """
        UPDATE consultation_invites SET answers = pivoted.answers
        FROM (
            SELECT consultation_id, contact_id, json_group_object(question_id, value) AS answers
            FROM consultation_answers
            WHERE NOT skipped AND value IS NOT NULL AND contact_id IS NOT NULL
            GROUP BY consultation_id, contact_id
        ) AS pivoted
        WHERE consultation_invites.consultation_id = pivoted.consultation_id
          AND consultation_invites.contact_id = pivoted.contact_id
    """,
}


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("consultation_invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answers", json, nullable=True))
    op.execute(PIVOTED[op.get_bind().dialect.name])


def downgrade() -> None:
    with op.batch_alter_table("consultation_invites", schema=None) as batch_op:
        batch_op.drop_column("answers")
