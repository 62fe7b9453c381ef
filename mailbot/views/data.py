"""The data behind ``mailbot cases``, ``mailbot case N`` and ``mailbot plan`` (plain
dicts, so ``--json`` and the tables show exactly the same facts)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.domain.kinds import OPEN_OUTBOX_STATES, CaseState
from mailbot.domain.policy import plan
from mailbot.store.models import Case, Event, Outbox
from mailbot.store.repo import case_by_number, case_view, outbox_rows
from mailbot.views import facts

_iso = facts.iso
SUMMARY_COLUMNS = facts.SUMMARY_COLUMNS


def _next(app: App, case: Case, rows: list[Outbox]) -> dict[str, Any] | None:
    return facts.next_step(app.calendar, case, rows)


def blocked(app: App, case: Case, rows: list[Outbox]) -> str | None:
    """Why the case's next step cannot happen by itself (see :func:`facts.blocked`)."""
    return facts.blocked(app.calendar, app.settings.mailbox.folders.awaiting_approval, case, rows)


def case_summary(app: App, case: Case, now: datetime, rows: list[Outbox]) -> dict[str, Any]:
    """One case for ``mailbot cases`` and ``mailbot case N`` (see :func:`facts.summary`)."""
    awaiting = app.settings.mailbox.folders.awaiting_approval
    return facts.summary(app.calendar, awaiting, case, now, rows)


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
        data["timeline"] = facts.timeline(list(events))
        data["outbox"] = facts.outbox(outbox_rows(s, case.id))
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
