"""R28: keep thread data no longer than the configured retention after closure.

A purged case keeps its number, state and dates (so the timeline still says what
happened and when) and the (folder, key) of each message (so the mailbox is never
filed again); subjects, names, addresses, quoted words and reasons are erased."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update

from mailbot.app import App
from mailbot.domain.kinds import CaseState
from mailbot.store.models import Case, Event, MailItem, Outbox
from mailbot.store.repo import record

log = structlog.get_logger("mailbot.retention")


def purge_expired(app: App, now: datetime) -> int:
    cutoff = now - timedelta(days=app.settings.policy.retention_days_after_closure)
    purged = 0
    with app.sessions() as s:
        cases = s.scalars(
            select(Case)
            .where(
                Case.state == CaseState.CLOSED, Case.closed_at < cutoff, Case.purged_at.is_(None)
            )
            .limit(500)
        ).all()
        for case in cases:
            s.execute(
                update(MailItem)
                .where(MailItem.case_id == case.id)
                .values(subject="", sender=None, facts={}, message_id=None)
            )
            s.execute(
                update(Event)
                .where(Event.case_id == case.id)
                .values(reason="(erased after the retention period)", data={})
            )
            s.execute(
                update(Outbox)
                .where(Outbox.case_id == case.id)
                .values(subject="", recipients={}, facts={}, reason="(erased)")
            )
            case.subject = ""
            case.customer_name = case.customer_email = case.tam_email = None
            case.customer_cc = []
            case.recent_message_times = []
            case.upset_why = case.promise_words = case.named_date_words = None
            case.last_customer_message_id = case.thread_references = None
            case.pause_why = None
            case.purged_at = now
            case.folded_from = now  # its erased mail can no longer be replayed
            record(
                s,
                case.id,
                now,
                "purged",
                f"thread data erased {app.settings.policy.retention_days_after_closure} days after closure",
                "R28",
            )
            purged += 1
        s.commit()
    if purged:
        log.info("purged closed cases", count=purged)
    return purged
