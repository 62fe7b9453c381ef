"""What the engineer can do with quarantined mail (``mailbot quarantine``): list it, look
at its headers, read it again through the whole filter chain, or drop it.

A retry is recorded on the row (``retries``, ``retried_at``) and in the log. A message
that fails again stays quarantined with the new reason; one that is read is filed as if
it had just arrived, in its place in time. A dropped row is kept (marked), so the
message is not read again by a later sync."""

from __future__ import annotations

from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as modern
from typing import Any

import structlog
from sqlalchemy import select

from mailbot.app import App
from mailbot.ingest.message import HEAD_BYTES
from mailbot.ingest.sync import SyncReport, _process
from mailbot.mailbox.port import ItemRef, MailboxError
from mailbot.store.models import Quarantine
from mailbot.timeline import refold_pending

log = structlog.get_logger("mailbot.quarantine")


class NotQuarantined(LookupError):
    """No such quarantined message (or it was dropped)."""


def listing(app: App) -> list[dict[str, Any]]:
    with app.sessions() as s:
        rows = s.scalars(
            select(Quarantine).where(Quarantine.dropped_at.is_(None)).order_by(Quarantine.id)
        )
        return [
            {
                "id": r.id,
                "folder": r.folder,
                "key": r.item_key,
                "reason": r.reason,
                "at": r.at.isoformat(),
                "retries": r.retries,
                "retried_at": r.retried_at.isoformat() if r.retried_at else None,
            }
            for r in rows
        ]


def _row(s: Any, row_id: int) -> Quarantine:
    row = s.get(Quarantine, row_id)
    if row is None or row.dropped_at is not None:
        raise NotQuarantined(f"no quarantined message {row_id} (see `mailbot quarantine list`)")
    return row


def _ref(row: Quarantine) -> ItemRef:
    if not row.locator:
        raise NotQuarantined(
            f"quarantined message {row.id} was recorded by an older mailbot without its "
            "location; find it by its key in the folder, or drop it"
        )
    return ItemRef(row.folder, row.item_key, row.locator)


def headers(app: App, row_id: int) -> list[tuple[str, str]]:
    """The message's header fields, decoded; never its body."""
    with app.sessions() as s:
        ref = _ref(_row(s, row_id))
    head = app.mailbox.read(ref, HEAD_BYTES)
    parsed = BytesHeaderParser(policy=modern).parsebytes(head)
    out = []
    for name, value in parsed.raw_items():
        try:
            out.append((name, str(parsed.policy.header_factory(name, value))))
        except Exception:  # a header too broken to decode is shown as it came
            out.append((name, str(value)))
    return out


def retry(app: App, row_id: int, now: datetime) -> str:
    """Read the message again; returns "filed" or "quarantined again: <reason>". The row
    keeps its id while the message stays quarantined. Runs under the cycle lock, like
    the steps of the daemon and of a cron tick."""
    from mailbot.cycle import exclusive

    with exclusive(app), app.sessions() as s:
        row = _row(s, row_id)
        ref, retries, first_at = _ref(row), row.retries + 1, row.at
        s.delete(row)
        s.flush()
        report = SyncReport(ref.folder)
        try:
            _process(app, s, [ref], now, report)  # files, or quarantines anew; commits
        except MailboxError:
            s.rollback()
            raise
        except Exception as exc:  # unreadable, or filing broke: the row is back
            s.rollback()
            row = _row(s, row_id)
            reason = f"retry failed: {type(exc).__name__}"
        else:
            row = s.scalars(
                select(Quarantine).where(
                    Quarantine.folder == ref.folder,
                    Quarantine.item_key == ref.key,
                    Quarantine.dropped_at.is_(None),
                )
            ).first()
            if row is None:
                refold_pending(app, now)
                log.info("quarantine retry filed the message", id=row_id, retries=retries)
                return "filed"
            reason = row.reason
            if row.id != row_id:  # quarantined anew under another id: keep the engineer's
                s.delete(row)
                s.flush()
                row = Quarantine(
                    id=row_id,
                    folder=ref.folder,
                    item_key=ref.key,
                    locator=ref.locator,
                    at=first_at,
                )
                s.add(row)
        row.reason, row.retries, row.retried_at = reason[:500], retries, now
        s.commit()
    log.warning("quarantine retry failed", id=row_id, retries=retries)
    return f"quarantined again: {reason}"


def drop(app: App, row_id: int, now: datetime) -> None:
    from mailbot.cycle import exclusive

    with exclusive(app), app.sessions() as s:
        _row(s, row_id).dropped_at = now
        s.commit()
    log.info("quarantined message dropped", id=row_id)
