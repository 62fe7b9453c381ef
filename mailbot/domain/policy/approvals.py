"""A draft the engineer neither approves nor rejects never blocks a case silently: after
``policy.draft_reminder_business_hours`` business hours it gets one reminder, and the
case's other steps (reminders, a last quality response, the engineer's own mail taking
over) go on meanwhile. Only the cadence of follow-ups waits for it: drafting the next
nudge on top of an unanswered one would pile drafts up."""

from __future__ import annotations

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import MailKind
from mailbot.domain.policy.types import CaseView, Decision
from mailbot.domain.settings import Policy


def decide(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    out = []
    hours = policy.draft_reminder_business_hours
    for draft in view.open_drafts:
        if draft.key in view.reminded_drafts:
            continue
        due = cal.add_business_hours(draft.since, hours)
        out.append(
            Decision(
                MailKind.REMIND_DRAFT_WAITING,
                draft.rule,
                f"the {draft.kind.value.replace('_', ' ')} draft has waited {hours} business hours "
                f"for your approval (since {cal.local(draft.since):%a %d %b %H:%M}): approve, edit or "
                "reject it; the case's other steps go on meanwhile",
                due,
                {"draft_key": draft.key, "draft_subject": draft.subject},
            )
        )
    return out
