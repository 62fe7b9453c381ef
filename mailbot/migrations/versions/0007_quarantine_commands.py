"""quarantine you can act on: where the message is, retries, dropped

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 16:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as b:
        b.add_column(sa.Column("locator", sa.String(length=1000), nullable=False, server_default=""))
        b.add_column(sa.Column("retries", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("retried_at", sa.DateTime(timezone=True)))
        b.add_column(sa.Column("dropped_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as b:
        for name in ("dropped_at", "retried_at", "retries", "locator"):
            b.drop_column(name)
