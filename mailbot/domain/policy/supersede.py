"""Which open drafts the case no longer wants. An open draft (planned, waiting for
approval, approved, scheduled) was written from what mailbot knew when it wrote it;
when the case has moved since, the draft is retired instead of sent or left waiting:

- R19 *stale*: the customer wrote after mailbot made it (knowing the reply, it would
  not have written this); a fresh draft replaces it where the process still calls for
  one. A request to rotate a secret stays right whatever the customer adds.
- *superseded*: the engineer acted after it was made (wrote to the customer, reached
  them by phone), or the case is in a state the draft no longer fits (the customer
  confirmed the fix, a collaboration gets no strikes, the case closed).

"After" means after mailbot *learned* of it (``*_seen_at``), not the event's own time:
a reply that was written before a draft but read after it still makes the draft stale.
"""

from __future__ import annotations

from datetime import datetime

from mailbot.domain.kinds import (
    CLOSING_KINDS,
    NUDGE_KINDS,
    STRIKES,
    CaseState,
    MailKind,
    OutboxState,
)
from mailbot.domain.policy.types import CaseView

KEPT_ON_REPLY = frozenset({MailKind.ROTATE_SECRET})
ENGINEER_MAKES_POINTLESS = NUDGE_KINDS | {MailKind.FIRST_RESPONSE}
FITS = {  # the states in which a kind of draft still makes sense
    MailKind.FIRST_RESPONSE: {CaseState.NEW},
    MailKind.FOLLOWUP_INFO: {CaseState.WAITING_INFO},
    MailKind.FOLLOWUP_SOLUTION: {CaseState.SOLUTION_DELIVERED},
    MailKind.STRIKE_1: {CaseState.WAITING_INFO, CaseState.SOLUTION_DELIVERED},
    MailKind.STRIKE_2: {CaseState.WAITING_INFO, CaseState.SOLUTION_DELIVERED},
    MailKind.STRIKE_3: {CaseState.WAITING_INFO, CaseState.SOLUTION_DELIVERED},
    MailKind.CLOSURE_UNRESPONSIVE: {CaseState.WAITING_INFO, CaseState.SOLUTION_DELIVERED},
    MailKind.LQR_RESOLVED: {CaseState.RESOLVED},
    MailKind.LQR_RESOLVED_BY_CUSTOMER: {CaseState.RESOLVED_BY_CUSTOMER},
}


def _after(seen: datetime | None, created: datetime) -> bool:
    return seen is not None and seen > created


def retire_reason(
    kind: MailKind, created_at: datetime, view: CaseView
) -> tuple[OutboxState, str, str] | None:
    """(new state, rule, why) for an open customer draft the case no longer wants, or None."""
    if view.state == CaseState.CLOSED and kind not in CLOSING_KINDS:
        return OutboxState.SUPERSEDED, "R16", "the case is closed"
    if kind not in KEPT_ON_REPLY and _after(view.last_customer_seen_at, created_at):
        return OutboxState.STALE, "R19", "the customer wrote after this draft was made"
    if kind in ENGINEER_MAKES_POINTLESS and _after(view.last_engineer_seen_at, created_at):
        return (
            OutboxState.SUPERSEDED,
            "R19",
            "you wrote to the customer yourself after this draft was made",
        )
    if (
        kind in NUDGE_KINDS
        and view.last_call == "reached"
        and _after(view.last_call_seen_at, created_at)
    ):
        return (
            OutboxState.SUPERSEDED,
            "R12",
            "you reached the customer by phone after this draft was made",
        )
    fits = FITS.get(kind)
    if fits is not None and view.state not in fits:
        return (
            OutboxState.SUPERSEDED,
            "R19",
            f"the case is now {view.state.replace('_', ' ')}, which this draft no longer fits",
        )
    if view.collaboration and (kind in STRIKES or kind == MailKind.CLOSURE_UNRESPONSIVE):
        return OutboxState.SUPERSEDED, "R22", "a collaboration gets no strikes"
    return None
