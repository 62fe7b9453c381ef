"""Queries and small writes shared by the engine and the views."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.domain.kinds import NUDGE_KINDS, OPEN_OUTBOX_STATES, MailKind, OutboxState
from mailbot.domain.policy.types import CaseView, OpenDraft, SentNudge
from mailbot.store.bulk import insert_rows
from mailbot.store.models import Case, Event, Outbox

_EVENT_BUFFER = "mailbot.event_buffer"


def record(
    s: Session,
    case_id: int | None,
    at: datetime,
    kind: str,
    reason: str,
    rule: str | None = None,
    **data: Any,
) -> None:
    """Add one line to a case's timeline (committed with the change it describes).

    Inside :func:`buffered_events` the line is queued and written with the others in one
    statement, which is what lets ingest file a thousand messages a second."""
    row = dict(case_id=case_id, at=at, kind=kind, rule=rule, reason=reason, data=data)
    buffer = s.info.get(_EVENT_BUFFER)
    if buffer is not None:
        buffer.append(row)
    else:
        s.add(Event(**row))


@contextlib.contextmanager
def buffered_events(s: Session) -> Iterator[None]:
    """Queue :func:`record` calls and write them in one INSERT when the block ends."""
    s.info[_EVENT_BUFFER] = []
    try:
        yield
        # one statement even where some lines have no rule (see mailbot/store/bulk.py)
        insert_rows(s, Event, s.info[_EVENT_BUFFER])
    finally:
        s.info.pop(_EVENT_BUFFER, None)


def case_by_number(s: Session, number: str) -> Case | None:
    return s.scalar(select(Case).where(Case.number == number))


def outbox_rows(s: Session, case_id: int) -> list[Outbox]:
    return list(s.scalars(select(Outbox).where(Outbox.case_id == case_id).order_by(Outbox.id)))


RETIRED = (OutboxState.STALE, OutboxState.CANCELLED, OutboxState.SUPERSEDED)


def case_view(case: Case, rows: list[Outbox]) -> CaseView:
    """The policy's snapshot of a case: the case row plus what its outbox already holds."""
    phase = case.phase_started_at
    nudges = tuple(
        SentNudge(MailKind(r.kind), r.sent_at, dict(r.facts or {}))
        for r in sorted(rows, key=lambda r: r.sent_at or phase)
        if r.kind in NUDGE_KINDS
        and r.state == OutboxState.SENT
        and r.sent_at
        and r.sent_at >= phase
    )
    live = [r for r in rows if r.state not in RETIRED]
    in_phase = frozenset(MailKind(r.kind) for r in live if r.created_at >= phase)
    open_customer = frozenset(
        MailKind(r.kind) for r in rows if r.audience == "customer" and r.state in OPEN_OUTBOX_STATES
    )
    planned_at: dict[MailKind, datetime] = {}
    planned_ever: dict[MailKind, datetime] = {}
    for r in live:
        kind = MailKind(r.kind)
        planned_ever[kind] = max(planned_ever.get(kind, r.created_at), r.created_at)
        if r.created_at >= phase:
            planned_at[kind] = max(planned_at.get(kind, r.created_at), r.created_at)
    open_drafts = tuple(
        OpenDraft(MailKind(r.kind), r.key, r.rule, r.subject, r.updated_at)
        for r in rows
        if r.audience == "customer" and r.state == OutboxState.DRAFTED
    )
    reminded = frozenset(
        (r.facts or {}).get("draft_key", "")
        for r in live
        if r.kind == MailKind.REMIND_DRAFT_WAITING
    )
    return CaseView(
        number=case.number,
        state=case.state,
        opened_at=case.opened_at,
        phase_started_at=phase,
        last_contact_at=case.last_contact_at or case.opened_at,
        premier=case.premier,
        last_manual_at=case.last_engineer_manual_at,
        customer_named_date=case.customer_named_date,
        named_date_words=case.named_date_words,
        paused_until=case.paused_until,
        hold_until=case.hold_until,
        hold_why=case.hold_why,
        secret_pending=case.secret_pending,
        nudges_in_phase=nudges,
        kinds_in_phase=in_phase,
        open_customer_kinds=open_customer,
        planned_at=planned_at,
        last_outbound_at=case.last_outbound_at,
        contact_preference=case.contact_preference or "email",
        collaboration=bool(case.collaboration),
        upset_at=case.upset_at,
        upset_why=case.upset_why,
        promise_due=case.promise_due,
        promise_made_at=case.promise_made_at,
        promise_words=case.promise_words,
        last_call=case.last_call,
        last_call_at=case.last_call_at,
        last_customer_seen_at=case.last_customer_seen_at,
        last_engineer_seen_at=case.last_engineer_seen_at,
        last_call_seen_at=case.last_call_seen_at,
        secret_seen_at=case.secret_seen_at,
        stranger_seen_at=case.stranger_seen_at,
        open_drafts=open_drafts,
        reminded_drafts=reminded,
        planned_ever=planned_ever,
    )
