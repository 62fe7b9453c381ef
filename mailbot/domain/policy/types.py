"""The policy's input (a snapshot of one case) and output (decisions with reasons)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailbot.domain.kinds import MailKind


@dataclass(frozen=True)
class SentNudge:
    kind: MailKind
    sent_at: datetime
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenDraft:
    """A customer draft waiting in the approval folder for the engineer's verdict."""

    kind: MailKind
    key: str
    rule: str
    subject: str
    since: datetime


@dataclass(frozen=True)
class CaseView:
    number: str
    state: str
    opened_at: datetime
    phase_started_at: datetime
    last_contact_at: datetime  # last successful contact (R12, R13)
    premier: bool = False
    last_manual_at: datetime | None = None  # the engineer's own last mail (postpones nudges)
    customer_named_date: datetime | None = None
    named_date_words: str | None = None
    paused_until: datetime | None = None
    hold_until: datetime | None = None
    hold_why: str | None = None
    secret_pending: str | None = None
    nudges_in_phase: tuple[SentNudge, ...] = ()  # customer nudges sent since the phase began
    kinds_in_phase: frozenset[MailKind] = frozenset()  # every kind planned in this phase
    open_customer_kinds: frozenset[MailKind] = frozenset()  # customer drafts not yet final
    planned_at: dict[MailKind, datetime] = field(
        default_factory=dict
    )  # latest planning of each kind, in phase
    last_outbound_at: datetime | None = None
    contact_preference: str = "email"  # R05
    collaboration: bool = False  # R22
    upset_at: datetime | None = None  # R08, R30
    upset_why: str | None = None
    promise_due: datetime | None = None  # R06
    promise_made_at: datetime | None = None
    promise_words: str | None = None
    last_call: str | None = None  # R05, R09
    last_call_at: datetime | None = None
    # when mailbot learned of the latest customer mail, engineer mail, logged call and
    # secret: a draft made before that was made without knowing it
    last_customer_seen_at: datetime | None = None
    last_engineer_seen_at: datetime | None = None
    last_call_seen_at: datetime | None = None
    secret_seen_at: datetime | None = None
    stranger_seen_at: datetime | None = None
    open_drafts: tuple[OpenDraft, ...] = ()
    reminded_drafts: frozenset[str] = frozenset()  # keys of drafts already reminded about
    planned_ever: dict[MailKind, datetime] = field(
        default_factory=dict
    )  # latest planning of each kind, any phase (stale and superseded ones do not count)


@dataclass(frozen=True)
class Decision:
    """One step: draft a customer email or remind the engineer, due at ``due_at``."""

    kind: MailKind
    rule: str
    reason: str
    due_at: datetime
    facts: dict[str, Any] = field(default_factory=dict)
