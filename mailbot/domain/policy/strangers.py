"""R01: mail from someone who is not one of the case's people is filed but moves
nothing (no state, no recipient, no pause). The engineer is told once per case: a real new
contact joins the case's people as soon as the engineer writes to them."""

from __future__ import annotations

from mailbot.domain.kinds import MailKind
from mailbot.domain.policy.types import CaseView, Decision


def decide(view: CaseView) -> list[Decision]:
    if view.stranger_seen_at is None or MailKind.REMIND_STRANGER in view.planned_ever:
        return []
    return [
        Decision(
            MailKind.REMIND_STRANGER,
            "R01",
            "someone outside the case's people wrote about this case: filed, but it changes nothing",
            view.stranger_seen_at,
        )
    ]
