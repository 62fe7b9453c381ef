"""the case's next step kept on its row, so views need not replan every case

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as b:
        b.add_column(sa.Column("next_kind", sa.String(length=40)))
        b.add_column(sa.Column("next_rule", sa.String(length=8)))
        b.add_column(sa.Column("next_reason", sa.Text()))
    # existing open cases get their next step at the next evaluation
    op.execute("UPDATE cases SET needs_fold = true WHERE state <> 'closed'")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as b:
        for name in ("next_reason", "next_rule", "next_kind"):
            b.drop_column(name)
