"""Which worker serves which mailbox: lease rows with fencing tokens in PostgreSQL.

A lease is a row per mailbox in ``mailbot_team.leases``: the worker holding it, until
when (database time, so the hosts' clocks do not matter), and a token that grows by one
at every acquisition and never goes back. A worker renews its leases between mailboxes;
one that stops renewing (killed, stopped, cut off) loses them at ``expires_at`` and
another worker takes them with a higher token. The send claim checks the token inside
its own transaction (:func:`fence`): a worker whose token is no longer current cannot
claim a send, however long it was paused. Workers announce themselves with heartbeat
rows; live ones share the mailboxes fairly (:func:`rebalance`).

Why rows and not advisory locks: a session advisory lock lives as long as the session's
TCP connection, and a SIGSTOPped process keeps its connection (the kernel still answers
for it), so its locks would never pass on; docs/design.md ("Leases") has the figures
from ``bench/team_locks.py``.
"""

from __future__ import annotations

import math
import os
import socket
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mailbot.team.tenancy import TEAM_SCHEMA, lock_key

DEFAULT_LEASE_SECONDS = 60
LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a lock_timeout
T = TEAM_SCHEMA

_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {T}",
    f"""CREATE TABLE IF NOT EXISTS {T}.workers (
        worker_id text PRIMARY KEY,
        host text NOT NULL,
        pid integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
    )""",
    f"""CREATE TABLE IF NOT EXISTS {T}.leases (
        mailbox text PRIMARY KEY,
        worker_id text,
        token bigint NOT NULL,
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {T}.send_claims (
        id bigserial PRIMARY KEY,
        mailbox text NOT NULL,
        outbox_id integer NOT NULL,
        token bigint NOT NULL,
        worker_id text NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    f"CREATE INDEX IF NOT EXISTS send_claims_row ON {T}.send_claims (mailbox, outbox_id)",
)


def ensure_team_tables(engine: Engine) -> None:
    """Create the team schema's tables if they are missing (workers starting together
    take turns on an advisory lock; CREATE ... IF NOT EXISTS alone races)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(T)})
        for statement in _DDL:
            conn.exec_driver_sql(statement)


