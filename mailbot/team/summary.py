"""One weekly summary per manager across a team (R29, R30 in team mode).

Engineers are grouped by the manager their signature names (``engineer.manager_email``);
an engineer belongs to the group only when their own summary is on and goes to that
manager (their single-engineer config decides who gets their figures). A manager with
two or more such engineers gets one team summary instead of one per engineer; a manager
with one keeps that engineer's own summary, sent from the engineer's own mailbox.

The team summary is sent from the team's *reports mailbox* (``[reports]`` in the team
file), served like one more tenant: its own schema (``mailbox_reports``), its own lease
with a fencing token, its own outbox. No engineer's drafts or Sent Items ever carry
another engineer's cases, and the engineers' schemas are only read. The outbox row's
key is deterministic per manager and ISO week and unique in that schema, so two workers
or a restart plan it once; it is sent through the usual release path (business time,
the atomic claim with the lease's fence, crash recovery). docs/design.md ("One summary
per manager") gives the reasons.
"""

from __future__ import annotations

import contextlib
import hashlib
import tomllib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import DBAPIError

from mailbot.app import App, build
from mailbot.app import open_mailbox as configured_mailbox
from mailbot.config import ConfigError, Settings, parse
from mailbot.domain.kinds import OutboxState
from mailbot.mailbox.port import MailboxPort
from mailbot.reports.schedule import materialise_report, plan_report, scheduled_at
from mailbot.reports.summary import Report, gather
from mailbot.store.models import Outbox
from mailbot.team.config import TeamSettings, _merge, _refuse_shared
from mailbot.team.leases import Lease, LeaseLost, Leases
from mailbot.team.tenancy import prepare_mailbox, schema_for, scoped

log = structlog.get_logger("mailbot.team")

REPORTS_ID = "reports"  # the reports mailbox's id: its schema, lease and data folder
TEAM_KIND = "summary_team"
RETRY_MINUTES = 5


@dataclass(frozen=True)
class Group:
    """A manager and the engineers whose weekly figures go to them (file order)."""

    manager: str  # lower-case address
    members: tuple[str, ...]


def manager_groups(team: TeamSettings) -> list[Group]:
    """Every manager who gets a team summary: two or more engineers name them."""
    found: dict[str, list[str]] = defaultdict(list)
    for eid, s in team.engineers.items():
        manager = s.engineer.manager_email.lower()
        if s.summary_enabled and manager in {r.lower() for r in s.summary_recipients}:
            found[manager].append(eid)
    return [Group(m, tuple(ids)) for m, ids in sorted(found.items()) if len(ids) >= 2]


def without_team_recipients(team: TeamSettings, groups: list[Group]) -> TeamSettings:
    """The team with each grouped engineer's own summary no longer addressed to the
    manager who gets the team's (no double mail); other recipients keep theirs."""
    drop: dict[str, str] = {eid: g.manager for g in groups for eid in g.members}
    engineers = {
        eid: replace(
            s,
            summary_recipients=tuple(
                r for r in s.summary_recipients if r.lower() != drop.get(eid, "")
            ),
        )
        if eid in drop
        else s
        for eid, s in team.engineers.items()
    }
    return replace(team, engineers=engineers)


def load_reports(team: TeamSettings) -> Settings | None:
    """The reports mailbox's settings: ``[reports]`` of the team file (``engineer`` is
    the sender shown to managers, ``mailbox`` where it is sent from), merged over
    ``[defaults]`` like an engineer's and validated the same way; None without one."""
    source = Path(team.source)
    doc = tomllib.loads(source.read_bytes().decode("utf-8"))
    body = doc.get("reports")
    if body is None:
        return None
    where = f"{source} [reports]"
    if not isinstance(body, dict):
        raise ConfigError(where, "-", "must be a table of config sections")
    if REPORTS_ID in team.engineers:
        raise ConfigError(where, "-", f"engineer id {REPORTS_ID!r} is the reports mailbox's")
    for key in ("data", "database"):
        if key in body:
            raise ConfigError(where, key, "is set by [team] for everyone")
    merged = _merge(doc.get("defaults", {}), body)
    merged["data"] = {"dir": str(team.data_dir / REPORTS_ID)}
    team_section = doc.get("team", {})
    merged["database"] = {
        "url": team_section.get("database_url"),
        "password_env": team_section.get("password_env"),
    }
    settings = parse(merged, file=where, base=source.resolve().parent)
    # the reports mailbox is nobody's own: sharing an address or a Maildir with an
    # engineer would put the team's figures into that engineer's Sent Items
    _refuse_shared({**team.engineers, REPORTS_ID: settings})
    return settings


