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
    """Read the message again; returns "filed" or "quarantined again: <reason>"."""
    with app.sessions() as s:
        row = _row(s, row_id)
        ref, retries = _ref(row), row.retries + 1
        s.delete(row)
        s.flush()
        report = SyncReport(ref.folder)
        try:
            _process(app, s, [ref], now, report)  # files, or quarantines anew; commits
        except MailboxError:
            s.rollback()
            raise
        except Exception as exc:  # unreadable or filing broke: keep the row, count the try
            s.rollback()
            row = _row(s, row_id)
            row.retries, row.retried_at = retries, now
            row.reason = f"retry failed: {type(exc).__name__}"[:500]
            s.commit()
            log.warning("quarantine retry failed", id=row_id, retries=retries)
            return f"quarantined again: {row.reason}"
        again = s.scalars(
            select(Quarantine).where(
                Quarantine.folder == ref.folder,
                Quarantine.item_key == ref.key,
                Quarantine.dropped_at.is_(None),
            )
        ).first()
        if again is not None:
            again.retries, again.retried_at = retries, now
            s.commit()
            log.warning("quarantine retry failed", id=again.id, retries=retries)
            return f"quarantined again (now {again.id}): {again.reason}"
    refold_pending(app, now)
    log.info("quarantine retry filed the message", id=row_id, retries=retries)
    return "filed"


def drop(app: App, row_id: int, now: datetime) -> None:
    with app.sessions() as s:
        _row(s, row_id).dropped_at = now
        s.commit()
    log.info("quarantined message dropped", id=row_id)
