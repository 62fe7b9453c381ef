"""The engineer's instructions about a case (``mailbot case N mark …``; Outlook
categories feed the same table). Recorded at once, applied on the next tick, and
written into the case timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from mailbot.app import App
from mailbot.domain.kinds import CaseState
from mailbot.planning import refresh_due
from mailbot.store.models import Case, Signal
from mailbot.store.repo import case_by_number, record

SIGNALS = {
    "solution-delivered": "you delivered a solution: post-solution follow-ups start (R10)",
    "waiting": "you are waiting for information from the customer (R07)",
    "researching": "you are researching: no follow-ups to the customer",
    "called-reached": "you reached the customer by phone: counts as a successful contact (R12, R13)",
    "premier": "Premier case: the TAM is reminded before strike 1 (R11) and copied on closure (R14)",
    "closed": "you closed the case yourself",
}


class UnknownSignal(ValueError):
    pass


def add(
    app: App, number: str, name: str, now: datetime, source: str = "cli", value: str | None = None
) -> None:
    if name not in SIGNALS:
        raise UnknownSignal(f"unknown signal {name!r}; known: {', '.join(SIGNALS)}")
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
            _apply(case, sig, now)
            record(
                s,
                case.id,
                now,
                "signal",
                f"{sig.name} (from {sig.source}): {SIGNALS[sig.name]}",
                _rule(sig.name),
            )
            refresh_due(s, case, app.calendar, app.settings.policy)
            applied += 1
        s.commit()
    return applied


def _rule(name: str) -> str | None:
    return {
        "solution-delivered": "R10",
        "waiting": "R07",
        "called-reached": "R12",
        "premier": "R11",
    }.get(name)


def _apply(case: Case, sig: Signal, now: datetime) -> None:
    if sig.name == "solution-delivered":
        case.state, case.phase_started_at, case.customer_named_date = (
            CaseState.SOLUTION_DELIVERED,
            sig.at,
            None,
        )
    elif sig.name == "waiting":
        case.state, case.phase_started_at = CaseState.WAITING_INFO, sig.at
    elif sig.name == "researching":
        case.state, case.phase_started_at = CaseState.ACTIVE, sig.at
    elif sig.name == "called-reached":
        case.last_contact_at = max(filter(None, [case.last_contact_at, sig.at]))
    elif sig.name == "premier":
        case.premier = True
        case.tam_email = sig.value or case.tam_email
    elif sig.name == "closed":
        case.state, case.closed_at = CaseState.CLOSED, now
    case.updated_at = now
