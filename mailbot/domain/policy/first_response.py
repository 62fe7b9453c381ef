"""R04: the first quality response, drafted as soon as a new case thread starts and the
engineer has not written yet."""

from __future__ import annotations

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CaseState, MailKind
from mailbot.domain.policy.types import CaseView, Decision
from mailbot.domain.settings import Policy


def decide(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    if view.state != CaseState.NEW or MailKind.FIRST_RESPONSE in view.kinds_in_phase:
        return []
    return [
        Decision(
            MailKind.FIRST_RESPONSE,
            "R04",
            "new case and you have not written yet: first quality response drafted for you to personalise",
            view.opened_at,
        )
    ]
