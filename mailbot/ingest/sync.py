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
from mailbot.store.bulk import update_rows
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
    # a whole batch of bodies made memory grow with the size of the mailbox. Where the
    # head read was the whole file (most mail, under HEAD_BYTES), it is the body as well
    # (the same bytes a second read would give) and the file is not opened again.
    read_prefix = getattr(app.mailbox, "read_prefix", None)
    if read_prefix is not None:
        head, whole = read_prefix(ref, HEAD_BYTES)
    else:
        head, whole = app.mailbox.read(ref, HEAD_BYTES), False
    return IncomingMessage.from_head(
        ref,
        head,
        (lambda: head) if whole else (lambda: app.mailbox.read(ref, BODY_BYTES)),
        seen,
        app.mailbox.delivered_at(ref),
    )


def _prefetch(
    app: App, s: Session, messages: list[IncomingMessage], thread_depth: int | None = 20
) -> FilingCache:
    """The cases these messages can refer to: by the case number in their subject, and
    by the Message-IDs they reply to (the nearest ``thread_depth`` of them, or all)."""
    patterns = app.settings.case_patterns
    numbers = {n for m in messages if (n := find_case_number(m.subject, patterns))}
    ids = {i for m in messages for i in m.thread_ids[:thread_depth]} | {
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
    filtered again, now that its case is known; returns how many joined a case.

    A round (up to 500 of what arrived) reads its parked messages' headers first and
    fetches the cases they refer to in two queries, like a batch of new mail; a message
    that joins is added to those lookups at once, so a reply parked in the same round
    finds it. The joined rows are written in one statement per round, before the next
    round looks for what is still parked."""
    joined_items: list[int] = []
    joined_cases: set[int] = set()
    pending = set(arrived)
    while pending:
        chunk = sorted(pending)[:500]
        pending.difference_update(chunk)
        joins = _join_round(app, s, _parked_for(s, chunk), now)
        update_rows(s, MailItem, [row for row, _ in joins])
        for row, message_id in joins:
            joined_items.append(row["id"])
            joined_cases.add(row["case_id"])
            if message_id:
                pending.add(message_id)
    # the joined messages' waits go, and their cases are marked to fold, in a few
    # statements for all of them (later rounds skip them: they are no longer parked)
    for start in range(0, len(joined_items), 500):
        chunk = joined_items[start : start + 500]
        s.execute(delete(ThreadWait).where(ThreadWait.mail_item_id.in_(chunk)))
    mark_for_fold(s, joined_cases)
    return len(joined_items)


def _parked_for(s: Session, refs: list[str]) -> list[tuple[ItemRef, int, datetime]]:
    """The parked messages waiting for any of ``refs``, in time order: where each is,
    its row id, and when mailbot first saw it."""
    waits = dict(
        s.execute(
            select(ThreadWait.mail_item_id, ThreadWait.locator).where(ThreadWait.ref.in_(refs))
        ).all()
    )
    if not waits:
        return []
    items = s.execute(
        select(MailItem.id, MailItem.folder, MailItem.item_key, MailItem.ingested_at)
        .where(MailItem.id.in_(list(waits)), MailItem.status == "parked")
        .order_by(MailItem.at, MailItem.item_key)
    )
    return [(ItemRef(i.folder, i.item_key, waits[i.id]), i.id, i.ingested_at) for i in items]


def _join_round(
    app: App, s: Session, parked: list[tuple[ItemRef, int, datetime]], now: datetime
) -> list[tuple[dict, str | None]]:
    """Read the parked messages again and run the filters, now with their cases
    findable; returns the changed columns (with ``id``) and the Message-ID of each
    that joined a case."""
    if not parked:
        return []
    with contextlib.suppress(MailboxError):
        app.mailbox.prefetch([ref for ref, _, _ in parked])
    messages: list[tuple[IncomingMessage, int]] = []
    for ref, item_id, seen in parked:
        try:
            messages.append((_read(app, ref, seen), item_id))
        except (UnreadableMessage, MailboxError) as exc:
            _unreadable_again(ref, exc)
    cache = _prefetch(app, s, [m for m, _ in messages], thread_depth=None)
    ctx = IngestContext(app.settings, cache.case_for_message_ids, cache.by_number.get, now)
    joins = []
    for msg, item_id in messages:
        try:
            pipeline.run(msg, ctx)
        except (UnreadableMessage, MailboxError) as exc:
            _unreadable_again(msg.ref, exc)
            continue
        finally:
            msg.forget_body()
        if msg.case_id is None:
            continue
        row = item_row(msg, app.settings, msg.case_id, "case")
        changed = {name: row[name] for name in _JOINED_COLUMNS}
        # ingested_at: when mailbot learned it is case mail (R19 compares with this)
        joins.append(({"id": item_id, **changed, "ingested_at": now}, msg.message_id))
        if msg.message_id:
            cache.by_message_id[msg.message_id] = msg.case_id
    return joins


def _unreadable_again(ref: ItemRef, exc: Exception) -> None:
    """A parked message that cannot be read now stays parked (tried again when more of
    its thread arrives)."""
    log.warning("parked message cannot be read again", folder=ref.folder, why=str(exc)[:100])


# what a parked message's row learns when it joins its case
_JOINED_COLUMNS = ("case_id", "status", "direction", "automatic", "facts", "at", "subject")


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
