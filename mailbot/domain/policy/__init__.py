"""The rules, as pure functions from a case snapshot and a clock to decisions.

:func:`plan` returns every next step of a case with its due time, R-number and reason.
The engine executes those that are due and stores the earliest future one as the case's
``next_due_at``, so an evaluation tick touches only the cases that have something due.
"""

from __future__ import annotations

from datetime import datetime

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CaseState
from mailbot.domain.policy import (
    approvals,
    attention,
    cadence,
    calls,
    closing,
    first_response,
    promises,
    secrets,
    strangers,
)
from mailbot.domain.policy.types import CaseView, Decision
from mailbot.domain.settings import Policy


def plan(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    """Every step the process asks for next, earliest first (empty when nothing is owed)."""
    if view.state == CaseState.CLOSED:
        return []
    decisions: list[Decision] = []
    decisions += secrets.decide(view)
    decisions += strangers.decide(view)
    # No open draft blocks any of these; only the follow-up cadence waits for the
    # engineer's verdict on its own open draft (see approvals and cadence).
    for family in (attention, promises, approvals, first_response, closing, calls, cadence):
        decisions += family.decide(view, cal, policy)
    return sorted(decisions, key=lambda d: d.due_at)


def next_due(decisions: list[Decision]) -> datetime | None:
    return min((d.due_at for d in decisions), default=None)


__all__ = ["CaseView", "Decision", "plan", "next_due"]