def summary_key(manager: str, year: int, week: int) -> str:
    """Deterministic per manager and ISO week; the address is hashed (keys reach mail
    headers and logs)."""
    digest = hashlib.sha256(manager.lower().encode()).hexdigest()[:12]
    return f"team-summary-{year}-w{week:02d}-{digest}"


def plan_due(app: App, groups: list[Group], now: datetime) -> int:
    """Plan this week's summary for every manager, once: the key is unique in the
    reports schema, so of two planners one inserts and the other finds it."""
    at = scheduled_at(app, now)
    if now < at or not groups:
        return 0
    year, week, _ = app.calendar.local(at).isocalendar()
    planned = 0
    for g in groups:
        planned += plan_report(
            app,
            summary_key(g.manager, year, week),
            [g.manager],
            at,
            now,
            reason="weekly team summary for a manager",
            note=f"weekly team summary planned for {len(g.members)} engineers",
            kind=TEAM_KIND,
            # the engineers it covers, fixed when planned: a retry renders the same
            facts={"members": list(g.members)},
        )
    return planned


def member_app(engine: Engine, team: TeamSettings, eid: str) -> App:
    """An engineer's data, read-only: their schema and calendar, no mailbox."""
    schema = schema_for(eid)
    prepare_mailbox(engine, schema)
    return build(team.engineers[eid], migrate=False, connect=False, engine=scoped(engine, schema))


def team_report(engine: Engine, team: TeamSettings, members: list[str], now: datetime) -> Report:
    """Each member's figures, each read from that member's schema only."""
    known = [eid for eid in members if eid in team.engineers]
    return Report([gather(member_app(engine, team, eid), now) for eid in known])


def materialise_due(app: App, engine: Engine, team: TeamSettings, now: datetime) -> int:
    """Render planned team summaries into the reports mailbox's Approved folder, held
    for the next business time. The attempt is committed before the draft is saved, so
    a retry after a crash replaces the draft rather than adding a second one."""
    done = 0
    with app.sessions() as s:
        rows = s.scalars(
            select(Outbox)
            .where(
                Outbox.kind == TEAM_KIND,
                Outbox.state == OutboxState.PLANNED,
                or_(Outbox.retry_at.is_(None), Outbox.retry_at <= now),
            )
            .order_by(Outbox.id)
        ).all()
        for row in rows:
            row.attempts += 1
            s.commit()
            try:
                report = team_report(engine, team, list(row.facts.get("members", [])), now)
                materialise_report(app, s, row, now, report, what="weekly team summary")
            except Exception as exc:  # one manager's summary never stops another's
                from mailbot.errors import describe

                s.rollback()
                row.retry_at = now + timedelta(minutes=RETRY_MINUTES)
                s.commit()
                log.warning("team summary not drafted", key=row.key, error=describe(exc)[1])
                continue
            row.retry_at = None
            s.commit()
            done += 1
    return done


def reports_cycle(app: App, engine: Engine, team: TeamSettings, groups: list[Group]) -> int:
    """The reports mailbox's whole cycle: recover an interrupted send, plan, draft, and
    release what is due (the same release path, claim and fence as any send)."""
    from mailbot import clock
    from mailbot.cycle import exclusive
    from mailbot.outbound import outbox

    with exclusive(app):
        now = clock.now()
        outbox.recover(app, now)
        plan_due(app, groups, now)
        materialise_due(app, engine, team, now)
        return outbox.release(app, now)


