"""When the weekly summary is due, plan it once per ISO week (a deterministic outbox key,
so a restart, a second process or a cron tick can never plan it twice), and turn the
planned row into a ready-to-send message held for the next business window (R23)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.app import App
from mailbot.domain.kinds import OutboxState
from mailbot.store.models import Outbox
from mailbot.store.repo import record

REPORT_KIND = "summary_weekly"


def scheduled_at(app: App, now: datetime) -> datetime:
    """This week's summary time (the configured weekday and time, engineer's zone)."""
    cal = app.calendar
    local = cal.local(now)
    monday = local.date() - timedelta(days=local.weekday())
    return cal.at_local(
        monday + timedelta(days=app.settings.summary_weekday), app.settings.summary_time
    )


def plan_summary_if_due(app: App, now: datetime) -> bool:
    s_ = app.settings
    if not s_.summary_enabled or not s_.summary_recipients:
        return False
    at = scheduled_at(app, now)
    if now < at:
        return False
    year, week, _ = app.calendar.local(at).isocalendar()
    return plan_report(
        app,
        f"summary-{year}-w{week:02d}",
        list(s_.summary_recipients),
        at,
        now,
        reason="weekly summary for your managers",
        note=f"weekly summary planned for {len(s_.summary_recipients)} manager(s)",
    )


def plan_report(
    app: App,
    key: str,
    recipients: list[str],
    at: datetime,
    now: datetime,
    reason: str,
    note: str,
    kind: str = REPORT_KIND,
    facts: dict | None = None,
) -> bool:
    """Insert one case-less report row under ``key`` unless it exists; False when it
    does (or another process inserted it first: the key is unique)."""
    with app.sessions() as s:
        if s.scalar(select(Outbox.id).where(Outbox.key == key)):
            return False
        s.add(
            Outbox(
                key=key,
                case_id=None,
                kind=kind,
                audience="manager",
                rule="R29",
                reason=reason,
                state=OutboxState.PLANNED,
                subject="",
                recipients={"to": recipients, "cc": []},
                facts=facts or {},
                due_at=at,
                created_at=now,
                updated_at=now,
            )
        )
        record(s, None, now, "planned", note, "R29", key=key)
        try:
            s.commit()
        except IntegrityError:  # another process planned it in the meantime
            s.rollback()
            return False
    return True


def materialise_report(
    app: App, s, row: Outbox, now: datetime, report=None, what: str = "weekly summary"
) -> None:  # type: ignore[no-untyped-def]
    """Render the summary into the Approved folder and schedule it (no approval needed:
    it goes to the engineer's own managers, but never outside business time). A team
    summary hands in its ``report`` (mailbot/team/summary.py); else this mailbox's."""
    from mailbot.reports.summary import build_email, gather

    cal = app.calendar
    report = report if report is not None else gather(app, now)
    message = build_email(app, report, now, list(row.recipients.get("to", [])), row.key)
    app.mailbox.save_draft(
        app.settings.mailbox.folders.approved, message, row.key, retry=row.attempts > 1
    )
    row.attempts = 0
    row.subject = str(message["Subject"])
    row.send_at = cal.next_business_time(max(now, row.due_at))
    row.state, row.updated_at = OutboxState.SCHEDULED, now
    record(
        s,
        None,
        now,
        "scheduled",
        f"{what} ready; goes out {cal.local(row.send_at):%a %d %b %H:%M}",
        "R23",
        key=row.key,
    )
