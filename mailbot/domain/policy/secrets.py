"""R27: a secret in customer mail → remind the engineer at once and draft a request to
rotate it. The secret's value was never kept; only its kind is known here."""

from __future__ import annotations

from mailbot.domain.kinds import MailKind
from mailbot.domain.policy.types import CaseView, Decision


def decide(view: CaseView) -> list[Decision]:
    if not view.secret_pending:
        return []
    out = []
    if MailKind.REMIND_SECRET not in view.kinds_in_phase:
        out.append(
            Decision(
                MailKind.REMIND_SECRET,
                "R27",
                f"the customer sent what looks like a {view.secret_pending}",
                view.phase_started_at,
            )
        )
    if (
        MailKind.ROTATE_SECRET not in view.kinds_in_phase
        and MailKind.ROTATE_SECRET not in view.open_customer_kinds
    ):
        out.append(
            Decision(
                MailKind.ROTATE_SECRET,
                "R27",
                f"ask the customer to rotate the {view.secret_pending} they sent",
                view.phase_started_at,
                {"secret_kind": view.secret_pending},
            )
        )
    return out
