"""Between the store and the pure timeline fold: load a case's events, fold them, write
the result into the case row, rewrite the timeline lines the fold explains, retire the
drafts the new state makes pointless, and plan again.

A case is folded from all of its events every time its timeline changes (a replay from
the start). Cases are small, so this costs a few milliseconds (``bench/timeline.py``
measures a late event in a case of 200), and it needs no bookkeeping about which event
was folded when: the same events always give the same case. Two kinds of case are the
exception and are folded on top of their stored row with only the events learned since
(``cases.folded_from``): cases whose thread data the retention purge erased (R28), and
cases from before the timeline existed, whose early mail lacks what a replay needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.domain.kinds import OutboxState
from mailbot.domain.timeline import (
    FOLDED_FIELDS,
    CaseEvent,
    FoldedCase,
    MailEvent,
    Note,
    OutboxEvent,
    SignalEvent,
    fold,
)
from mailbot.store.bulk import insert_rows, update_rows
from mailbot.store.models import Case, Event, MailItem, Outbox, Signal

_LIST_FIELDS = {"customer_cc", "recent_message_times"}
# a fold that saw no opening mail leaves these empty: the stored ones stay
_KEPT_WHEN_EMPTY = {"opened_at", "subject"}


# what the events are made of: columns, not ORM objects (building and tracking an object
# per message was most of the loading, and nothing here is written back)
_MAIL = (
    MailItem.case_id,
    MailItem.folder,
    MailItem.item_key,
    MailItem.message_id,
    MailItem.subject,
    MailItem.sender,
    MailItem.sent_at,
    MailItem.ingested_at,
    MailItem.at,
    MailItem.direction,
    MailItem.automatic,
    MailItem.facts,
)
_OUTBOX = (
    Outbox.case_id,
    Outbox.key,
    Outbox.kind,
    Outbox.state,
    Outbox.sent_at,
    Outbox.ended_at,
    Outbox.updated_at,
)
_SIGNAL = (Signal.id, Signal.case_number, Signal.name, Signal.value, Signal.source, Signal.at)


def load_events(s: Session, cases: list[Case]) -> dict[int, list[CaseEvent]]:
    """Every event of these cases: their mail, the engineer's signals, and what the
    outbox sent or the engineer rejected (three queries for any number of cases)."""
    by_id: dict[int, list[CaseEvent]] = defaultdict(list)
    ids = [c.id for c in cases]
    numbers = {c.number: c.id for c in cases}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for m in s.execute(
            select(*_MAIL).where(MailItem.case_id.in_(chunk), MailItem.status == "case")
        ):
            by_id[m.case_id].append(mail_event(m))
        for r in s.execute(
            select(*_OUTBOX).where(
                Outbox.case_id.in_(chunk),
                Outbox.audience == "customer",
                Outbox.state.in_([OutboxState.SENT, OutboxState.REJECTED]),
            )
        ):
            at = r.sent_at if r.state == OutboxState.SENT else (r.ended_at or r.updated_at)
            if at is not None:
                what = "sent" if r.state == OutboxState.SENT else "rejected"
                by_id[r.case_id].append(OutboxEvent(at, r.key, what, r.kind))
    chunked = list(numbers)
    for start in range(0, len(chunked), 500):
        for sig in s.execute(
            select(*_SIGNAL).where(Signal.case_number.in_(chunked[start : start + 500]))
        ):
            by_id[numbers[sig.case_number]].append(
                SignalEvent(sig.at, sig.at, f"{sig.id:012d}", sig.name, sig.value, sig.source)
            )
    return by_id


def mail_event(m: MailItem | Row[Any]) -> MailEvent:
    """A filed message as an event (from its row, or its ORM object: the same names)."""
    facts = m.facts or {}
    return MailEvent(
        at=m.at or m.sent_at or m.ingested_at,
        seen_at=m.ingested_at,
        order=m.message_id or f"{m.folder}/{m.item_key}",
        direction=m.direction,
        automatic=m.automatic,
        message_id=m.message_id,
        sender=m.sender or "",
        sender_name=facts.get("sender_name", ""),
        subject=m.subject or "",
        people=tuple(facts.get("people", ())),
        references=tuple(facts.get("references", ())),
        facts=facts,
    )


def snapshot(case: Case) -> FoldedCase:
    """The stored row as a fold checkpoint."""
    values = {name: getattr(case, name) for name in FOLDED_FIELDS}
    for name in _LIST_FIELDS:
        values[name] = list(values[name] or [])
    values["customer_messages"] = values["customer_messages"] or 0
    values["contact_preference"] = values["contact_preference"] or "email"
    values["premier"] = bool(values["premier"])
    values["collaboration"] = bool(values["collaboration"])
    return FoldedCase(**values)


def refold(app: App, s: Session, cases: Iterable[Case], now: datetime) -> None:
    """Fold these cases again and bring their outbox and next step up to date (in the
    caller's transaction). The folded rows are written in one UPDATE for all of them:
    the ORM's unit of work, comparing and writing each case's changed columns on its
    own, was most of the fold's time."""
    from mailbot.outbound.outbox import retire_pointless
    from mailbot.planning import refresh_due_many

    cases = list(cases)
    if not cases:
        return
    events = load_events(s, cases)
    replayed: list[int] = []
    notes_rows: list[dict] = []
    rows: list[dict] = []
    for case in cases:
        try:
            row, notes = _fold_case(app, case, events.get(case.id, []), now)
        except Exception as exc:  # one case never stops another
            from mailbot import trouble

            case.needs_fold = False  # tried again when its timeline next changes
            trouble.flag(app, s, case.id, trouble.describe("reading the timeline", exc), now)
            continue
        rows.append(row)
        if case.folded_from is None:
            replayed.append(case.id)
        notes_rows += [
            dict(
                case_id=case.id,
                at=n.at,
                kind=n.kind,
                rule=n.rule,
                reason=n.reason,
                data={},
                source=n.source or "fold",
            )
            for n in notes
        ]
    for start in range(0, len(replayed), 500):
        s.execute(
            delete(Event).where(
                Event.case_id.in_(replayed[start : start + 500]), Event.source.is_not(None)
            )
        )
    insert_rows(s, Event, notes_rows)
    update_rows(s, Case, rows)
    retire_pointless(app, s, cases, now)
    refresh_due_many(s, cases, app.calendar, app.settings.policy)


def _fold_case(
    app: App, case: Case, evs: list[CaseEvent], now: datetime
) -> tuple[dict, list[Note]]:
    """The case row after its events (every folded column, whether it changed or not, so
    all rows of a chunk have the same keys and go in one statement), and the notes."""
    org, policy = app.settings.organisation, app.settings.policy
    row: dict = {"id": case.id}
    if case.folded_from is not None:
        base = case.folded_from
        evs = [e for e in evs if e.seen_at > base]
        folded, notes = fold(evs, app.calendar, policy, org, start=snapshot(case))
        row["folded_from"] = max([base, *(e.seen_at for e in evs)])
    else:
        folded, notes = fold(evs, app.calendar, policy, org)
        row["folded_from"] = None
    for name in FOLDED_FIELDS:
        value = getattr(folded, name)
        if name in _KEPT_WHEN_EMPTY and not value:
            value = getattr(case, name)
        row[name] = value
    if row["phase_started_at"] is None:
        row["phase_started_at"] = row["opened_at"]
    row["needs_fold"] = False
    row["updated_at"] = now
    return row, notes


def refold_pending(app: App, now: datetime) -> int:
    """Fold every case marked ``needs_fold`` (new mail, signals, a crash before the fold
    of the last cycle), in chunks in id order (so their timeline lines get the same ids
    on every database); returns how many."""
    done = 0
    with app.sessions() as s:
        while True:
            cases = list(
                s.scalars(
                    select(Case).where(Case.needs_fold.is_(True)).order_by(Case.id).limit(500)
                )
            )
            if not cases:
                break
            refold(app, s, cases, now)
            s.commit()
            done += len(cases)
    return done
