"""The rules, as pure functions from a case snapshot and a clock to decisions.

:func:`plan` returns every next step of a case with its due time, R-number and reason.
The engine executes those that are due and stores the earliest future one as the case's
``next_due_at``, so an evaluation tick touches only the cases that have something due.
"""

from __future__ import annotations

from datetime import datetime

from mailbot.config import Policy
from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CaseState
from mailbot.domain.policy import (
    attention,
    cadence,
    calls,
    closing,
    first_response,
    promises,
    secrets,
)
from mailbot.domain.policy.types import CaseView, Decision


def plan(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    """Every step the process asks for next, earliest first (empty when nothing is owed)."""
    if view.state == CaseState.CLOSED:
        return []
    decisions: list[Decision] = []
    decisions += secrets.decide(view)
    decisions += attention.decide(view, cal, policy)  # reminders: never wait for a draft
    decisions += promises.decide(view, cal, policy)
    if view.open_customer_kinds:
        # One customer draft at a time: the next step waits for the engineer's verdict.
        return sorted(decisions, key=lambda d: d.due_at)
    for family in (first_response, closing, calls, cadence):
        decisions += family.decide(view, cal, policy)
    return sorted(decisions, key=lambda d: d.due_at)


def next_due(decisions: list[Decision]) -> datetime | None:
    return min((d.due_at for d in decisions), default=None)


__all__ = ["CaseView", "Decision", "plan", "next_due"]