def new_worker_id() -> str:
    """Unique per process start; host and pid make it readable in the tables."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Lease:
    mailbox: str
    token: int


class Leases:
    """One worker's view of the lease table (all times are the database's).

    ``seconds`` (``[team] lease_seconds``) is the promise to the admin: the longest a
    mailbox goes unserved after its worker dies. A lease row and a heartbeat therefore
    last two thirds of it, and every worker renews, heartbeats and looks for free
    mailboxes at least every third (between rounds and between mailboxes): a dead
    worker's rows run out within two thirds, and another worker notices within the
    last third."""

    def __init__(self, engine: Engine, worker_id: str, seconds: int = DEFAULT_LEASE_SECONDS):
        self.engine, self.worker_id, self.seconds = engine, worker_id, seconds
        self.hold = seconds * 2 / 3  # how long a lease row or a heartbeat lasts

    # --- workers ------------------------------------------------------------------

    def heartbeat(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO {T}.workers (worker_id, host, pid) VALUES (:w, :h, :p) "
                    "ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now()"
                ),
                {"w": self.worker_id, "h": socket.gethostname(), "p": os.getpid()},
            )
            # workers that died without a word a day ago are history
            conn.execute(
                text(f"DELETE FROM {T}.workers WHERE heartbeat_at < now() - interval '1 day'")
            )

    def leave(self) -> None:
        """A clean stop: give every lease back and stop counting as live, so the others
        take over at once rather than after the lease time."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"UPDATE {T}.leases SET worker_id = NULL, expires_at = now() "
                    "WHERE worker_id = :w"
                ),
                {"w": self.worker_id},
            )
            conn.execute(
                text(f"DELETE FROM {T}.workers WHERE worker_id = :w"), {"w": self.worker_id}
            )

    def live_workers(self, conn: Connection) -> list[str]:
        """Workers whose heartbeat is younger than a lease (this one included)."""
        rows = conn.execute(
            text(
                f"SELECT worker_id FROM {T}.workers "
                "WHERE heartbeat_at > now() - make_interval(secs => :s) ORDER BY worker_id"
            ),
            {"s": self.hold},
        )
        return [r[0] for r in rows]

    # --- leases -------------------------------------------------------------------

    def acquire(self, mailbox: str) -> Lease | None:
        """Take ``mailbox`` if nobody holds it (never held, released, or expired), with
        the next token; None when another worker's lease is still running."""
        sql = text(
            f"INSERT INTO {T}.leases (mailbox, worker_id, token, acquired_at, expires_at) "
            "VALUES (:m, :w, 1, now(), now() + make_interval(secs => :s)) "
            "ON CONFLICT (mailbox) DO UPDATE SET worker_id = :w, token = leases.token + 1, "
            "acquired_at = now(), expires_at = now() + make_interval(secs => :s) "
            "WHERE leases.worker_id IS NULL OR leases.expires_at <= now() "
            "RETURNING token"
        )
        params = {"m": mailbox, "w": self.worker_id, "s": self.hold}
        try:
            with self.engine.begin() as conn:
                # The row may be locked by a claim in flight (FOR SHARE): wait a little,
                # never long, since this worker's other mailboxes wait meanwhile.
                conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
                token = conn.execute(sql, params).scalar()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                return None
            raise
        return Lease(mailbox, token) if token is not None else None

    def renew(self, lease: Lease) -> bool:
        """Extend the lease; False when it is no longer ours (another worker took it
        with a higher token). A lease that ran out but that nobody took is still ours:
        its token is current, so nothing was sent under another's in between."""
        with self.engine.begin() as conn:
            renewed = conn.execute(
                text(
                    f"UPDATE {T}.leases SET expires_at = now() + make_interval(secs => :s) "
                    "WHERE mailbox = :m AND worker_id = :w AND token = :t"
                ),
                {"m": lease.mailbox, "w": self.worker_id, "t": lease.token, "s": self.hold},
            ).rowcount
        return renewed == 1

    def renew_all(self, conn: Connection | None = None) -> list[Lease]:
        """Renew every lease whose row still names this worker (one query, run between
        mailboxes) and return them: a lease missing from the answer was taken over."""
        if conn is None:
            with self.engine.begin() as own:
                return self.renew_all(own)
        rows = conn.execute(
            text(
                f"UPDATE {T}.leases SET expires_at = now() + make_interval(secs => :s) "
                "WHERE worker_id = :w RETURNING mailbox, token"
            ),
            {"w": self.worker_id, "s": self.hold},
        )
        return sorted((Lease(m, t) for m, t in rows), key=lambda lease: lease.mailbox)

    def release(self, lease: Lease) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"UPDATE {T}.leases SET worker_id = NULL, expires_at = now() "
                    "WHERE mailbox = :m AND worker_id = :w AND token = :t"
                ),
                {"m": lease.mailbox, "w": self.worker_id, "t": lease.token},
            )

    def held(self) -> list[Lease]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT mailbox, token FROM {T}.leases "
                    "WHERE worker_id = :w AND expires_at > now() ORDER BY mailbox"
                ),
                {"w": self.worker_id},
            )
            return [Lease(m, t) for m, t in rows]

    # --- sharing ------------------------------------------------------------------

    def rebalance(self, mailboxes: Iterable[str]) -> list[Lease]:
        """Renew what this worker holds and return the leases it should hold now: at
        most ceil(n / live workers); one given back when it holds more than floor(n /
        live) while a live worker holds fewer (so 10 mailboxes on 3 workers settle as
        4-3-3, not 4-4-2); free or expired mailboxes (one read of the table says which)
        taken up to ceil(n / live). Each
        worker tries free mailboxes in its own order, so workers starting together
        rarely collide. The database is the truth: a lease whose row still names this
        worker has a current token (a takeover would have changed the row)."""
        wanted = sorted(set(mailboxes))
        self.heartbeat()
        with self.engine.begin() as conn:
            mine = self.renew_all(conn)
            live = self.live_workers(conn) or [self.worker_id]
            counts = dict.fromkeys(live, 0)
            taken = {lease.mailbox for lease in mine}
            for mailbox, worker in conn.execute(
                text(
                    f"SELECT mailbox, worker_id FROM {T}.leases "
                    "WHERE worker_id IS NOT NULL AND expires_at > now()"
                )
            ):
                taken.add(mailbox)
                if worker in counts:
                    counts[worker] += 1
        n, k = len(wanted), len(live)
        high, low = math.ceil(n / k), n // k
        keep = [lease for lease in mine if lease.mailbox in wanted]
        give_back = [lease for lease in mine if lease.mailbox not in wanted]
        if len(keep) > high:
            give_back += keep[high:]
            keep = keep[:high]
        elif len(keep) > low and min(counts.values()) < low:
            give_back.append(keep.pop())
        for lease in give_back:
            self.release(lease)
        if len(keep) < high:
            # only what nobody holds: knocking on every held mailbox would cost a
            # statement per mailbox per round (measured by the team drill)
            for mailbox in sorted(set(wanted) - taken, key=self._order):
                if len(keep) >= high:
                    break
                lease = self.acquire(mailbox)
                if lease is not None:
                    keep.append(lease)
        return sorted(keep, key=lambda lease: lease.mailbox)

    def _order(self, mailbox: str) -> int:
        return zlib.crc32(f"{self.worker_id}/{mailbox}".encode())

    # --- the fence ----------------------------------------------------------------

    def fence_for(self, lease: Lease) -> Fence:
        """The check a send claim runs inside its own transaction (``App.send_fence``)."""
        return Fence(lease, self.worker_id, self.seconds)


