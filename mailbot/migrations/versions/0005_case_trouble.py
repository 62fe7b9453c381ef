"""one case never stops another: a failed step is recorded on its case and retried later

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as b:
        b.add_column(sa.Column("trouble", sa.String(length=300)))
        b.add_column(sa.Column("trouble_at", sa.DateTime(timezone=True)))
        b.add_column(
            sa.Column("trouble_count", sa.Integer(), nullable=False, server_default="0")
        )
        b.add_column(sa.Column("retry_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("outbox", schema=None) as b:
        b.add_column(sa.Column("retry_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as b:
        b.drop_column("retry_at")
    with op.batch_alter_table("cases", schema=None) as b:
        for name in ("retry_at", "trouble_count", "trouble_at", "trouble"):
            b.drop_column(name)
