"""R08 and R30: an upset customer, or too much back and forth, needs a person.

R08: strong negative wording, or 6+ customer messages in 5 business days → remind the
engineer to propose a call or screen share. R30: the same signals (or the engineer's
"upset" mark) → remind them to involve a senior engineer or technical advisor, the TAM
on a Premier case, and to consider a manager recovery call. Once per upset episode."""

from __future__ import annotations

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import MailKind
from mailbot.domain.policy.types import CaseView, Decision
from mailbot.domain.settings import Policy


def decide(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    if view.upset_at is None:
        return []
    why = view.upset_why or "marked upset"
    out = []
    if view.planned_at.get(
        MailKind.REMIND_PROPOSE_CALL, view.upset_at
    ) <= view.upset_at and MailKind.REMIND_PROPOSE_CALL not in _after(view, view.upset_at):
        out.append(
            Decision(
                MailKind.REMIND_PROPOSE_CALL,
                "R08",
                f"{why}: propose a call or screen share",
                view.upset_at,
            )
        )
    if MailKind.REMIND_DISSATISFIED not in _after(view, view.upset_at):
        tam = " and the TAM (Premier)" if view.premier else ""
        out.append(
            Decision(
                MailKind.REMIND_DISSATISFIED,
                "R30",
                f"{why}: involve a senior engineer{tam}; consider a manager recovery call",
                view.upset_at,
            )
        )
    return out


def _after(view: CaseView, since) -> set[MailKind]:  # type: ignore[no-untyped-def]
    return {k for k, at in view.planned_at.items() if at >= since}
