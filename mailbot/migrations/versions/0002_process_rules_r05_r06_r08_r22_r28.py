"""process rules R05 R06 R08 R22 R28

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:58:27.543078
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_preference', sa.String(length=16), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('collaboration', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('upset_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('upset_why', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('recent_customer_at', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('promise_due', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('promise_made_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('promise_words', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('last_call', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('last_call_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.drop_column('last_call_at')
        batch_op.drop_column('last_call')
        batch_op.drop_column('promise_words')
        batch_op.drop_column('promise_made_at')
        batch_op.drop_column('promise_due')
        batch_op.drop_column('recent_customer_at')
        batch_op.drop_column('upset_why')
        batch_op.drop_column('upset_at')
        batch_op.drop_column('collaboration')
        batch_op.drop_column('contact_preference')


