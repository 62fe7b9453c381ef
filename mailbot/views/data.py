"""The data behind ``mailbot cases``, ``mailbot case N`` and ``mailbot plan`` (plain
dicts, so ``--json`` and the tables show exactly the same facts)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.domain.kinds import OPEN_OUTBOX_STATES, CaseState, OutboxState
from mailbot.domain.policy import plan
from mailbot.store.models import Case, Event, Outbox
from mailbot.store.repo import case_by_number, case_view, outbox_rows


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _next(app: App, case: Case, rows: list[Outbox]) -> dict[str, Any] | None:
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
            f"approved; goes out {app.calendar.local(r.send_at):%a %d %b %H:%M}"
            if r.send_at
            else r.state,
        )
        return {
            "action": r.kind,
            "rule": r.rule,
            "when": _iso(r.send_at or r.due_at),
            "reason": f"{what}: {r.reason}",
            "state": r.state,
        }
    if not case.next_kind:
        return None
    return {
        "action": case.next_kind,
        "rule": case.next_rule,
        "when": _iso(case.next_due_at),
        "reason": case.next_reason,
        "state": "planned",
    }


def blocked(app: App, case: Case, rows: list[Outbox]) -> str | None:
    """Why the case's next step cannot happen by itself, in the engineer's words (None
    when nothing waits on them)."""
    cal = app.calendar
    f = app.settings.mailbox.folders
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
                f"the {r.kind} draft waits for your approval in '{f.awaiting_approval}' "
                f"since {cal.local(r.updated_at):%a %d %b %H:%M}"
            )
    return None


def case_summary(app: App, case: Case, now: datetime, rows: list[Outbox]) -> dict[str, Any]:
    """One case for ``mailbot cases`` and ``mailbot case N``; ``rows`` are its open
    outbox rows (or all of them)."""
    silence = app.calendar.business_days_between(case.last_contact_at or case.opened_at, now)
    return {
        "number": case.number,
        "subject": case.subject,
        "state": case.state,
        "customer": case.customer_name,
        "opened_at": _iso(case.opened_at),
        "last_contact_at": _iso(case.last_contact_at),
        "silence_business_days": round(silence, 1),
        "paused_until": _iso(case.paused_until),
        "pause_why": case.pause_why,
        "next": _next(app, case, rows),
        "blocked": blocked(app, case, rows),
    }


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


def open_cases(app: App, now: datetime) -> list[dict[str, Any]]:
    """Every open case in two queries (the columns the view shows, and the open outbox
    rows of all cases): what ``mailbot cases`` shows needs no replanning."""
    with app.sessions() as s:
        cols = [getattr(Case, c) for c in SUMMARY_COLUMNS]
        cases = s.execute(
            select(*cols)
            .where(Case.state != CaseState.CLOSED)
            .order_by(Case.opened_at, Case.number)
        ).all()
        rows: dict[int, list[Outbox]] = defaultdict(list)
        for r in s.scalars(
            select(Outbox)
            .where(Outbox.state.in_(list(OPEN_OUTBOX_STATES)), Outbox.case_id.is_not(None))
            .order_by(Outbox.id)
        ):
            rows[r.case_id].append(r)
        return [case_summary(app, c, now, rows[c.id]) for c in cases]  # type: ignore[arg-type]


def case_detail(app: App, number: str, now: datetime) -> dict[str, Any] | None:
    with app.sessions() as s:
        case = case_by_number(s, number)
        if case is None:
            return None
        data = case_summary(app, case, now, outbox_rows(s, case.id))
        events = s.scalars(
            select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id)
        )
        data["timeline"] = [
            {"at": _iso(e.at), "kind": e.kind, "rule": e.rule, "reason": e.reason} for e in events
        ]
        data["outbox"] = [
            {
                "key": r.key,
                "kind": r.kind,
                "state": r.state,
                "rule": r.rule,
                "due_at": _iso(r.due_at),
                "send_at": _iso(r.send_at),
                "sent_at": _iso(r.sent_at),
                "reason": r.reason,
                "blocked": r.blocked_reason,
            }
            for r in outbox_rows(s, case.id)
        ]
        return data


def upcoming(app: App, now: datetime) -> list[dict[str, Any]]:
    """What will be drafted, reminded and sent, and when."""
    items = []
    with app.sessions() as s:
        for row in s.scalars(select(Outbox).where(Outbox.state.in_(list(OPEN_OUTBOX_STATES)))):
            case = s.get(Case, row.case_id) if row.case_id is not None else None
            verb = (
                "send" if row.state in ("approved", "scheduled", "sending") else "awaiting approval"
            )
            items.append(
                {
                    "when": _iso(row.send_at or row.due_at),
                    "case": case.number if case else "(weekly summary)",
                    "action": f"{verb}: {row.kind}",
                    "rule": row.rule,
                    "reason": row.reason,
                }
            )
        for case in s.scalars(
            select(Case).where(Case.next_due_at.is_not(None), Case.state != CaseState.CLOSED)
        ):
            for d in plan(
                case_view(case, outbox_rows(s, case.id)), app.calendar, app.settings.policy
            ):
                verb = "remind" if d.kind.value.startswith("remind") else "draft"
                items.append(
                    {
                        "when": _iso(d.due_at),
                        "case": case.number,
                        "action": f"{verb}: {d.kind.value}",
                        "rule": d.rule,
                        "reason": d.reason,
                    }
                )
    return sorted(items, key=lambda i: i["when"] or "")
