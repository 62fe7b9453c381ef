"""A team worker: serves the mailboxes whose leases it holds, one cycle each in turn.

Each round: heartbeat, renew and rebalance the leases (mailbot/team/leases.py), then for
each held mailbox renew every lease (one query) and run one full cycle
(:func:`mailbot.cycle.run_cycle`) on that mailbox's :class:`~mailbot.app.App`, built once
and kept while the lease is held: its engine is the shared engine scoped to the
mailbox's schema, and its ``send_fence`` is the lease's fence, so a send is claimed
only under the current token. A lease found lost drops its mailbox at once; a database
that cannot be reached drops them all (nothing can be claimed without it anyway) and the
next round takes them back. One mailbox's failure never stops another's.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from mailbot import clock
from mailbot.app import App, build, open_mailbox
from mailbot.config import Settings
from mailbot.mailbox.port import MailboxPort
from mailbot.team.config import TeamSettings
from mailbot.team.leases import (
    Fence,
    Lease,
    LeaseLost,
    Leases,
    ensure_team_tables,
    new_worker_id,
)
from mailbot.team.summary import TeamSummaries
from mailbot.team.tenancy import prepare_mailbox, schema_for, scoped, shared_engine

log = structlog.get_logger("mailbot.team")


@dataclass
class RoundReport:
    served: list[str] = field(default_factory=list)  # engineer ids whose cycle ran
    failed: list[str] = field(default_factory=list)  # engineer ids whose cycle raised
    dropped: list[str] = field(default_factory=list)  # leases found lost this round
    database_down: bool = False


class TeamWorker:
    """One process's share of the team. ``open_mailbox`` replaces the configured adapter
    (tests hand in their own; in production each engineer's config names it)."""

    def __init__(
        self,
        team: TeamSettings,
        engine: Engine | None = None,
        worker_id: str | None = None,
        open_mailbox: Callable[[Settings], MailboxPort] | None = None,
    ) -> None:
        self.team = team
        self.engine = engine or shared_engine(team.database_url)
        self.leases = Leases(self.engine, worker_id or new_worker_id(), team.lease_seconds)
        # one summary per manager, from the reports mailbox (mailbot/team/summary.py)
        self.summaries = TeamSummaries(team, self.engine, self.worker_id, open_mailbox)
        self.team = team = self.summaries.team
        self.open_mailbox = open_mailbox
        self.by_schema = {schema_for(eid): eid for eid in team.engineers}
        self.apps: dict[str, tuple[Lease, App]] = {}  # schema → (lease, app)
        self._ready = False
        self._rebalanced = clock.now()  # the last heartbeat and rebalance
        self.stopping = threading.Event()  # set: the round ends after the current mailbox
        # called before each mailbox: proof of progress for a watchdog (systemd's)
        self.progress: Callable[[], None] = lambda: None

    @property
    def worker_id(self) -> str:
        return self.leases.worker_id

    def round(self) -> RoundReport:
        report = RoundReport()
        try:
            if not self._ready:
                ensure_team_tables(self.engine)
                self._ready = True
            held = self._rebalance()
        except DBAPIError as exc:
            return self._database_down(report, exc)
        self._keep_only({lease.mailbox: lease for lease in held}, report)
        for lease in held:
            if self.stopping.is_set():
                break
            try:
                current = {lease.mailbox: lease for lease in self._between_mailboxes()}
            except DBAPIError as exc:
                return self._database_down(report, exc)
            self._keep_only(current, report)
            if lease.mailbox not in current:
                continue
            self._serve(lease, report)
        if not self.stopping.is_set():
            self.summaries.round(report)
        return report

    def _rebalance(self) -> list[Lease]:
        self._rebalanced = clock.now()
        return self.leases.rebalance(self.by_schema)

    def _between_mailboxes(self) -> list[Lease]:
        """Renew every lease; and when the round has run for a third of a lease since
        the last rebalance, heartbeat and rebalance again. A round is as long as its
        mailboxes' cycles (a worker alone at start-up takes every mailbox and migrates
        each; 200 mailboxes take minutes): rebalancing only between rounds let others
        find this worker dead, and kept a worker that had just started, or that should
        take over a killed one's mailboxes, waiting for whole rounds (the team drill,
        bench/team.py). Mailboxes taken here are served from the next round on."""
        self.progress()
        elapsed = (clock.now() - self._rebalanced).total_seconds()
        if not 0 <= elapsed < self.team.lease_seconds / 3:
            return self._rebalance()
        return self.leases.renew_all()

    def _serve(self, lease: Lease, report: RoundReport) -> None:
        from mailbot.cycle import run_cycle
        from mailbot.errors import describe

        eid = self.by_schema[lease.mailbox]
        try:
            app = self._app(lease)
            # every log line of the cycle names the mailbox (its id, not an address)
            with structlog.contextvars.bound_contextvars(mailbox=eid):
                run_cycle(app)
            report.served.append(eid)
        except LeaseLost:
            report.failed.append(eid)  # the next renewal finds the lease gone and drops it
            log.warning("lease ran out before a send; left to the next holder", mailbox=eid)
        except Exception as exc:  # one mailbox never stops another
            report.failed.append(eid)
            log.error("mailbox cycle failed", mailbox=eid, error=describe(exc)[1])

    def _app(self, lease: Lease) -> App:
        known = self.apps.get(lease.mailbox)
        if known is not None and known[0] == lease:
            return known[1]
        settings = self.team.engineers[self.by_schema[lease.mailbox]]
        prepare_mailbox(self.engine, lease.mailbox)
        fence = self.leases.fence_for(lease)
        inner = (self.open_mailbox or open_mailbox)(settings)
        app = build(
            settings,
            mailbox=FencedMailbox(inner, fence),  # type: ignore[arg-type]
            migrate=False,
            engine=scoped(self.engine, lease.mailbox),
        )
        app.send_fence = fence
        self.apps[lease.mailbox] = (lease, app)
        return app

    def _keep_only(self, current: dict[str, Lease], report: RoundReport) -> None:
        """Forget every app whose lease is no longer this worker's (or changed token)."""
        for schema, (lease, _app) in list(self.apps.items()):
            if current.get(schema) != lease:
                del self.apps[schema]
                report.dropped.append(self.by_schema[schema])
                log.warning("lease lost; mailbox dropped", mailbox=self.by_schema[schema])

    def _database_down(self, report: RoundReport, exc: Exception) -> RoundReport:
        from mailbot.errors import describe

        report.database_down = True
        self._keep_only({}, report)
        log.error("database unreachable; every mailbox dropped", error=describe(exc)[1])
        return report

    def stop(self) -> None:
        """A clean stop: leases given back, so the other workers take over at once."""
        self.apps.clear()
        self.summaries.stop()
        with contextlib.suppress(DBAPIError):  # else the leases run out by themselves
            self.leases.leave()
        self.engine.dispose()


class FencedMailbox:
    """A held mailbox's adapter: a send goes to the real adapter only before the lease's
    deadline (:meth:`Fence.before_send`); everything else passes straight through."""

    def __init__(self, inner: MailboxPort, fence: Fence) -> None:
        self.inner, self.fence = inner, fence

    def send(self, ref, key: str) -> None:  # type: ignore[no-untyped-def]
        self.fence.before_send()
        self.inner.send(ref, key)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


def run(team: TeamSettings) -> None:
    """``mailbot team run``: rounds every poll interval until SIGTERM or SIGINT (the
    running mailbox's cycle finishes first)."""
    worker = TeamWorker(team)
    stopping = worker.stopping

    def _stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    from mailbot.systemd import Notifier

    # Under systemd (Type=notify): ready after the first round, and the watchdog pinged
    # before each mailbox and after each round, so a worker stuck in one mailbox's cycle
    # is restarted (its mailboxes were taken over already, within the lease time).
    notify = Notifier()
    worker.progress = lambda: notify("WATCHDOG=1")
    log.info("team worker started", worker=worker.worker_id, mailboxes=len(team.engineers))
    first = True
    try:
        while not stopping.is_set():
            report = worker.round()
            notify("READY=1" if first else "WATCHDOG=1")
            first = False
            log.info(
                "team round",
                served=len(report.served),
                failed=len(report.failed),
                dropped=len(report.dropped),
                database_down=report.database_down,
            )
            # A round must come back well within a lease, or the leases lapse.
            stopping.wait(min(team.poll_seconds, team.lease_seconds / 3))
    finally:
        notify("STOPPING=1")
        worker.stop()