class LeaseLost(BaseException):
    """This worker may no longer send for the mailbox. A BaseException on purpose, like
    SystemExit: it must pass through every per-case failure boundary (``except
    Exception``) untouched, so a worker without the lease writes nothing more (no
    retry, no trouble note) and leaves the claimed row ``sending`` for the next holder's
    recovery, which asks the mailbox whether it left."""


class Fence:
    """One lease's fence: the claim check (called as ``App.send_fence``) and the local
    deadline the transmission must start before (:meth:`before_send`).

    The claim is checked in the database; the transmission is not a database act, and a
    worker stopped between its claim and its transmission would otherwise transmit when
    continued, however late. So a passed check also sets a deadline on this process's
    monotonic clock: the lease's remaining time as the database sees it, less a margin.
    The lease cannot pass to another worker before it expires, so a transmission that
    starts before the deadline starts while this worker still holds the lease. What
    remains is a stop during the transmission call itself."""

    def __init__(
        self,
        lease: Lease,
        worker_id: str,
        lease_seconds: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lease, self.worker_id = lease, worker_id
        self.margin = min(5.0, lease_seconds / 4)
        self.monotonic = monotonic
        self.deadline = float("-inf")

    def __call__(self, session: Session, outbox_id: int) -> bool:
        remaining = fence(session, self.lease, self.worker_id, outbox_id, self.margin)
        if remaining is None:
            return False
        self.deadline = self.monotonic() + remaining - self.margin
        return True

    def before_send(self) -> None:
        if self.monotonic() >= self.deadline:
            raise LeaseLost(f"the lease of {self.lease.mailbox} ran out before the send")


def fence(
    session: Session, lease: Lease, worker_id: str, outbox_id: int, margin: float = 0.0
) -> float | None:
    """The seconds the lease has left, and the claim recorded with the token, when
    ``lease`` is still this worker's with more than ``margin`` seconds to run; None
    otherwise (the claim must roll back). The lease row is read FOR SHARE: a takeover
    (an UPDATE of that row) waits until the claim's transaction ends, so a claim is
    never committed under a lease another worker already holds. The claim row lets the
    next holder see which token claimed a send it finds in progress."""
    remaining = session.execute(
        text(
            f"SELECT extract(epoch FROM expires_at - clock_timestamp()) FROM {T}.leases "
            "WHERE mailbox = :m AND worker_id = :w AND token = :t "
            "AND expires_at > clock_timestamp() + make_interval(secs => :margin) FOR SHARE"
        ),
        {"m": lease.mailbox, "w": worker_id, "t": lease.token, "margin": margin},
    ).scalar()
    if remaining is None:
        return None
    session.execute(
        text(
            f"INSERT INTO {T}.send_claims (mailbox, outbox_id, token, worker_id) "
            "VALUES (:m, :o, :t, :w)"
        ),
        {"m": lease.mailbox, "o": outbox_id, "t": lease.token, "w": worker_id},
    )
    return float(remaining)
