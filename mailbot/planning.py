"""Between the store and the pure policy: build a case's snapshot, ask the rules, and
keep ``next_due_at`` so evaluation only ever loads cases that have something due."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailbot.config import Policy
from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.policy import Decision, next_due, plan
from mailbot.store.models import Case
from mailbot.store.repo import case_view, outbox_rows


def refresh_due(s: Session, case: Case, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    decisions = plan(case_view(case, outbox_rows(s, case.id)), cal, policy)
    case.next_due_at = next_due(decisions)
    return decisions
