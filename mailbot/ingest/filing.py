"""File a filtered message: record it as an event of its case, or park it until what it
needs to join is known. Nothing here moves a case through its lifecycle: that is the
timeline fold's job (:mod:`mailbot.timeline`), run over all of a case's events in the
order they happened, after the batch is filed. So the result never depends on which
folder, batch or directory entry was read first.

Every message ends in exactly one place: filed into a case (``status = case``), parked
(``parked``: a reply whose parent is not known yet, or a case number whose case has not
opened yet, with one :class:`~mailbot.store.models.ThreadWait` per thing it waits for),
not case mail (``none``), or quarantined (unreadable, elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.domain.kinds import CaseState, Direction
from mailbot.ingest.message import IncomingMessage
from mailbot.store.bulk import insert_rows
from mailbot.store.models import Case, MailItem, ThreadWait

CASE_REF = "case:"  # a parked message waiting for the case of this number to open


@dataclass
class FilingCache:
    """What a batch needs to know about the database, fetched once per batch and kept
    current as the batch files messages (new cases, new Message-IDs)."""

    by_number: dict[str, int] = field(default_factory=dict)
    by_message_id: dict[str, int] = field(default_factory=dict)
    items: list[dict] = field(default_factory=list)  # mail_items rows of the batch
    waits: dict[str, tuple[list[str], str]] = field(default_factory=dict)  # key → (refs, locator)
    touched: set[int] = field(default_factory=set)  # cases whose timeline grew
    arrived: set[str] = field(default_factory=set)  # refs parked mail may be waiting for
    new_cases: list[dict] = field(default_factory=list)  # cases opened by the batch

    def open_case(self, row: dict) -> int:
        """A stand-in id (negative, so it can never be a real one) for a case the batch
        opens: the cases are inserted together in :meth:`flush`, and every stand-in is
        replaced by the real id before anything is written that refers to it. One
        INSERT per new case was a fifth of filing."""
        self.new_cases.append(row)
        return -len(self.new_cases)

    def _insert_new_cases(self, s: Session) -> None:
        # Inserted in one statement, then their ids read back by number (unique): asking
        # the INSERT to return the ids in the rows' order made SQLite insert them one
        # statement each. Inserted in order, they get the same ids either way.
        rows, self.new_cases = self.new_cases, []
        insert_rows(s, Case, rows)
        numbers = [row["number"] for row in rows]
        ids: dict[str, int] = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            ids.update(s.execute(select(Case.number, Case.id).where(Case.number.in_(chunk))).all())
        if len(ids) != len(rows):
            raise RuntimeError("the database holds fewer new cases than were inserted")
        real = {-(i + 1): ids[number] for i, number in enumerate(numbers)}
        for item in self.items:
            if item["case_id"] is not None and item["case_id"] < 0:
                item["case_id"] = real[item["case_id"]]
        self.touched = {real.get(c, c) for c in self.touched}
        for index in (self.by_number, self.by_message_id):
            for key, case_id in index.items():
                if case_id < 0:
                    index[key] = real[case_id]

    def case_for_message_ids(self, ids: list[str]) -> int | None:
        return next((self.by_message_id[i] for i in ids if i in self.by_message_id), None)

    def flush(self, s: Session, folder: str) -> None:
        """Write the batch's rows, the parked ones' waits, and mark the cases to fold,
        all in the caller's transaction (the fold itself may come after a crash)."""
        if self.new_cases:
            self._insert_new_cases(s)
        insert_rows(s, MailItem, self.items)
        self.items.clear()
        if self.waits:
            keys = list(self.waits)
            ids = dict(
                s.execute(
                    select(MailItem.item_key, MailItem.id).where(
                        MailItem.folder == folder, MailItem.item_key.in_(keys)
                    )
                ).all()
            )
            rows = [
                {"mail_item_id": ids[key], "ref": ref[:998], "locator": locator[:1000]}
                for key, (refs, locator) in self.waits.items()
                for ref in refs
            ]
            insert_rows(s, ThreadWait, rows)
            self.waits.clear()
        mark_for_fold(s, self.touched)


def mark_for_fold(s: Session, case_ids: set[int]) -> None:
    ids = list(case_ids)
    for start in range(0, len(ids), 500):
        s.execute(update(Case).where(Case.id.in_(ids[start : start + 500])).values(needs_fold=True))


def opens_a_case(msg: IncomingMessage) -> bool:
    """R01: a case number and the support address, from the customer or the engineer, in
    mail a person wrote."""
    return bool(
        msg.case_number
        and msg.has_support_cc
        and not msg.automatic
        and msg.direction in (Direction.CUSTOMER, Direction.ENGINEER)
    )


def item_row(msg: IncomingMessage, settings: Settings, case_id: int | None, status: str) -> dict:
    """The mail_items row: what the timeline needs of the message, never its body."""
    facts = dict(msg.facts)
    if case_id is not None or status == "parked":
        org = settings.organisation
        facts["sender_name"] = msg.sender[0][:200]
        facts["people"] = [a for _, a in msg.addresses("To", "Cc") if org.is_external(a)][:20]
        facts["references"] = msg.references[-20:]
        facts["support_cc"] = msg.has_support_cc
    return dict(
        folder=msg.ref.folder,
        item_key=msg.ref.key,
        message_id=msg.message_id,
        case_id=case_id,
        status=status,
        subject=msg.subject,
        sender=msg.sender[1] or None,
        sent_at=msg.date,
        at=msg.when,
        ingested_at=msg.seen_at,
        direction=msg.direction or Direction.OTHER,
        automatic=msg.automatic,
        facts=facts,
    )


def file_message(
    s: Session, msg: IncomingMessage, settings: Settings, now: datetime, cache: FilingCache
) -> tuple[dict, int | None]:
    """Queue the item's row (and open its case when it is the first mail of one); returns
    the row and the case id (None when the message is parked or not case mail)."""
    case_id = msg.case_id
    if case_id is None and opens_a_case(msg):
        number = msg.case_number
        case_id = cache.open_case(
            dict(
                number=number,
                subject=msg.subject,
                state=CaseState.NEW,
                opened_at=msg.when,
                phase_started_at=msg.when,
                customer_cc=[],
                premier=False,
                customer_messages=0,
                updated_at=now,
                needs_fold=True,
            )
        )
        cache.by_number[number] = case_id
        cache.arrived.add(CASE_REF + number)
    waits = _waits_for(msg) if case_id is None else []
    status = "case" if case_id is not None else ("parked" if waits else "none")
    item = item_row(msg, settings, case_id, status)
    cache.items.append(item)  # inserted in one statement per batch
    if case_id is not None:
        cache.touched.add(case_id)
        if msg.message_id:
            cache.by_message_id.setdefault(msg.message_id, case_id)
            cache.arrived.add(msg.message_id)
    elif waits:
        cache.waits[msg.ref.key] = (waits, msg.ref.locator)
    return item, case_id


def _waits_for(msg: IncomingMessage) -> list[str]:
    """What a message of no known case may still join: the messages it replies to, and
    the case its number names (mail with a number but without the support address, or
    automatic mail, read before the mail that opens the case)."""
    refs = list(msg.thread_ids[:20])
    number = msg.case_number or msg.facts.get("case_number_seen")
    if number:
        refs.append(CASE_REF + number)
    return refs
