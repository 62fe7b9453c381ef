"""Pull new mail from the watched folders, run the filter chain, file, and remember the
sync state per folder only after every change of the batch is committed (at-least-once
delivery from the mailbox, exactly-once filing thanks to the (folder, key) constraint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.ingest import pipeline
from mailbot.ingest.context import IngestContext
from mailbot.ingest.filing import file_message
from mailbot.ingest.message import BODY_BYTES, HEAD_BYTES, IncomingMessage, UnreadableMessage
from mailbot.mailbox.port import ItemRef
from mailbot.planning import refresh_due
from mailbot.store.models import Case, MailItem, Quarantine, SyncState

log = structlog.get_logger("mailbot.ingest")
BATCH = 500


@dataclass
class SyncReport:
    folder: str
    new: int = 0
    filed_to_cases: int = 0
    quarantined: int = 0
    cases: set[int] = field(default_factory=set)


def _context(app: App, s: Session, now: datetime) -> IngestContext:
    def case_for_message_id(ids: list[str]) -> int | None:
        return s.scalar(
            select(MailItem.case_id)
            .where(MailItem.message_id.in_(ids[:50]), MailItem.case_id.is_not(None))
            .limit(1)
        )

    def case_id_for_number(number: str) -> int | None:
        return s.scalar(select(Case.id).where(Case.number == number))

    return IngestContext(app.settings, case_for_message_id, case_id_for_number, now)


def _quarantine(s: Session, ref: ItemRef, reason: str, now: datetime) -> None:
    s.add(Quarantine(folder=ref.folder, item_key=ref.key, reason=reason[:500], at=now))
    log.warning("message quarantined", folder=ref.folder, key=ref.key, reason=reason[:200])


def _ingest_one(
    app: App, s: Session, ctx: IngestContext, ref: ItemRef, now: datetime, report: SyncReport
) -> int | None:
    """Read, filter and file one message; returns the id of the case it touched."""
    box = app.mailbox
    try:
        head = box.read(ref, HEAD_BYTES)
        msg = IncomingMessage.from_head(ref, head, lambda: box.read(ref, BODY_BYTES), now)
        pipeline.run(msg, ctx)
    except UnreadableMessage as exc:
        _quarantine(s, ref, f"unreadable: {exc}", now)
        report.quarantined += 1
        return None
    except Exception as exc:  # a parser or filter choking on odd mail must not stop the daemon
        _quarantine(s, ref, f"could not be processed: {type(exc).__name__}", now)
        report.quarantined += 1
        return None
    item, case = file_message(s, msg, app.calendar, app.settings, now)
    report.new += 1
    if case is not None:
        report.filed_to_cases += 1
        report.cases.add(case.id)
        return case.id
    return None


def _finish_batch(app: App, s: Session, case_ids: set[int]) -> None:
    for case_id in case_ids:
        case = s.get(Case, case_id)
        if case is not None:
            refresh_due(s, case, app.calendar, app.settings.policy)
    s.commit()


def sync_folder(app: App, folder: str, now: datetime) -> SyncReport:
    report = SyncReport(folder)
    with app.sessions() as s:
        st = s.get(SyncState, folder)
        changes = app.mailbox.changes(folder, st.state if st else None)
        if changes.items:
            known = set(s.scalars(select(MailItem.item_key).where(MailItem.folder == folder)))
            known |= set(s.scalars(select(Quarantine.item_key).where(Quarantine.folder == folder)))
            fresh = sorted((r for r in changes.items if r.key not in known), key=lambda r: r.key)
            ctx = _context(app, s, now)
            for start in range(0, len(fresh), BATCH):
                batch = fresh[start : start + BATCH]
                counts = (report.new, report.filed_to_cases, report.quarantined)
                try:
                    touched = {_ingest_one(app, s, ctx, ref, now, report) for ref in batch}
                    _finish_batch(app, s, touched - {None})
                except Exception:
                    # One message broke filing: redo this batch one message per commit so
                    # the rest is filed and the culprit is quarantined, not lost.
                    s.rollback()
                    report.new, report.filed_to_cases, report.quarantined = counts
                    for ref in batch:
                        try:
                            _finish_batch(
                                app, s, {_ingest_one(app, s, ctx, ref, now, report)} - {None}
                            )
                        except Exception as exc:
                            s.rollback()
                            _quarantine(s, ref, f"filing failed: {type(exc).__name__}", now)
                            report.quarantined += 1
                            s.commit()
        if st is None:
            st = SyncState(folder=folder, state=changes.state, updated_at=now)
            s.add(st)
        elif st.state != changes.state:
            st.state, st.updated_at = changes.state, now
        s.commit()
    if report.new or report.quarantined:
        log.info(
            "folder synced",
            folder=folder,
            new=report.new,
            filed=report.filed_to_cases,
            quarantined=report.quarantined,
        )
    return report


def sync_all(app: App, now: datetime) -> list[SyncReport]:
    # Sent Items first: a customer's reply to something we sent then finds its thread.
    f = app.settings.mailbox.folders
    return [sync_folder(app, folder, now) for folder in (f.sent, f.inbox)]
