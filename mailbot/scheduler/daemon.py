"""``mailbot run``: three APScheduler jobs until SIGTERM/SIGINT.

- sync (every poll interval): new mail from Inbox and Sent Items is filed;
- evaluate (every poll interval): approvals read, due steps planned and drafted;
- release (every minute): approved sends that are due go out (business time only).

Each job is a single instance and shares the cycle lock, so they never overlap. A job
that fails is logged and retried at its next run; the daemon goes on.

Signals, as a service manager sends them: SIGTERM and SIGINT let the running step
finish, then stop. SIGHUP (a closed terminal, a log rotation, ``systemctl reload``)
reloads the config: the new one is validated first; a bad one is logged and the old one
kept. Under systemd (``Type=notify``) the daemon reports READY, RELOADING and STOPPING,
and pings the watchdog each time a job ends, so a step that hangs gets it restarted.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from mailbot.app import App
from mailbot.cycle import evaluate_step, release_step, summary_step, sync_step
from mailbot.systemd import Notifier

log = structlog.get_logger("mailbot.daemon")


def _guarded(name: str, step, app: App, notify: Notifier):  # type: ignore[no-untyped-def]
    def job() -> None:
        try:
            report = step(app)
            log.debug("job done", job=name, **vars(report))
        except Exception as exc:
            from mailbot.errors import describe

            log.error("job failed; retried at its next run", job=name, error=describe(exc)[1])
        finally:
            notify("WATCHDOG=1")  # the scheduler is not stuck: a job came back

    return job


def run(
    app: App,
    stop: threading.Event | None = None,
    reload: Callable[[], App] | None = None,
) -> None:
    """Run until ``stop`` is set (SIGTERM/SIGINT). ``reload`` builds a new App from the
    config file (SIGHUP); when it raises, the old App goes on."""
    stop = stop or threading.Event()
    hup = threading.Event()
    notify = Notifier()

    def _stop(signum, _frame):  # type: ignore[no-untyped-def]
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    def _hup(_signum, _frame):  # type: ignore[no-untyped-def]
        log.info("reload requested", signal="SIGHUP")
        hup.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        if hasattr(signal, "SIGHUP"):  # not on Windows
            signal.signal(signal.SIGHUP, _hup)
    stop_metrics = _serve_metrics(app)
    try:
        while True:
            scheduler = _start(app, notify)
            notify("READY=1")
            log.info("mailbot running", poll_seconds=app.settings.poll_seconds)
            while not stop.is_set() and not hup.is_set():
                stop.wait(1.0)
            if stop.is_set():
                notify("STOPPING=1")
                scheduler.shutdown(wait=True)  # lets a running job finish its commit
                break
            hup.clear()
            notify("RELOADING=1")
            scheduler.shutdown(wait=True)  # the running step finishes under the old config
            fresh = _reloaded(reload)
            if fresh is not None:
                app.engine.dispose()
                app = fresh
                stop_metrics()
                try:
                    stop_metrics = _serve_metrics(app)
                except Exception as exc:  # the new address cannot be served: run without
                    log.error("metrics not served", error=str(exc))
                    stop_metrics = lambda: None  # noqa: E731
                log.info("config reloaded")
    finally:
        stop_metrics()
        app.engine.dispose()
        log.info("stopped")


def _reloaded(reload: Callable[[], App] | None) -> App | None:
    if reload is None:
        log.warning("reload requested, but this daemon was started without a config file")
        return None
    try:
        return reload()
    except Exception as exc:
        from mailbot.errors import describe

        log.error("new config refused; the old one stays in force", error=describe(exc)[1])
        return None


def _serve_metrics(app: App) -> Callable[[], None]:
    address = app.settings.metrics_address
    if not address:
        return lambda: None
    from mailbot import health, metrics
    from mailbot.views import status

    def healthy() -> tuple[bool, str]:
        v = health.verdict(app.settings.data_dir, app.settings.poll_seconds)
        return v.healthy, v.why

    try:
        stop = metrics.serve(address, lambda: status.figures(app), healthy)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        from mailbot.config import ConfigError

        raise ConfigError(
            app.settings.source,
            "daemon.metrics_address",
            f"cannot listen on {address}: {exc.strerror or exc}",
        ) from None
    log.info("metrics served", address=address)
    return stop


def _start(app: App, notify: Notifier):  # type: ignore[no-untyped-def]
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(
        timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )
    poll = app.settings.poll_seconds
    first = datetime.now(UTC)
    scheduler.add_job(
        _guarded("sync", sync_step, app, notify),
        "interval",
        seconds=poll,
        id="sync",
        next_run_time=first,
    )
    scheduler.add_job(
        _guarded("evaluate", evaluate_step, app, notify),
        "interval",
        seconds=poll,
        id="evaluate",
        next_run_time=first,
    )
    scheduler.add_job(
        _guarded("release", release_step, app, notify),
        "interval",
        seconds=min(poll, 60),
        id="release",
        next_run_time=first,
    )

    from apscheduler.triggers.cron import CronTrigger

    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    at = app.settings.summary_time
    scheduler.add_job(
        _guarded("summary", summary_step, app, notify),
        CronTrigger(
            day_of_week=days[app.settings.summary_weekday],
            hour=at.hour,
            minute=at.minute,
            timezone=app.calendar.tz,
        ),
        id="summary",
    )

    scheduler.start()
    return scheduler
