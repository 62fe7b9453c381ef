"""The engineer's instructions about a case (``mailbot case N mark …``; Outlook
categories feed the same table). Recorded at once, applied on the next tick, and
written into the case timeline."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from mailbot.app import App
from mailbot.config import Policy
from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CaseState
from mailbot.planning import refresh_due
from mailbot.store.models import Case, Signal
from mailbot.store.repo import case_by_number, record

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


class UnknownSignal(ValueError):
    pass


def add(
    app: App, number: str, name: str, now: datetime, source: str = "cli", value: str | None = None
) -> None:
    if name not in SIGNALS:
        raise UnknownSignal(f"unknown signal {name!r}; known: {', '.join(SIGNALS)}")
    if name == "pause" and value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise UnknownSignal(f"pause --value {value!r} is not a date like 2026-12-15") from None
    with app.sessions() as s:
        if case_by_number(s, number) is None:
            raise LookupError(f"no case {number}")
        s.add(Signal(case_number=number, name=name, source=source, value=value, at=now))
        s.commit()


def apply_pending(app: App, now: datetime) -> int:
    applied = 0
    with app.sessions() as s:
        for sig in s.scalars(select(Signal).where(Signal.applied_at.is_(None)).order_by(Signal.id)):
            case = s.scalar(select(Case).where(Case.number == sig.case_number))
            sig.applied_at = now
            if case is None:
                continue
            hold = (
                pause_until(app.calendar, app.settings.policy, sig.at, sig.value)
                if sig.name == "pause"
                else None
            )
            apply_signal(case, sig.name, sig.at, now, sig.value, hold)
            record(
                s,
                case.id,
                now,
                "signal",
                f"{sig.name} (from {sig.source}): {SIGNALS[sig.name]}",
                rule_of(sig.name),
            )
            refresh_due(s, case, app.calendar, app.settings.policy)
            applied += 1
        s.commit()
    return applied


def pause_until(cal: BusinessCalendar, policy: Policy, at: datetime, value: str | None) -> datetime:
    """The end of a pause (CLI or Outlook category): the date the engineer gave (at the
    start of that business day), else ``policy.pause_business_days`` business days on."""
    if value:
        day = date.fromisoformat(value)
        return cal.next_business_time(cal.at_local(day, cal.start))
    return cal.add_business_days(at, policy.pause_business_days)


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


def apply_signal(
    case: Case,
    name: str,
    at: datetime,
    now: datetime,
    value: str | None = None,
    hold_until: datetime | None = None,
) -> None:
    """Change the case as the engineer said (from the CLI or an Outlook category)."""
    if name == "solution-delivered":
        case.state, case.phase_started_at, case.customer_named_date = (
            CaseState.SOLUTION_DELIVERED,
            at,
            None,
        )
    elif name == "waiting":
        case.state, case.phase_started_at = CaseState.WAITING_INFO, at
    elif name == "researching":
        case.state, case.phase_started_at = CaseState.ACTIVE, at
    elif name == "called-reached":
        case.last_contact_at = max(filter(None, [case.last_contact_at, at]))
        case.last_call, case.last_call_at = "reached", at
        case.phase_started_at = at  # a conversation happened: the follow-up cadence restarts
    elif name == "called-voicemail":
        case.last_call, case.last_call_at = "voicemail", at
    elif name in ("prefers-phone", "prefers-email"):
        case.contact_preference = name.split("-", 1)[1]
    elif name == "collaboration":
        case.collaboration = True
    elif name == "upset":
        case.upset_at, case.upset_why = at, "you marked the customer as dissatisfied"
    elif name == "premier":
        case.premier = True
        case.tam_email = value or case.tam_email
    elif name == "pause" and hold_until is not None:
        case.hold_until, case.hold_why = hold_until, "you paused the case"
    elif name == "closed":
        case.state, case.closed_at = CaseState.CLOSED, now
    case.updated_at = now
