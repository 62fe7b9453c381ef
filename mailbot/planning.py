"""Between the store and the pure policy: build a case's snapshot, ask the rules, and
keep ``next_due_at`` so evaluation only ever loads cases that have something due."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.policy import Decision, next_due, plan
from mailbot.domain.settings import Policy
from mailbot.store.bulk import update_rows
from mailbot.store.models import Case, Outbox
from mailbot.store.repo import case_view, outbox_rows


def next_step(decisions: list[Decision]) -> dict[str, Any]:
    """The case row's columns for its earliest next step: evaluation loads only cases
    whose ``next_due_at`` has come, and ``mailbot cases`` shows the step without
    replanning."""
    first = decisions[0] if decisions else None
    return {
        "next_due_at": next_due(decisions),
        "next_kind": first.kind.value if first else None,
        "next_rule": first.rule if first else None,
        "next_reason": first.reason if first else None,
    }


def store_next(case: Case, decisions: list[Decision]) -> None:
    """Keep the earliest next step on the case row (see :func:`next_step`)."""
    for name, value in next_step(decisions).items():
        setattr(case, name, value)


def refresh_due(s: Session, case: Case, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    decisions = plan(case_view(case, outbox_rows(s, case.id)), cal, policy)
    store_next(case, decisions)
    return decisions


def refresh_due_many(s: Session, cases: list[Case], cal: BusinessCalendar, policy: Policy) -> None:
    """:func:`refresh_due` for many cases: one query for their outbox rows, one UPDATE
    for their next steps."""
    rows: dict[int, list[Outbox]] = defaultdict(list)
    ids = [c.id for c in cases]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in s.scalars(select(Outbox).where(Outbox.case_id.in_(chunk)).order_by(Outbox.id)):
            rows[row.case_id].append(row)
    update_rows(
        s,
        Case,
        [
            {"id": case.id, **next_step(plan(case_view(case, rows[case.id]), cal, policy))}
            for case in cases
        ],
    )
