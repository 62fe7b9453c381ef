"""Names shared by every layer: case states, mail kinds, outbox states, directions."""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    NEW = "new"  # customer wrote, the engineer has not (R04)
    ACTIVE = "active"  # the ball is with the engineer (researching)
    WAITING_INFO = "waiting_info"  # engineer asked the customer for something (R07)
    SOLUTION_DELIVERED = "solution_delivered"  # R10, then R11 strikes
    RESOLVED = "resolved"  # customer confirmed the fix (R17)
    RESOLVED_BY_CUSTOMER = "resolved_by_customer"  # customer fixed it themselves (R17)
    CLOSED = "closed"


class MailKind(StrEnum):
    """Every template mailbot renders. Customer-facing unless listed in ENGINEER_KINDS."""

    FIRST_RESPONSE = "first_response"  # R04
    FOLLOWUP_INFO = "followup_info"  # R07
    FOLLOWUP_SOLUTION = "followup_solution"  # R10
    STRIKE_1 = "strike_1"  # R11
    STRIKE_2 = "strike_2"  # R11
    STRIKE_3 = "strike_3"  # R11, R12
    CLOSURE_UNRESPONSIVE = "closure_unresponsive"  # R13, R14
    LQR_RESOLVED = "lqr_resolved"  # R17, R18
    LQR_RESOLVED_BY_CUSTOMER = "lqr_resolved_by_customer"  # R17, R18
    ROTATE_SECRET = "rotate_secret"  # R27
    VOICEMAIL_FOLLOWUP = "voicemail_followup"  # R09
    REMIND_CALL = "remind_call"  # R10
    REMIND_TAM = "remind_tam"  # R11 (Premier)
    REMIND_SECRET = "remind_secret"  # R27
    REMIND_CLOSURE_CHECKLIST = "remind_closure_checklist"  # R20
    REMIND_BLOCKED = "remind_blocked"  # R25: an approved draft still has a placeholder
    REMIND_UNCONFIRMED = "remind_unconfirmed"  # R26: a send could not be confirmed after a crash
    REMIND_PROPOSE_CALL = "remind_propose_call"  # R08
    REMIND_DISSATISFIED = "remind_dissatisfied"  # R30
    REMIND_PROMISE = "remind_promise"  # R06
    REMIND_COLLAB_OWNER = "remind_collab_owner"  # R22
    REMIND_DRAFT_WAITING = "remind_draft_waiting"  # a draft left unapproved too long
    REMIND_STRANGER = "remind_stranger"  # R01: mail from outside the case's people
    REMIND_TROUBLE = "remind_trouble"  # a step failed for this case; it is retried


# Reminders go to the engineer's own mailbox, never to a customer.
ENGINEER_KINDS = frozenset(k for k in MailKind if k.value.startswith("remind_"))
NUDGE_KINDS = frozenset(
    {
        MailKind.FOLLOWUP_INFO,
        MailKind.FOLLOWUP_SOLUTION,
        MailKind.VOICEMAIL_FOLLOWUP,
        MailKind.STRIKE_1,
        MailKind.STRIKE_2,
        MailKind.STRIKE_3,
    }
)
STRIKES = (MailKind.STRIKE_1, MailKind.STRIKE_2, MailKind.STRIKE_3)
CLOSING_KINDS = frozenset(
    {MailKind.CLOSURE_UNRESPONSIVE, MailKind.LQR_RESOLVED, MailKind.LQR_RESOLVED_BY_CUSTOMER}
)

# Per kind, whether the engineer must approve before it is sent (config can relax it).
APPROVAL_DEFAULTS = {kind: True for kind in MailKind}


class OutboxState(StrEnum):
    """planned → drafted → approved → scheduled → sending → sent, or a final off-ramp."""

    PLANNED = "planned"
    DRAFTED = "drafted"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    STALE = "stale"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"


OPEN_OUTBOX_STATES = frozenset(
    {
        OutboxState.PLANNED,
        OutboxState.DRAFTED,
        OutboxState.APPROVED,
        OutboxState.SCHEDULED,
        OutboxState.SENDING,
    }
)


FINAL_OUTBOX_STATES = frozenset(OutboxState) - OPEN_OUTBOX_STATES
# final rows whose draft, if still in an approval folder, must move to "Not sent"
DEAD_OUTBOX_STATES = frozenset(
    {OutboxState.STALE, OutboxState.SUPERSEDED, OutboxState.CANCELLED, OutboxState.FAILED}
)


class Direction(StrEnum):
    CUSTOMER = "customer"
    ENGINEER = "engineer"
    OTHER = "other"
