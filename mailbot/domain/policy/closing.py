"""R16, R17: close only with the customer's agreement. A confirmation ("that fixed it")
or a customer who fixed it themselves gets the matching last quality response. The only
other way to closure is the unresponsive path in :mod:`cadence` after three strikes."""

from __future__ import annotations

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CaseState, MailKind
from mailbot.domain.policy.types import CaseView, Decision
from mailbot.domain.settings import Policy


def decide(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    if view.state == CaseState.RESOLVED:
        kind, why = MailKind.LQR_RESOLVED, "the customer confirmed the fix works"
    elif view.state == CaseState.RESOLVED_BY_CUSTOMER:
        kind, why = (
            MailKind.LQR_RESOLVED_BY_CUSTOMER,
            "the customer says they resolved it themselves",
        )
    else:
        return []
    if kind in view.kinds_in_phase:
        return []
    return [
        Decision(
            kind,
            "R17",
            f"{why}: last quality response drafted (closure agreed, R16)",
            view.phase_started_at,
        )
    ]
