"""The facts ``mailbot cases`` and ``mailbot case N`` show, from rows of any origin: the
ORM's (:mod:`mailbot.views.data`) or plain ``sqlite3`` rows (:mod:`mailbot.views.lean`,
the fast path). One set of functions for both, so the two paths cannot drift apart in
what they print. Rows need only the attributes used here. Standard library and the
domain only: this module is on the fast path."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailbot.domain.kinds import OPEN_OUTBOX_STATES, OutboxState

if TYPE_CHECKING:  # for annotations only: this module is on the fast path
    from mailbot.domain.calendar import BusinessCalendar


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def next_step(cal: BusinessCalendar, case: Any, rows: list[Any]) -> dict[str, Any] | None:
    """The case's next step: the customer draft already on its way, else the step the
    planner stored on the case row (``next_*``, kept current whenever the case changes)."""
    pending = [r for r in rows if r.state in OPEN_OUTBOX_STATES and r.audience == "customer"]
    if pending:
        r = pending[-1]
        what = {
            "drafted": "waiting for your approval",
            "planned": "being drafted",
            "sending": "being sent",
        }.get(
            r.state,
            f"approved; goes out {cal.local(r.send_at):%a %d %b %H:%M}" if r.send_at else r.state,
        )
        return {
            "action": r.kind,
            "rule": r.rule,
            "when": iso(r.send_at or r.due_at),
            "reason": f"{what}: {r.reason}",
            "state": r.state,
        }
    if not case.next_kind:
        return None
    return {
        "action": case.next_kind,
        "rule": case.next_rule,
        "when": iso(case.next_due_at),
        "reason": case.next_reason,
        "state": "planned",
    }


def blocked(cal: BusinessCalendar, awaiting: str, case: Any, rows: list[Any]) -> str | None:
    """Why the case's next step cannot happen by itself, in the engineer's words (None
    when nothing waits on them); ``awaiting`` is the approval folder's name."""
    if case.trouble:
        again = (
            f"; tried again after {cal.local(case.retry_at):%a %d %b %H:%M}"
            if case.retry_at
            else ""
        )
        return f"{case.trouble}{again}"
    for r in rows:
        if r.audience != "customer":
            continue
        if r.state == OutboxState.SCHEDULED and r.blocked_reason:
            return f"the approved {r.kind} is not sent: {r.blocked_reason}"
        if r.state == OutboxState.DRAFTED:
            return (
                f"the {r.kind} draft waits for your approval in '{awaiting}' "
                f"since {cal.local(r.updated_at):%a %d %b %H:%M}"
            )
    return None


def summary(
    cal: BusinessCalendar, awaiting: str, case: Any, now: datetime, rows: list[Any]
) -> dict[str, Any]:
    """One case for ``mailbot cases`` and ``mailbot case N``; ``rows`` are its open
    outbox rows (or all of them)."""
    silence = cal.business_days_between(case.last_contact_at or case.opened_at, now)
    return {
        "number": case.number,
        "subject": case.subject,
        "state": case.state,
        "customer": case.customer_name,
        "opened_at": iso(case.opened_at),
        "last_contact_at": iso(case.last_contact_at),
        "silence_business_days": round(silence, 1),
        "paused_until": iso(case.paused_until),
        "pause_why": case.pause_why,
        "next": next_step(cal, case, rows),
        "blocked": blocked(cal, awaiting, case, rows),
    }


def timeline(events: list[Any]) -> list[dict[str, Any]]:
    return [{"at": iso(e.at), "kind": e.kind, "rule": e.rule, "reason": e.reason} for e in events]


def outbox(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "kind": r.kind,
            "state": r.state,
            "rule": r.rule,
            "due_at": iso(r.due_at),
            "send_at": iso(r.send_at),
            "sent_at": iso(r.sent_at),
            "reason": r.reason,
            "blocked": r.blocked_reason,
        }
        for r in rows
    ]


# the columns the functions above read (the lean path selects exactly these)
SUMMARY_COLUMNS = (
    "id",
    "number",
    "subject",
    "state",
    "customer_name",
    "opened_at",
    "last_contact_at",
    "paused_until",
    "pause_why",
    "trouble",
    "retry_at",
    "next_kind",
    "next_rule",
    "next_reason",
    "next_due_at",
)
OUTBOX_COLUMNS = (
    "id",
    "case_id",
    "key",
    "kind",
    "audience",
    "rule",
    "reason",
    "state",
    "due_at",
    "send_at",
    "sent_at",
    "updated_at",
    "blocked_reason",
)
EVENT_COLUMNS = ("id", "at", "kind", "rule", "reason")
