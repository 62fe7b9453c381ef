"""The engineer's signals: what each one means and the rule behind it (pure data)."""

from __future__ import annotations

SIGNALS = {
    "solution-delivered": "you delivered a solution: post-solution follow-ups start (R10)",
    "waiting": "you are waiting for information from the customer (R07)",
    "researching": "you are researching: no follow-ups to the customer",
    "called-reached": "you reached the customer by phone: counts as a successful contact (R12, R13)",
    "called-voicemail": "you left a voicemail: an email with the next steps is drafted (R09)",
    "prefers-phone": "the customer prefers the phone: follow-ups become call reminders (R05)",
    "prefers-email": "the customer prefers email (R05)",
    "collaboration": "you are not the case owner: no strikes, a reminder to confirm closure with the owner (R22)",
    "upset": "the customer is dissatisfied: reminders to propose a call and involve a senior engineer (R08, R30)",
    "premier": "Premier case: the TAM is reminded before strike 1 (R11) and copied on closure (R14)",
    "pause": "you paused the case: no follow-ups or strikes to the customer until the date given",
    "closed": "you closed the case yourself",
}


def rule_of(name: str) -> str | None:
    return {
        "solution-delivered": "R10",
        "waiting": "R07",
        "called-reached": "R12",
        "premier": "R11",
        "called-voicemail": "R09",
        "prefers-phone": "R05",
        "prefers-email": "R05",
        "collaboration": "R22",
        "upset": "R30",
    }.get(name)
