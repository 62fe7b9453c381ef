"""One full cycle: sync → recover → approvals → evaluate → draft → release.

The daemon runs these steps as scheduler jobs; ``mailbot tick`` runs one cycle. Steps
never overlap: a thread lock inside the process and a file lock in the data directory
across processes (a cron ``tick`` next to a running daemon waits its turn)."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog

from mailbot import clock, health, metrics
from mailbot.app import App
from mailbot.ingest.sync import sync_all
from mailbot.outbound import outbox
from mailbot.reports.schedule import plan_summary_if_due
from mailbot.retention import purge_expired
from mailbot.signals import apply_pending

_THREAD_LOCK = threading.Lock()
log = structlog.get_logger("mailbot.cycle")


@contextlib.contextmanager
def _timed(step: str) -> Iterator[None]:
    """One log line per step with its duration (the operator's view of a cycle, and
    what bench/tick.py splits a tick by)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - start
        log.info("cycle step", step=step, seconds=round(seconds, 4))
        metrics.step_seconds(step, seconds)


@contextlib.contextmanager
def _watched(app: App, step: str) -> Iterator[None]:
    """Record how the step ended, for /healthz and `mailbot status` (mailbot.health)."""
    try:
        yield
    except Exception as exc:
        from mailbot.errors import describe

        health.mark(app.settings.data_dir, step, False, describe(exc)[1])
        raise
    health.mark(app.settings.data_dir, step, True)


@contextlib.contextmanager
def exclusive(app: App) -> Iterator[None]:
    """The cycle lock: steps of this process and of any other on this machine (a cron
    tick beside the daemon, a CLI command that files mail) never overlap."""
    with _THREAD_LOCK:
        if app.send_fence is not None:
            # A team worker's mailbox: its lease is the lock across processes. A worker
            # stopped (SIGSTOP) mid-cycle keeps its file lock for as long as it is
            # stopped, and the next holder would wait on it for ever, its other
            # mailboxes with it (the team drill froze every worker this way).
            yield
            return
        path = app.settings.data_dir / ".mailbot.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(path):
            yield


# Where flock itself is missing (some network file systems) filelock falls back to a
# lock file of its own: there, as on Windows, the package takes the lock.
_NO_FLOCK = {errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL}


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """The cycle lock across processes: ``flock`` on ``path``, the lock the filelock
    package takes there (and the idle tick's check, mailbot/idle.py), without importing
    the package (a hundredth of a second at every start). The package stays for
    Windows, which has no fcntl, and for a file system without flock."""
    fd = _flocked(path)
    if fd is None:
        # filelock: the same lock on Linux, macOS and Windows (no fcntl there)
        from filelock import FileLock

        with FileLock(str(path), mode=0o600):
            yield
        return
    import fcntl

    try:
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _flocked(path: Path) -> int | None:
    """A descriptor of ``path`` holding its ``flock`` (waiting for it), or None where
    there is no flock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:
        os.close(fd)
        if exc.errno in _NO_FLOCK:
            return None
        raise
    except BaseException:
        os.close(fd)
        raise
    return fd


@dataclass
class CycleReport:
    new_messages: int = 0
    quarantined: int = 0
    planned: int = 0
    materialised: int = 0
    sent: int = 0


def sync_step(app: App) -> CycleReport:
    with exclusive(app), _watched(app, "sync"), _timed("sync"):
        reports = sync_all(app, clock.now())
    return CycleReport(
        new_messages=sum(r.new for r in reports), quarantined=sum(r.quarantined for r in reports)
    )


def evaluate_step(app: App) -> CycleReport:
    with exclusive(app), _watched(app, "evaluate"):
        now = clock.now()
        with _timed("evaluate"):
            apply_pending(app, now)  # signals, and any case a crash left unfolded
            purge_expired(app, now)
            plan_summary_if_due(app, now)
            # Approvals and interrupted sends are the release step's business (it runs
            # right after, and on its own every minute in the daemon): not read twice.
            planned = outbox.evaluate(app, now)
        with _timed("draft"):
            made = outbox.materialise(app, now)
    return CycleReport(planned=planned, materialised=made)


def release_step(app: App) -> CycleReport:
    with exclusive(app), _watched(app, "release"), _timed("release"):
        now = clock.now()
        outbox.recover(app, now)
        outbox.scan_approvals(app, now)
        sent = outbox.release(app, now)
        outbox.withdraw_dead(app, now)  # Approved then holds only mail that will go
        outbox.evaluate(app, now)  # a stale or sent draft may make the next step due now
        outbox.materialise(app, now)  # and reminders a blocked or closed send produced
    return CycleReport(sent=sent)


def summary_step(app: App) -> CycleReport:
    """The weekly summary's cron job (evaluation also checks, for `mailbot tick` users)."""
    with exclusive(app):
        now = clock.now()
        planned = int(plan_summary_if_due(app, now))
        made = outbox.materialise(app, now)
    return CycleReport(planned=planned, materialised=made)


def run_cycle(app: App) -> CycleReport:
    a, b, c = sync_step(app), evaluate_step(app), release_step(app)
    return CycleReport(a.new_messages, a.quarantined, b.planned, b.materialised + 0, c.sent)
