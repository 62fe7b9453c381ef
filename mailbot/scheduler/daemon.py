"""``mailbot run``: three APScheduler jobs until SIGTERM/SIGINT.

- sync (every poll interval): new mail from Inbox and Sent Items is filed;
- evaluate (every poll interval): approvals read, due steps planned and drafted;
- release (every minute): approved sends that are due go out (business time only).

Each job is a single instance and shares the cycle lock, so they never overlap. A job
that fails is logged and retried at its next run; the daemon goes on.
"""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime

import structlog

from mailbot.app import App
from mailbot.cycle import evaluate_step, release_step, summary_step, sync_step

log = structlog.get_logger("mailbot.daemon")


def _guarded(name: str, step, app: App):  # type: ignore[no-untyped-def]
    def job() -> None:
        try:
            report = step(app)
            log.debug("job done", job=name, **vars(report))
        except Exception as exc:
            from mailbot.errors import describe

            log.error("job failed; retried at its next run", job=name, error=describe(exc)[1])

    return job


def run(app: App, stop: threading.Event | None = None) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    stop = stop or threading.Event()
    scheduler = BackgroundScheduler(
        timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )
    poll = app.settings.poll_seconds
    first = datetime.now(UTC)
    scheduler.add_job(
        _guarded("sync", sync_step, app), "interval", seconds=poll, id="sync", next_run_time=first
    )
    scheduler.add_job(
        _guarded("evaluate", evaluate_step, app),
        "interval",
        seconds=poll,
        id="evaluate",
        next_run_time=first,
    )
    scheduler.add_job(
        _guarded("release", release_step, app),
        "interval",
        seconds=min(poll, 60),
        id="release",
        next_run_time=first,
    )

    from apscheduler.triggers.cron import CronTrigger

    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    at = app.settings.summary_time
    scheduler.add_job(
        _guarded("summary", summary_step, app),
        CronTrigger(
            day_of_week=days[app.settings.summary_weekday],
            hour=at.hour,
            minute=at.minute,
            timezone=app.calendar.tz,
        ),
        id="summary",
    )

    def _stop(signum, _frame):  # type: ignore[no-untyped-def]
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    log.info("mailbot running", poll_seconds=poll, folders=len(app.watched_folders))
    try:
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)  # lets a running job finish its commit
        app.engine.dispose()
        log.info("stopped")
