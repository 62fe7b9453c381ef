"""Between the store and the pure policy: build a case's snapshot, ask the rules, and
keep ``next_due_at`` so evaluation only ever loads cases that have something due."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.policy import Decision, next_due, plan
from mailbot.domain.settings import Policy
from mailbot.store.models import Case, Outbox
from mailbot.store.repo import case_view, outbox_rows


def store_next(case: Case, decisions: list[Decision]) -> None:
    """Keep the earliest next step on the case row: evaluation loads only cases whose
    ``next_due_at`` has come, and ``mailbot cases`` shows the step without replanning."""
    case.next_due_at = next_due(decisions)
    first = decisions[0] if decisions else None
    case.next_kind = first.kind.value if first else None
    case.next_rule = first.rule if first else None
    case.next_reason = first.reason if first else None


def refresh_due(s: Session, case: Case, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    decisions = plan(case_view(case, outbox_rows(s, case.id)), cal, policy)
    store_next(case, decisions)
    return decisions


def refresh_due_many(
    s: Session, case_ids: Iterable[int], cal: BusinessCalendar, policy: Policy
) -> None:
    """:func:`refresh_due` for many cases with one query for their outbox rows."""
    ids = list(case_ids)
    if not ids:
        return
    rows: dict[int, list[Outbox]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in s.scalars(select(Outbox).where(Outbox.case_id.in_(chunk)).order_by(Outbox.id)):
            rows[row.case_id].append(row)
        for case in s.scalars(select(Case).where(Case.id.in_(chunk))):
            store_next(case, plan(case_view(case, rows[case.id]), cal, policy))
