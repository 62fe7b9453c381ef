"""The team drill: Maildir mailboxes on one PostgreSQL, served by three real
``mailbot team run`` processes that are killed (SIGKILL, then restarted) and paused
(SIGSTOP beyond the lease, then SIGCONT) at random while customers write and the
engineers approve drafts. Then it lets the workers settle and counts what must hold:
every approved draft transmitted exactly once (duplicates and lost sends both 0), every
mailbox served, each mailbox's sends carrying only its own cases; and what it costs:
takeover times, the spread of mailboxes over workers, the idle cost per mailbox poll.

Used by tests/team/test_drill.py (a handful of mailboxes) and bench/team.py (about 200).

Why the counting looks the way it does:

- **Transmissions, not files.** The pickup transmitter writes ``<key>.eml`` and a
  second transmission of the same key overwrites the file, so counting files would hide
  exactly the duplicate the drill looks for. An inotify watch on every pickup directory
  counts each file that lands there (a rename or a write), so a key that lands twice is a
  duplicate however close together the two were.
- **Business time.** ``MAILBOT_NOW`` fixes the clock of one command (it does not move),
  and ``mailbot team run`` refuses it: workers run on the real clock. So the team's
  calendar is all day, every day (as in tests/drill.py), and sends go out whenever the
  drill runs (a public holiday of the calendar's country would hold them).
- **Takeover** is read from the lease table: from the signal to the moment every lease
  the victim held names another worker, unexpired.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from mailbot import clock
from mailbot.team.leases import ensure_team_tables
from tests import helpers
from tests.drill import ALL_DAY, _key_of
from tests.team.test_worker import team_doc

ROOT = Path(__file__).resolve().parents[2]
# Final outbox states that mean "legitimately not sent": the engineer was told (failed:
# an unconfirmed send) or the draft no longer fits (the customer wrote again, ...).
EXCUSED = ("failed", "stale", "superseded", "rejected", "cancelled")


def case_number(mailbox: int, i: int) -> str:
    """16 digits, unique per mailbox and case, so a send names whose case it is."""
    return f"26113{mailbox:04d}{i:07d}"


@dataclass
class Team:
    root: Path
    url: str
    ids: list[str]
    team_file: Path
    lease: int

    def maildir(self, eid: str) -> Path:
        return self.root / "mail" / eid

    def pickup(self, eid: str) -> Path:
        return self.root / "outgoing" / eid


def write_team(root: Path, url: str, mailboxes: int, lease: int, poll: int) -> Team:
    """A team file with ``mailboxes`` engineers on Maildirs under ``root`` (as
    tests/team/test_worker.py writes them; the calendar is all day, every day, and the
    send rate limit out of the way)."""
    ids = [f"e{i:03d}" for i in range(mailboxes)]
    doc = team_doc(root, url, tuple(ids))
    doc["team"].update(lease_seconds=lease, poll_seconds=poll)
    doc["defaults"].update(calendar=ALL_DAY, policy={"rate_limit_per_minute": 1000})
    team = Team(root, url, ids, helpers.write_toml(root / "team.toml", doc), lease)
    for eid in ids:
        for sub in ("cur", "new", "tmp"):
            (team.maildir(eid) / sub).mkdir(parents=True, exist_ok=True)
        team.pickup(eid).mkdir(parents=True, exist_ok=True)
    return team


class PickupWatch:
    """Counts every file that lands in the pickup directories (inotify, through
    inotify_simple), per key: a second transmission of a key overwrites ``<key>.eml``
    but is still an event here."""

    def __init__(self, team: Team) -> None:
        from inotify_simple import INotify, flags

        self.inotify = INotify()
        mask = flags.CLOSE_WRITE | flags.MOVED_TO
        self.by_wd = {self.inotify.add_watch(team.pickup(eid), mask): eid for eid in team.ids}
        self.landed: Counter[tuple[str, str]] = Counter()  # (mailbox, key) → transmissions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._count(self.inotify.read(timeout=500))
        self._count(self.inotify.read(timeout=0))

    def _count(self, events) -> None:  # type: ignore[no-untyped-def]
        for event in events:
            name = event.name
            if name.endswith(".eml") and not name.startswith("."):
                self.landed[(self.by_wd[event.wd], name[: -len(".eml")])] += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.inotify.close()


@dataclass
class Worker:
    """One ``mailbot team run`` process; its log (JSON lines) goes to a file."""

    proc: subprocess.Popen
    log: Path
    stopped: bool = False

    @classmethod
    def start(cls, team: Team, n: int) -> Worker:
        log = team.root / f"worker-{n}.log"
        env = {k: v for k, v in os.environ.items() if k != "MAILBOT_NOW"}
        with open(log, "ab") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mailbot.cli", "team", "run", "--team", str(team.team_file)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        return cls(proc, log)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def end(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGCONT)
                self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@dataclass
class DrillReport:
    mailboxes: int = 0
    cases: int = 0
    approved: int = 0
    transmitted: int = 0
    duplicate_sends: int = 0
    lost_sends: int = 0
    excused: Counter = field(default_factory=Counter)  # approved, not sent, and why
    kills: int = 0
    stops: int = 0
    takeovers: list[float] = field(default_factory=list)  # seconds, one per mailbox moved
    served_again: list[float] = field(default_factory=list)  # seconds to its next good cycle
    spread: list[int] = field(default_factory=list)  # mailboxes per live worker
    unserved: list[str] = field(default_factory=list)  # mailboxes without a live lease
    unfiled: list[str] = field(default_factory=list)  # cases never filed where delivered
    crossed: list[str] = field(default_factory=list)  # sends that carry another's data
    claims_twice: int = 0  # outbox rows claimed under two tokens (send_claims)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"{self.mailboxes} mailboxes, {self.cases} cases, {self.kills} SIGKILL, "
            f"{self.stops} SIGSTOP/SIGCONT, {self.seconds:.0f} s",
            f"after a kill or stop, lease held by another worker: {_spread(self.takeovers)}; "
            f"served again (a good cycle there): {_spread(self.served_again)}",
            f"sends: {self.approved} approved, {self.transmitted} transmitted, "
            f"{self.duplicate_sends} duplicate, {self.lost_sends} lost, "
            f"not sent with a reason: {dict(self.excused) or 0}, "
            f"rows claimed under two tokens: {self.claims_twice}",
            f"mailboxes per worker: {self.spread}; unserved: {len(self.unserved)}; "
            f"cases not filed: {len(self.unfiled)}; sends with another mailbox's data: "
            f"{len(self.crossed)}",
        ]


def _spread(seconds: list[float]) -> str:
    if not seconds:
        return "none measured"
    return (
        f"max {max(seconds):.1f} s, median {statistics.median(seconds):.1f} s "
        f"({len(seconds)} mailboxes)"
    )


def pg_engine(url: str) -> Engine:
    return create_engine(url, pool_size=2, isolation_level="AUTOCOMMIT")


def lease_table(db: Engine) -> dict[str, str | None]:
    """mailbox schema → the worker holding an unexpired lease (None: nobody)."""
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT mailbox, CASE WHEN expires_at > now() THEN worker_id END "
                "FROM mailbot_team.leases"
            )
        )
        return dict(rows.all())


def worker_ids(db: Engine) -> dict[int, str]:
    """pid → worker id (one host)."""
    with db.connect() as conn:
        return dict(conn.execute(text("SELECT pid, worker_id FROM mailbot_team.workers")).all())


def spread(db: Engine, lease: int) -> list[int]:
    """Mailboxes held by each live worker (a heartbeat younger than a lease), zeros
    included, largest first."""
    with db.connect() as conn:
        live = conn.execute(
            text(
                "SELECT worker_id FROM mailbot_team.workers "
                "WHERE heartbeat_at > now() - make_interval(secs => :s)"
            ),
            {"s": lease},
        ).scalars()
        counts = dict.fromkeys(live, 0)
    for holder in lease_table(db).values():
        if holder in counts:
            counts[holder] += 1
    return sorted(counts.values(), reverse=True)


class Drill:
    """The moving parts of one run: the team, its workers, the watch, the database."""

    def __init__(self, team: Team, workers: int = 3, seed: int = 20261207) -> None:
        self.team, self.rng = team, random.Random(seed)
        self.db = pg_engine(team.url)
        ensure_team_tables(self.db)  # the drill reads the lease table from the start
        self.watch = PickupWatch(team)
        self.workers = [Worker.start(team, n) for n in range(workers)]
        self.started_workers = workers
        self.delivered: dict[str, list[str]] = {eid: [] for eid in team.ids}  # case numbers
        self.approved: dict[tuple[str, str], str] = {}  # (mailbox, key) → case number
        self.report = DrillReport(mailboxes=len(team.ids))
        self.began = time.monotonic()

    # --- the world ------------------------------------------------------------------

    def customer_writes(self) -> None:
        """A new case in a random mailbox."""
        m = self.rng.randrange(len(self.team.ids))
        eid = self.team.ids[m]
        number = case_number(m, len(self.delivered[eid]))
        self.delivered[eid].append(number)
        helpers.deliver(
            self.team.maildir(eid),
            helpers.mail(
                sender=f"Customer of {eid} <{eid}.c{len(self.delivered[eid])}@fabrikam.example>",
                to=f"{eid}@contoso.example",
                subject=f"Job {number[-4:]} fails - TrackingID#{number}",
            ),
        )
        self.report.cases += 1

    def approve_all(self) -> int:
        """Every draft awaiting approval moved to Approved (as tests/helpers.approve_all
        does), remembering its key and the case it answers."""
        moved = 0
        for eid in self.team.ids:
            maildir = self.team.maildir(eid)
            for path in helpers.folder_files(maildir, "Mailbot/Awaiting Approval"):
                key = _key_of(path)
                head = path.read_bytes()[:16384]
                found = re.search(rb"TrackingID#(\d{16})", head)
                dest = maildir / ".Mailbot.Approved" / "cur" / path.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.replace(path, dest)
                except FileNotFoundError:  # retired meanwhile (moved to Not sent)
                    continue
                if key is not None:
                    self.approved[(eid, key)] = found.group(1).decode() if found else ""
                moved += 1
        return moved

    # --- chaos ----------------------------------------------------------------------

    def strike(self, stop_for: float, kill: bool | None = None) -> None:
        """SIGKILL (and restart) or SIGSTOP (for ``stop_for`` s, then SIGCONT) a random
        running worker (``kill``: which, else at random), and measure how long its
        mailboxes took to move."""
        running = [w for w in self.workers if w.proc.poll() is None and not w.stopped]
        if not running:
            return
        ids, table = worker_ids(self.db), lease_table(self.db)
        holding = [w for w in running if ids.get(w.proc.pid) in table.values()]
        victim = self.rng.choice(holding or running)  # one that has mailboxes to lose
        wid = ids.get(victim.proc.pid)
        held = [m for m, w in table.items() if wid is not None and w == wid]
        kill = self.rng.random() < 0.5 if kill is None else kill
        t0 = time.monotonic()
        if kill:
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait()
            self.report.kills += 1
            self.workers.remove(victim)
            self.workers.append(Worker.start(self.team, self.started_workers))
            self.started_workers += 1
        else:
            victim.proc.send_signal(signal.SIGSTOP)
            victim.stopped = True
            self.report.stops += 1
        self._await_takeover(held, wid, t0, None if kill else (victim, t0 + stop_for))
        if victim.stopped:
            self._busy(stop_for - (time.monotonic() - t0))
            victim.proc.send_signal(signal.SIGCONT)
            victim.stopped = False

    def _await_takeover(
        self,
        held: list[str],
        victim: str | None,
        t0: float,
        stopped: tuple[Worker, float] | None,
        patience: float = 600,
    ) -> None:
        """Poll until every mailbox the victim held names another worker in the lease
        table (its takeover time), and until a full cycle has ended well there since the
        signal (its health file's last good release: served again). Mail keeps arriving
        meanwhile. A stopped victim (``stopped``) is continued at its time, measured
        or not."""
        wall = clock.now()
        waiting, unserved = set(held), set(held)
        deadline = t0 + patience
        while unserved and time.monotonic() < deadline:
            table = lease_table(self.db)
            now = time.monotonic()
            for m in list(waiting):
                if table.get(m) not in (None, victim):
                    self.report.takeovers.append(now - t0)
                    waiting.discard(m)
            for m in list(unserved - waiting):
                if self._released_since(m.removeprefix("mailbox_"), wall):
                    self.report.served_again.append(now - t0)
                    unserved.discard(m)
            self._busy(0.25)
            if stopped is not None and stopped[0].stopped and time.monotonic() >= stopped[1]:
                stopped[0].proc.send_signal(signal.SIGCONT)
                stopped[0].stopped = False
        if unserved:
            raise AssertionError(
                f"{len(waiting)} mailboxes never taken over, {len(unserved)} never served "
                f"again: {sorted(unserved)}"
            )

    def _released_since(self, eid: str, wall: datetime) -> bool:
        try:
            doc = json.loads((self.team.root / "state" / eid / "health.json").read_text())
            return datetime.fromisoformat(doc["release"]["last_ok"]) > wall
        except (OSError, ValueError, KeyError, TypeError):
            return False  # not written yet, or caught mid-write

    def _busy(self, seconds: float) -> None:
        """Let ``seconds`` pass while customers write and engineers approve."""
        end = time.monotonic() + max(seconds, 0)
        while time.monotonic() < end:
            if self.rng.random() < self.mail_rate:
                self.customer_writes()
            if self.rng.random() < 0.3:
                self.approve_all()
            time.sleep(min(0.25, max(end - time.monotonic(), 0)))

    mail_rate = 0.5  # chance of a new case per quarter second while busy (a knob)

    def chaos(self, strikes: int, stop_for: float, gap: tuple[float, float]) -> None:
        for _ in range(strikes):
            self._busy(self.rng.uniform(*gap))
            self.strike(stop_for)

    # --- the end --------------------------------------------------------------------

    def settle(self, patience: float = 900, cases: bool = True) -> None:
        """Approve until every delivered case is answered and every approved draft is
        final (sent or excused) (``cases``), with every mailbox leased and the mailboxes
        spread evenly over the workers."""
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            if cases:
                self.approve_all()
            if not self._pending(cases):
                return
            time.sleep(1)
        raise AssertionError("the team did not settle: " + "; ".join(self._pending(cases)))

    def _rows(self) -> dict[tuple[str, str], str]:
        """(mailbox, key) → outbox state, for the approved keys."""
        out: dict[tuple[str, str], str] = {}
        with self.db.connect() as conn:
            for eid in self.team.ids:
                rows = conn.execute(
                    text(f'SELECT key, state FROM "mailbox_{eid}".outbox WHERE audience = :a'),
                    {"a": "customer"},
                )
                out.update(((eid, k), s) for k, s in rows)
        return out

    def _pending(self, cases: bool = True) -> list[str]:
        return (self._pending_cases() if cases else []) + self._pending_leases()

    def _pending_cases(self) -> list[str]:
        pending = []
        rows = self._rows()
        open_ = [k for k in self.approved if rows.get(k) not in ("sent", *EXCUSED)]
        if open_:
            pending.append(f"{len(open_)} approved drafts not final, e.g. {open_[:3]}")
        answered = {(eid, number) for (eid, _key), number in self.approved.items()}
        unanswered = [
            (eid, n) for eid, ns in self.delivered.items() for n in ns if (eid, n) not in answered
        ]
        if unanswered:
            pending.append(f"{len(unanswered)} cases without an approved draft")
        return pending

    def _pending_leases(self) -> list[str]:
        pending = []
        table = lease_table(self.db)
        unserved = [eid for eid in self.team.ids if table.get(f"mailbox_{eid}") is None]
        if unserved:
            pending.append(f"{len(unserved)} mailboxes without a lease")
        low, high = expected_spread(len(self.team.ids), len(self.workers))
        now = spread(self.db, self.team.lease)
        if len(now) != len(self.workers) or not all(low <= n <= high for n in now):
            pending.append(f"mailboxes per worker {now}, not yet {low} to {high} each")
        return pending

    def count(self) -> DrillReport:
        r = self.report
        r.seconds = time.monotonic() - self.began
        time.sleep(1)  # the last inotify events are read
        landed = dict(self.watch.landed)
        rows = self._rows()
        r.approved = len(self.approved)
        r.transmitted = len(landed)
        r.duplicate_sends = sum(n - 1 for n in landed.values())
        for key in self.approved:
            if key in landed:
                continue
            if rows.get(key) in EXCUSED:
                r.excused[rows[key]] += 1
            else:
                r.lost_sends += 1
        table = lease_table(self.db)
        r.unserved = [eid for eid in self.team.ids if table.get(f"mailbox_{eid}") is None]
        r.spread = spread(self.db, self.team.lease)
        r.unfiled = self._unfiled()
        r.crossed = self._crossed()
        with self.db.connect() as conn:
            r.claims_twice = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT mailbox, outbox_id FROM mailbot_team.send_claims"
                    " GROUP BY mailbox, outbox_id HAVING count(DISTINCT token) > 1) t"
                )
            ).scalar()
        return r

    def _unfiled(self) -> list[str]:
        missing = []
        with self.db.connect() as conn:
            for eid, numbers in self.delivered.items():
                filed = set(
                    conn.execute(text(f'SELECT number FROM "mailbox_{eid}".cases')).scalars()
                )
                missing += [f"{eid}:{n}" for n in numbers if n not in filed]
        return missing

    def _crossed(self) -> list[str]:
        """Sends whose sender, recipients or case number belong to another mailbox."""
        crossed = []
        for eid in self.team.ids:
            own = set(self.delivered[eid])
            for path in self.team.pickup(eid).glob("*.eml"):
                msg = message_from_bytes(path.read_bytes())
                numbers = set(re.findall(r"TrackingID#(\d{16})", str(msg["Subject"])))
                people = [a for _, a in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", []))]
                customers = [a for a in people if a.endswith("@fabrikam.example")]
                if (
                    not numbers <= own
                    or f"{eid}@contoso.example" not in str(msg["From"])
                    or any(not a.startswith(f"{eid}.") for a in customers)
                ):
                    crossed.append(f"{eid}:{path.name}")
        return crossed

    # --- idle cost ------------------------------------------------------------------

    def served_everything(self, patience: float = 1800) -> None:
        """Wait until every mailbox is leased and has run a cycle (its schema exists)."""
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            table = lease_table(self.db)
            if all(table.get(f"mailbox_{eid}") for eid in self.team.ids) and self._cycled():
                return
            time.sleep(1)
        raise AssertionError("not every mailbox was served in time")

    def _cycled(self) -> bool:
        """Every mailbox has finished a cycle since its lease (its health file is there)."""
        return all(
            (self.team.root / "state" / eid / "health.json").exists() for eid in self.team.ids
        )

    def idle_cost(self, seconds: float) -> IdleCost:
        """CPU seconds of the workers and database transactions over an idle period,
        divided by the mailbox cycles ("served" in the workers' round lines) run in it."""
        offsets = {w.log: w.log.stat().st_size for w in self.workers}
        cpu0 = sum(w.cpu_seconds() for w in self.workers)
        xact0 = self._xacts()
        time.sleep(seconds)  # the idle period itself is what is measured
        xact1 = self._xacts()
        cpu1 = sum(w.cpu_seconds() for w in self.workers)
        polls = 0
        for log, at in offsets.items():
            with open(log, "rb") as fh:
                fh.seek(at)
                for line in fh:
                    if line.startswith(b"{") and b'"team round"' in line:
                        polls += json.loads(line).get("served", 0)
        return IdleCost(len(self.team.ids), seconds, polls, cpu1 - cpu0, xact1 - xact0 - 1)

    def _xacts(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(
                text(
                    "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                    "WHERE datname = current_database()"
                )
            ).scalar()

    def close(self) -> None:
        for w in self.workers:
            w.end()
        self.watch.close()
        self.db.dispose()


@dataclass
class IdleCost:
    mailboxes: int
    seconds: float
    polls: int  # mailbox cycles run in the period
    cpu: float  # worker CPU seconds in the period
    transactions: int  # database transactions in the period

    def line(self) -> str:
        per = max(self.polls, 1)
        return (
            f"{self.mailboxes:4d} mailboxes: {self.polls} mailbox polls in {self.seconds:.0f} s, "
            f"{1000 * self.cpu / per:.1f} ms CPU and {self.transactions / per:.1f} "
            f"transactions per mailbox poll"
        )


def expected_spread(mailboxes: int, workers: int) -> tuple[int, int]:
    return mailboxes // workers, math.ceil(mailboxes / workers)
