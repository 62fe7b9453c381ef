"""R09: a call that ended on the customer's voicemail is followed by an email that says
so and repeats the next steps of the call (it counts as that step's follow-up)."""

from __future__ import annotations

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import MailKind
from mailbot.domain.policy.types import CaseView, Decision
from mailbot.domain.settings import Policy


def decide(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    if view.last_call != "voicemail" or view.last_call_at is None:
        return []
    drafted = view.planned_at.get(MailKind.VOICEMAIL_FOLLOWUP)
    if drafted and drafted >= view.last_call_at:
        return []
    return [
        Decision(
            MailKind.VOICEMAIL_FOLLOWUP,
            "R09",
            "you left a voicemail: email that you called, with the next steps",
            view.last_call_at,
        )
    ]
