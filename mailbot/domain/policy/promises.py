"""R06: when the engineer told the customer when they would follow up ("I will update
you by Thursday"), remind them at that time; an email to the customer before then keeps
the promise and clears the reminder."""

from __future__ import annotations

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import MailKind
from mailbot.domain.policy.types import CaseView, Decision
from mailbot.domain.settings import Policy


def decide(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    if view.promise_due is None or view.promise_made_at is None:
        return []
    if view.last_outbound_at and view.last_outbound_at > view.promise_made_at:
        return []  # kept: you wrote to the customer after promising
    reminded = view.planned_at.get(MailKind.REMIND_PROMISE)
    if reminded and reminded >= view.promise_made_at:
        return []
    words = f' ("{view.promise_words}")' if view.promise_words else ""
    return [
        Decision(
            MailKind.REMIND_PROMISE,
            "R06",
            f"you promised the customer an update by now{words}",
            view.promise_due,
        )
    ]
