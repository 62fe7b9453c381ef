"""The engineer's instructions about a case (``mailbot case N mark …``; Outlook
categories on the engineer's own mail are read with that mail). A signal is recorded at
once with the time it was given, and is an event of the case's timeline: the next tick
folds it in at that time (:mod:`mailbot.timeline`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from mailbot.app import App
from mailbot.domain.signals import SIGNALS, rule_of  # noqa: F401 - re-exported for the CLI
from mailbot.domain.timeline import pause_until  # noqa: F401 - re-exported
from mailbot.store.models import Case, Signal
from mailbot.store.repo import case_by_number
from mailbot.timeline import refold_pending


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
        case = case_by_number(s, number)
        if case is None:
            raise LookupError(f"no case {number}")
        s.add(Signal(case_number=number, name=name, source=source, value=value, at=now))
        case.needs_fold = True  # committed with the signal: the next tick folds it in
        s.commit()


def apply_pending(app: App, now: datetime) -> int:
    """Fold the cases that have new signals (or anything else not folded yet); returns
    how many signals took effect."""
    with app.sessions() as s:
        pending = list(s.scalars(select(Signal).where(Signal.applied_at.is_(None))))
        numbers = {sig.case_number for sig in pending}
        if numbers:
            s.execute(update(Case).where(Case.number.in_(numbers)).values(needs_fold=True))
        for sig in pending:
            sig.applied_at = now
        s.commit()
    refold_pending(app, now)
    return len(pending)