class TeamSummaries:
    """A worker's part in the team summaries: the reports mailbox under its own lease.

    The lease is held under ``<worker id>/reports``, a name that sends no heartbeat, so
    the reports mailbox is not counted in the engineers' fair shares and the worker's
    rebalancing never gives it back; it is renewed every round and taken over like any
    lease when its holder dies."""

    def __init__(
        self,
        team: TeamSettings,
        engine: Engine,
        worker_id: str,
        open_mailbox: Callable[[Settings], MailboxPort] | None = None,
    ) -> None:
        self.reports = load_reports(team)
        self.groups = manager_groups(team) if self.reports is not None else []
        # what the engineers' own cycles see: no summary to a manager who gets the team's
        self.team = without_team_recipients(team, self.groups)
        self.engine, self.open_mailbox = engine, open_mailbox
        self.leases = Leases(engine, f"{worker_id}/{REPORTS_ID}", team.lease_seconds)
        self.held: tuple[Lease, App] | None = None

    def round(self, report) -> None:  # type: ignore[no-untyped-def]
        """One turn of the reports mailbox, if this worker holds (or can take) it."""
        from mailbot.errors import describe
        from mailbot.team.worker import FencedMailbox

        if self.reports is None or not self.groups:
            return
        try:
            lease = self._lease()
            if lease is None:
                return
            if self.held is None or self.held[0] != lease:
                schema = schema_for(REPORTS_ID)
                prepare_mailbox(self.engine, schema)
                fence = self.leases.fence_for(lease)
                inner = (self.open_mailbox or configured_mailbox)(self.reports)
                app = build(
                    self.reports,
                    mailbox=FencedMailbox(inner, fence),  # type: ignore[arg-type]
                    migrate=False,
                    engine=scoped(self.engine, schema),
                )
                app.send_fence = fence
                self.held = (lease, app)
            with structlog.contextvars.bound_contextvars(mailbox=REPORTS_ID):
                reports_cycle(self.held[1], self.engine, self.team, self.groups)
            report.served.append(REPORTS_ID)
        except LeaseLost:  # the next renewal finds out whether the lease is gone
            report.failed.append(REPORTS_ID)
            log.warning("lease ran out before a send; left to the next holder", mailbox=REPORTS_ID)
        except DBAPIError as exc:
            self.held = None
            report.failed.append(REPORTS_ID)
            log.error("reports mailbox dropped", mailbox=REPORTS_ID, error=describe(exc)[1])
        except Exception as exc:  # the team summary never stops the engineers' cycles
            report.failed.append(REPORTS_ID)
            log.error("reports cycle failed", mailbox=REPORTS_ID, error=describe(exc)[1])

    def _lease(self) -> Lease | None:
        """The reports lease if its row still names this worker (renewed; a lease that
        ran out but nobody took is still ours, its token current), else a free one."""
        schema = schema_for(REPORTS_ID)
        lease = next((x for x in self.leases.renew_all() if x.mailbox == schema), None)
        if self.held is not None and self.held[0] != lease:
            self.held = None  # taken over: that worker sends from now on
            log.warning("lease lost; mailbox dropped", mailbox=REPORTS_ID)
        return lease or self.leases.acquire(schema)

    def stop(self) -> None:
        """Give the reports lease back (a clean stop), so another worker takes it at once."""
        if self.held is not None:
            lease, self.held = self.held[0], None
            with contextlib.suppress(DBAPIError):  # else it runs out by itself
                self.leases.release(lease)


def preview_command(team: TeamSettings, manager: str, html: str | None) -> int:
    """``mailbot team summary``: what ``manager`` gets this week, from the database only
    (the text alternative, or the page with its chart for a browser)."""
    import sys

    from mailbot import clock
    from mailbot.cli import EXIT_USAGE
    from mailbot.reports.summary import preview, render_text
    from mailbot.team.tenancy import shared_engine

    members = [
        eid
        for eid, s in team.engineers.items()
        if s.summary_enabled and manager.lower() in {r.lower() for r in s.summary_recipients}
    ]
    if not members:
        print(f"no engineer's summary goes to {manager}", file=sys.stderr)
        return EXIT_USAGE
    engine = shared_engine(team.database_url, pool_size=1)
    try:
        now = clock.now()
        report = team_report(engine, team, members, now)
        app = member_app(engine, team, members[0])
        reports = load_reports(team)
        if reports is not None and len(members) > 1:  # shown as the reports mailbox sends it
            app = build(reports, migrate=False, connect=False, engine=app.engine)
        if html:
            Path(html).write_text(preview(app, now, report), encoding="utf-8")
        else:
            print(render_text(app, report))
        return 0
    finally:
        engine.dispose()
