"""R27: a secret in customer mail → remind the engineer at once and draft a request to
rotate it. The secret's value was never kept; only its kind is known here. Each secret
mailbot learns of (``secret_seen_at``) is handled once."""

from __future__ import annotations

from mailbot.domain.kinds import MailKind
from mailbot.domain.policy.types import CaseView, Decision


def decide(view: CaseView) -> list[Decision]:
    seen = view.secret_seen_at
    if not view.secret_pending or seen is None:
        return []
    out = []
    reminded = view.planned_ever.get(MailKind.REMIND_SECRET)
    if reminded is None or reminded < seen:
        out.append(
            Decision(
                MailKind.REMIND_SECRET,
                "R27",
                f"the customer sent what looks like a {view.secret_pending}",
                seen,
            )
        )
    asked = view.planned_ever.get(MailKind.ROTATE_SECRET)
    if (asked is None or asked < seen) and MailKind.ROTATE_SECRET not in view.open_customer_kinds:
        out.append(
            Decision(
                MailKind.ROTATE_SECRET,
                "R27",
                f"ask the customer to rotate the {view.secret_pending} they sent",
                seen,
                {"secret_kind": view.secret_pending},
            )
        )
    return out
