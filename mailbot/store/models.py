"""Tables. What is stored is what the process needs (R28): addresses, subjects, dates and
the facts the ingest filters extracted; never message bodies, never secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use mailbot.clock")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, an aware ``datetime`` goes straight to the text SQLite stores (its
        UTC time, to the microsecond) in one step instead of three function calls and a
        format with seven fields: writing a tick's rows binds tens of thousands of them.
        The fused step is used only when it gives the same text as the slow one for a
        probe (so never with a storage format other than the default); anything but an
        aware ``datetime`` takes the slow one (a test compares the two)."""
        slow = super().bind_processor(dialect)
        if dialect.name != "sqlite" or slow is None:
            return slow
        probe = datetime(1999, 12, 31, 23, 59, 58, 7, tzinfo=_PROBE_ZONE)
        if _sqlite_text(probe) != slow(probe):
            return slow

        def process(value: Any) -> Any:
            if value.__class__ is datetime and value.tzinfo is not None:
                return _sqlite_text(value)
            return slow(value)

        return process


_PROBE_ZONE = timezone(timedelta(hours=-5, minutes=-30))


def _sqlite_text(value: datetime) -> str:
    """An aware datetime as SQLAlchemy's SQLite dialect stores it (default format)."""
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(32))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_cc: Mapped[list[str]] = mapped_column(JSON, default=list)
    premier: Mapped[bool] = mapped_column(Boolean, default=False)
    tam_email: Mapped[str | None] = mapped_column(String(320))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_customer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_customer_seen_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime
    )  # when mailbot filed it (R19)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last successful contact
    last_outbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_engineer_manual_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_engineer_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phase_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_named_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    named_date_words: Mapped[str | None] = mapped_column(String(200))
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_why: Mapped[str | None] = mapped_column(String(300))
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hold_why: Mapped[str | None] = mapped_column(String(200))  # rejected draft, or a pause
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_customer_message_id: Mapped[str | None] = mapped_column(String(998))
    thread_references: Mapped[str | None] = mapped_column(Text)
    customer_messages: Mapped[int] = mapped_column(Integer, default=0)
    # the kind of secret seen (R27), never the value
    secret_pending: Mapped[str | None] = mapped_column(String(64))
    secret_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_preference: Mapped[str] = mapped_column(
        String(16), default="email", server_default="email"
    )  # R05
    collaboration: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )  # R22
    upset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R08, R30
    upset_why: Mapped[str | None] = mapped_column(String(300))
    # R08: when the thread's last few messages (both directions) were written
    recent_message_times: Mapped[list[str] | None] = mapped_column("recent_customer_at", JSON)
    promise_due: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R06
    promise_made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promise_words: Mapped[str | None] = mapped_column(String(200))
    last_call: Mapped[str | None] = mapped_column(String(16))  # reached | voicemail (R05, R09)
    last_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_call_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stranger_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R28
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    next_kind: Mapped[str | None] = mapped_column(String(40))  # the step due then (for views)
    next_rule: Mapped[str | None] = mapped_column(String(8))
    next_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Case state is folded from the case's events (mailbot/timeline.py). ``needs_fold``
    # is committed with the events that make it stale, so a crash before the fold is
    # repaired by the next cycle. ``folded_from`` set means: fold on top of this row,
    # with events learned after that instant only (purged cases, and cases from before
    # the timeline, whose early events lack what a replay needs).
    needs_fold: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false(), index=True
    )
    folded_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One case never stops another: a step that failed for this case (planning, drafting,
    # sending) is recorded here, told to the engineer once, and retried after a back-off.
    trouble: Mapped[str | None] = mapped_column(String(300))
    trouble_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trouble_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailItem(Base):
    """One message seen in a watched folder (folder + key make it unique: ingest is idempotent).

    ``status`` says what it is: ``case`` (filed into ``case_id``), ``parked`` (a reply
    whose parent, or a case number whose case, is not known yet: it joins when that
    arrives) or ``none`` (not case mail). Unreadable mail is in ``quarantine`` instead."""

    __tablename__ = "mail_items"
    __table_args__ = (UniqueConstraint("folder", "item_key", name="uq_mail_items_folder_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder: Mapped[str] = mapped_column(String(200))
    item_key: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    sender: Mapped[str | None] = mapped_column(String(320))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the Date header
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it happened (timeline order)
    status: Mapped[str] = mapped_column(String(16), default="case", server_default="case")
    direction: Mapped[str] = mapped_column(String(16))
    automatic: Mapped[str | None] = mapped_column(String(64))  # why it is automatic (R03), or None
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ThreadWait(Base):
    """A parked message waits for ``ref``: a Message-ID it replies to, or ``case:<number>``
    for a case number whose case is not open yet."""

    __tablename__ = "thread_waits"
    __table_args__ = (Index("ix_thread_waits_ref", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mail_item_id: Mapped[int] = mapped_column(ForeignKey("mail_items.id"), index=True)
    ref: Mapped[str] = mapped_column(String(998))
    locator: Mapped[str] = mapped_column(String(1000), default="")


class Quarantine(Base):
    """A message that could not be read: recorded, logged, never dropped silently."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("folder", "item_key", name="uq_quarantine_folder_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder: Mapped[str] = mapped_column(String(200))
    item_key: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What `mailbot quarantine` needs: where the message is (the adapter's locator), how
    # often it was retried, and whether the engineer dropped it (a dropped row stays, so
    # the message is not read again).
    locator: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncState(Base):
    __tablename__ = "sync_states"

    folder: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Event(Base):
    """The case timeline: everything filed, decided, drafted, sent, with rule and reason."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # set on the lines the timeline fold writes (and rewrites when a case is replayed)
    source: Mapped[str | None] = mapped_column(String(400))


class Outbox(Base):
    """One planned email. Every state change is committed before its side effect."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_send_at", "state", "send_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(16))  # customer | engineer
    rule: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(500), default="")
    recipients: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it reached a final state
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # drafting failed: not before
    # a final row's draft has been taken out of the approval folders (to "Not sent")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Signal(Base):
    """An engineer's instruction (CLI mark or mailbox category) applied on the next tick."""

    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
