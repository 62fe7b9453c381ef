"""Pull new mail from the watched folders, run the filter chain, file, and remember the
sync state per folder only after every change is committed (at-least-once delivery from
the mailbox, exactly-once filing thanks to the (folder, key) constraint).

Work is done in batches: a batch's headers are parsed first, then everything the filters
need from the database (cases by number, cases by Message-ID) is fetched in two queries,
so the cost per message stays flat however large the mailbox and the database grow.
The folder listing is streamed, so memory does not grow with the folder either.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

import structlog
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.ingest import pipeline
from mailbot.ingest.case_number import find_case_number
from mailbot.ingest.context import IngestContext
from mailbot.ingest.filing import FilingCache, file_message, item_row, mark_for_fold
from mailbot.ingest.message import BODY_BYTES, HEAD_BYTES, IncomingMessage, UnreadableMessage
from mailbot.mailbox.port import ItemRef, MailboxError
from mailbot.store.models import Case, MailItem, Quarantine, SyncState, ThreadWait
from mailbot.timeline import refold_pending

log = structlog.get_logger("mailbot.ingest")
BATCH = 500


@dataclass
class SyncReport:
    folder: str
    new: int = 0
    filed_to_cases: int = 0
    quarantined: int = 0


def _quarantine(s: Session, ref: ItemRef, reason: str, now: datetime) -> None:
    s.add(
        Quarantine(
            folder=ref.folder, item_key=ref.key, locator=ref.locator, reason=reason[:500], at=now
        )
    )
    log.warning("message quarantined", folder=ref.folder, key=ref.key, reason=reason[:200])


def _chunks(items: Iterable[ItemRef], size: int) -> Iterator[list[ItemRef]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _unknown(s: Session, folder: str, chunk: list[ItemRef]) -> list[ItemRef]:
    keys = [r.key for r in chunk]
    known = set(
        s.scalars(
            select(MailItem.item_key).where(MailItem.folder == folder, MailItem.item_key.in_(keys))
        )
    )
    known |= set(
        s.scalars(
            select(Quarantine.item_key).where(
                Quarantine.folder == folder, Quarantine.item_key.in_(keys)
            )
        )
    )
    return sorted((r for r in chunk if r.key not in known), key=lambda r: r.key)


def _read(app: App, ref: ItemRef, seen: datetime) -> IncomingMessage:
    # Only the header block is kept while the batch is prefetched; the body (capped, so a
    # large attachment is never read) is read again only if a filter asks for it. Holding
    # a whole batch of bodies made memory grow with the size of the mailbox.
    head = app.mailbox.read(ref, HEAD_BYTES)
    return IncomingMessage.from_head(
        ref,
        head,
        lambda: app.mailbox.read(ref, BODY_BYTES),
        seen,
        app.mailbox.delivered_at(ref),
    )


def _prefetch(app: App, s: Session, messages: list[IncomingMessage]) -> FilingCache:
    patterns = app.settings.case_patterns
    numbers = {n for m in messages if (n := find_case_number(m.subject, patterns))}
    ids = {i for m in messages for i in m.thread_ids[:20]} | {
        m.message_id for m in messages if m.message_id
    }
    cache = FilingCache()
    cache.by_number.update(_cases_by_number(s, numbers))
    cache.by_message_id.update(_cases_by_message_id(s, ids))
    return cache


def _cases_by_number(s: Session, numbers: set[str]) -> dict[str, int]:
    if not numbers:
        return {}
    return dict(s.execute(select(Case.number, Case.id).where(Case.number.in_(numbers))).all())


def _cases_by_message_id(s: Session, ids: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(list(ids), 500):
        rows = s.execute(
            select(MailItem.message_id, MailItem.case_id).where(
                MailItem.message_id.in_(chunk), MailItem.case_id.is_not(None)
            )
        )
        found.update({mid: cid for mid, cid in rows})
    return found


def _process(app: App, s: Session, refs: list[ItemRef], now: datetime, report: SyncReport) -> None:
    """Parse, filter and file one batch; quarantine what cannot be read; let parked mail
    join what this batch brought. Messages are filed in time order, so a reply usually
    finds its parent filed already (and when not, it waits for it, within the batch too)."""
    messages = []
    app.mailbox.prefetch(refs)
    for ref in refs:
        try:
            messages.append(_read(app, ref, now))
        except UnreadableMessage as exc:
            _quarantine(s, ref, f"unreadable: {exc}", now)
            report.quarantined += 1
    messages.sort(key=lambda m: (m.when, m.ref.key))
    cache = _prefetch(app, s, messages)
    ctx = IngestContext(app.settings, cache.case_for_message_ids, cache.by_number.get, now)
    with s.no_autoflush:
        for msg in messages:
            try:
                pipeline.run(msg, ctx)
            except Exception as exc:  # a filter choking on odd mail must not stop the daemon
                _quarantine(s, msg.ref, f"could not be processed: {type(exc).__name__}", now)
                report.quarantined += 1
                continue
            _, case_id = file_message(s, msg, app.settings, now, cache)
            msg.forget_body()  # a batch holds headers, not bodies
            report.new += 1
            if case_id is not None:
                report.filed_to_cases += 1
        s.flush()
        cache.flush(s, refs[0].folder if refs else "")
    report.filed_to_cases += unpark(app, s, cache.arrived, now)
    s.commit()


def unpark(app: App, s: Session, arrived: set[str], now: datetime) -> int:
    """File the parked messages that waited for what just arrived (a Message-ID now in a
    case, a case that opened), then what waited for those, and so on. Each is read and
    filtered again, now that its case is known; returns how many joined a case."""
    joined = 0
    pending = set(arrived)
    joined_items: list[int] = []
    joined_cases: set[int] = set()
    while pending:
        chunk = sorted(pending)[:500]
        pending.difference_update(chunk)
        waits = dict(
            s.execute(
                select(ThreadWait.mail_item_id, ThreadWait.locator).where(ThreadWait.ref.in_(chunk))
            ).all()
        )
        if not waits:
            continue
        items = list(
            s.scalars(
                select(MailItem)
                .where(MailItem.id.in_(list(waits)), MailItem.status == "parked")
                .order_by(MailItem.at, MailItem.item_key)
            )
        )
        refs = [ItemRef(i.folder, i.item_key, waits[i.id]) for i in items]
        with contextlib.suppress(MailboxError):
            app.mailbox.prefetch(refs)
        for item, ref in zip(items, refs, strict=True):
            case_id, message_id = _join(app, s, item, ref, now)
            if case_id is not None:
                joined += 1
                joined_items.append(item.id)
                joined_cases.add(case_id)
                if message_id:
                    pending.add(message_id)
    # the joined messages' waits go, and their cases are marked to fold, in a few
    # statements for all of them (later rounds skip them: they are no longer parked)
    for start in range(0, len(joined_items), 500):
        chunk = joined_items[start : start + 500]
        s.execute(delete(ThreadWait).where(ThreadWait.mail_item_id.in_(chunk)))
    mark_for_fold(s, joined_cases)
    return joined


def _join(
    app: App, s: Session, item: MailItem, ref: ItemRef, now: datetime
) -> tuple[int | None, str | None]:
    """Run the filters again on a parked message, now with its case findable."""
    ctx = IngestContext(
        app.settings,
        lambda ids: next(iter(_cases_by_message_id(s, set(ids)).values()), None),
        lambda number: _cases_by_number(s, {number}).get(number),
        now,
    )
    try:
        msg = _read(app, ref, item.ingested_at)
        pipeline.run(msg, ctx)
    except (UnreadableMessage, MailboxError) as exc:
        log.warning("parked message cannot be read again", folder=item.folder, why=str(exc)[:100])
        return None, None
    if msg.case_id is None:
        return None, None
    row = item_row(msg, app.settings, msg.case_id, "case")
    for name in ("case_id", "status", "direction", "automatic", "facts", "at", "subject"):
        setattr(item, name, row[name])
    item.ingested_at = now  # when mailbot learned it is case mail (R19 compares with this)
    return msg.case_id, msg.message_id


def sync_folder(app: App, folder: str, now: datetime) -> SyncReport:
    report = SyncReport(folder)
    with app.sessions() as s:
        st = s.get(SyncState, folder)
        changes = app.mailbox.changes(folder, st.state if st else None)
        for chunk in _chunks(changes.items, BATCH):
            fresh = _unknown(s, folder, chunk)
            if not fresh:
                continue
            counts = (report.new, report.filed_to_cases, report.quarantined)
            try:
                _process(app, s, fresh, now, report)
            except MailboxError:
                s.rollback()  # the mailbox failed, not the mail: retry the folder next time
                raise
            except Exception:
                # Filing broke on one message: redo the batch one message per commit, so
                # the rest is filed and the culprit quarantined, not lost.
                s.rollback()
                report.new, report.filed_to_cases, report.quarantined = counts
                for ref in fresh:
                    try:
                        _process(app, s, [ref], now, report)
                    except Exception as exc:
                        s.rollback()
                        _quarantine(s, ref, f"filing failed: {type(exc).__name__}", now)
                        report.quarantined += 1
                        s.commit()
        st = s.get(SyncState, folder)
        if st is None:
            s.add(SyncState(folder=folder, state=changes.state, updated_at=now))
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


_FROZEN: list[bool] = []


def _freeze_startup_objects() -> None:
    """Once per process, before the first sync: move everything alive now (modules,
    SQLAlchemy's and pydantic's classes, the config, the app) out of the cyclic
    garbage collector's reach. Its full collections, triggered by the objects each
    message allocates, walked all of them again each time: a tenth of a tick. Objects
    freed by reference counting still go; only a cycle among these (an app replaced
    by a reload) stays, once."""
    if not _FROZEN:
        gc.freeze()
        _FROZEN.append(True)


def sync_all(app: App, now: datetime) -> list[SyncReport]:
    """Read every watched folder, then fold the cases whose timeline grew. The folder
    order does not matter: case state comes from the fold, in time order."""
    _freeze_startup_objects()
    f = app.settings.mailbox.folders
    reports = [sync_folder(app, folder, now) for folder in (f.inbox, f.sent)]
    refold_pending(app, now)
    return reports
