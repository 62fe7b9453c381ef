"""the timeline: event times, parked replies, fold bookkeeping, drafts taken out of Approved

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FINAL = "('sent', 'stale', 'rejected', 'cancelled', 'failed')"


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as b:
        b.add_column(sa.Column("last_engineer_seen_at", sa.DateTime(timezone=True)))
        b.add_column(sa.Column("pause_why", sa.String(length=300)))
        b.add_column(sa.Column("secret_seen_at", sa.DateTime(timezone=True)))
        b.add_column(sa.Column("last_call_seen_at", sa.DateTime(timezone=True)))
        b.add_column(sa.Column("stranger_seen_at", sa.DateTime(timezone=True)))
        b.add_column(
            sa.Column("needs_fold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        b.add_column(sa.Column("folded_from", sa.DateTime(timezone=True)))
        b.create_index("ix_cases_needs_fold", ["needs_fold"])
    with op.batch_alter_table("mail_items", schema=None) as b:
        b.add_column(sa.Column("at", sa.DateTime(timezone=True)))
        b.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="case")
        )
    with op.batch_alter_table("events", schema=None) as b:
        b.add_column(sa.Column("source", sa.String(length=400)))
    with op.batch_alter_table("outbox", schema=None) as b:
        b.add_column(sa.Column("ended_at", sa.DateTime(timezone=True)))
        b.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True)))
    op.create_table(
        "thread_waits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mail_item_id", sa.Integer(), sa.ForeignKey("mail_items.id"), nullable=False),
        sa.Column("ref", sa.String(length=998), nullable=False),
        sa.Column("locator", sa.String(length=1000), nullable=False, server_default=""),
    )
    op.create_index("ix_thread_waits_ref", "thread_waits", ["ref"])
    op.create_index("ix_thread_waits_mail_item_id", "thread_waits", ["mail_item_id"])
    # What was there before the timeline: mail happened at its Date (never after it was
    # seen); cases go on from their stored state (early mail lacks what a replay needs);
    # a final row ended when it last changed; stale and failed drafts still sitting in
    # Approved are taken out on the next cycle.
    op.execute(
        "UPDATE mail_items SET at = CASE WHEN sent_at IS NOT NULL AND sent_at < ingested_at "
        "THEN sent_at ELSE ingested_at END"
    )
    op.execute("UPDATE mail_items SET status = 'none' WHERE case_id IS NULL")
    op.execute("UPDATE cases SET folded_from = updated_at")
    op.execute(f"UPDATE outbox SET ended_at = updated_at WHERE state IN {FINAL}")
    op.execute(
        "UPDATE outbox SET withdrawn_at = updated_at "
        "WHERE state IN ('sent', 'rejected') OR audience = 'engineer'"
    )


def downgrade() -> None:
    op.drop_index("ix_thread_waits_mail_item_id", table_name="thread_waits")
    op.drop_index("ix_thread_waits_ref", table_name="thread_waits")
    op.drop_table("thread_waits")
    with op.batch_alter_table("outbox", schema=None) as b:
        b.drop_column("withdrawn_at")
        b.drop_column("ended_at")
    with op.batch_alter_table("events", schema=None) as b:
        b.drop_column("source")
    with op.batch_alter_table("mail_items", schema=None) as b:
        b.drop_column("status")
        b.drop_column("at")
    with op.batch_alter_table("cases", schema=None) as b:
        b.drop_index("ix_cases_needs_fold")
        for name in (
            "folded_from",
            "needs_fold",
            "stranger_seen_at",
            "last_call_seen_at",
            "secret_seen_at",
            "pause_why",
            "last_engineer_seen_at",
        ):
            b.drop_column(name)
