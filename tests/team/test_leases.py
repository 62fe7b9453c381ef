"""Leases with fencing tokens on the real PostgreSQL. Database time cannot be moved by
time-machine, so a test "waits out" a lease by moving its rows into the past (what the
database's clock would show a lease later); signals go to real processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from mailbot.team.leases import Fence, Lease, LeaseLost, Leases, ensure_team_tables
from tests.team.conftest import later
from tests.team.lease_child import ADVISORY_KEY

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
BOXES = [f"mailbox_e{i:02d}" for i in range(10)]
PATIENCE = 1800  # seconds: a guard against a hang only; the suite runs on loaded machines


@pytest.fixture
def engine(team_engine: Engine) -> Engine:
    ensure_team_tables(team_engine)
    ensure_team_tables(team_engine)  # idempotent
    return team_engine


def test_tokens_grow_and_an_expired_lease_passes_on(engine: Engine) -> None:
    a, b = Leases(engine, "a"), Leases(engine, "b")
    first = a.acquire("mailbox_alex")
    assert first == Lease("mailbox_alex", 1)
    assert b.acquire("mailbox_alex") is None  # still a's
    assert a.renew(first)
    # a 60 s lease is a row lasting 40 s, renewed every 20 s at most: a dead worker's
    # mailbox is taken over within the 60 s
    later(engine, 39)
    assert b.acquire("mailbox_alex") is None  # 39 s into the row's 40 s: still a's
    later(engine, 2)
    second = b.acquire("mailbox_alex")
    assert second == Lease("mailbox_alex", 2)
    assert not a.renew(first)  # lost, and a learns it at its next renewal
    b.release(second)
    third = a.acquire("mailbox_alex")
    assert third == Lease("mailbox_alex", 3)  # a released lease is free at once, token still grows
    assert a.held() == [third] and b.held() == []


def test_a_lease_that_ran_out_but_was_not_taken_is_still_renewable(engine: Engine) -> None:
    a = Leases(engine, "a")
    lease = a.acquire("mailbox_alex")
    assert lease is not None
    later(engine, 120)
    assert a.renew(lease)  # token still current: nobody sent under another in between
    assert a.held() == [lease]


def test_the_fence_admits_only_the_current_token(engine: Engine) -> None:
    a, b = Leases(engine, "a"), Leases(engine, "b")
    old = a.acquire("mailbox_alex")
    assert old is not None
    with Session(engine) as s:
        assert a.fence_for(old)(s, 7)
        s.commit()
    later(engine, 61)
    with Session(engine) as s:
        assert not a.fence_for(old)(s, 8)  # expired, even before anyone took it
        s.rollback()
    new = b.acquire("mailbox_alex")
    assert new is not None
    with Session(engine) as s:
        assert not a.fence_for(old)(s, 8)
        assert b.fence_for(new)(s, 8)
        s.commit()
    with engine.connect() as conn:
        claims = conn.execute(
            text("SELECT outbox_id, token, worker_id FROM mailbot_team.send_claims ORDER BY id")
        ).all()
    assert [tuple(c) for c in claims] == [(7, 1, "a"), (8, 2, "b")]


def _settle(workers: list[Leases], rounds: int = 4) -> dict[str, list[Lease]]:
    held: dict[str, list[Lease]] = {}
    for _ in range(rounds):
        for w in workers:
            held[w.worker_id] = w.rebalance(BOXES)
    return held


def _owners(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT worker_id FROM mailbot_team.leases "
                "WHERE worker_id IS NOT NULL AND expires_at > now()"
            )
        )
        return Counter(r[0] for r in rows)


def test_work_spreads_evenly_and_moves_when_workers_come_and_go(engine: Engine) -> None:
    a, b, c = (Leases(engine, name) for name in ("a", "b", "c"))
    held = _settle([a])
    assert len(held["a"]) == 10  # alone, a worker serves every mailbox
    for w in (b, c):
        w.heartbeat()
    held = _settle([a, b, c])
    assert sorted(_owners(engine).values()) == [3, 3, 4]
    assert sorted(len(v) for v in held.values()) == [3, 3, 4]
    assert len({lease.mailbox for v in held.values() for lease in v}) == 10
    # c is killed: its heartbeat and leases run out, the others share its mailboxes.
    later(engine, 61, worker="c")
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE mailbot_team.leases SET expires_at = now() - interval '1 second' "
                "WHERE worker_id = 'c'"
            )
        )
    held = _settle([a, b])
    assert sorted(len(v) for v in held.values()) == [5, 5]
    assert sorted(_owners(engine).values()) == [5, 5]


def test_a_settled_worker_does_not_knock_on_every_mailbox_held_elsewhere(engine: Engine) -> None:
    """10 mailboxes on 3 workers settle as 4-3-3: the workers holding 3 may hold 4, but
    every other mailbox is held. Their rebalance must not try to acquire each of them
    (a statement per mailbox per round, growing with the team: the team drill's idle
    cost found it); it asks the table once which mailboxes are free."""
    a, b, c = (Leases(engine, name) for name in ("a", "b", "c"))
    for w in (a, b, c):
        w.heartbeat()
    held = _settle([a, b, c])
    small = next(w for w in (a, b, c) if len(held[w.worker_id]) == 3)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert len(small.rebalance(BOXES)) == 3
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    tries = [s for s in statements if "INSERT INTO mailbot_team.leases" in s]
    assert tries == [], f"{len(tries)} acquisitions tried, none can succeed"


def test_a_stopped_worker_loses_its_mailbox_and_cannot_send_when_it_wakes(
    engine: Engine, pg_url: str
) -> None:
    with _signalled(pg_url, signal.SIGSTOP) as child:
        later(engine, 61)
        taker = Leases(engine, "taker")
        assert taker.acquire("mailbox_alex") == Lease("mailbox_alex", 2)
        # The stopped process still holds its session advisory lock: its connection is
        # alive (the kernel answers for it), so such a lock would never pass on.
        with engine.connect() as conn:
            free = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            assert free.scalar() is False
        os.kill(child.pid, signal.SIGCONT)
        assert _ask(child, "fence") == "FENCE False"
        assert _ask(child, "renew") == "RENEW False"


def test_a_killed_worker_frees_its_lock_at_once_and_its_lease_at_expiry(
    engine: Engine, pg_url: str
) -> None:
    with _signalled(pg_url, signal.SIGKILL) as child:
        child.wait(timeout=PATIENCE)
        with engine.connect() as conn:
            # Blocks until the server sees the dead connection (at once, locally): the
            # advisory lock is gone with the process, on SIGKILL only.
            conn.execute(text("SET lock_timeout = '120s'"))
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        taker = Leases(engine, "taker")
        assert taker.acquire("mailbox_alex") is None  # the lease row runs its time
        later(engine, 61)
        assert taker.acquire("mailbox_alex") == Lease("mailbox_alex", 2)


@contextlib.contextmanager
def _signalled(url: str, sig: signal.Signals) -> Iterator[subprocess.Popen[str]]:
    """A child worker holding mailbox_alex's first lease, sent ``sig``; ended after."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.team.lease_child", url, "mailbox_alex"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert _line(child) == "TOKEN 1"
        os.kill(child.pid, sig)
        yield child
    finally:
        _end(child)


def _line(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    return child.stdout.readline().strip()


def _ask(child: subprocess.Popen[str], command: str) -> str:
    assert child.stdin is not None
    child.stdin.write(command + "\n")
    child.stdin.flush()
    return _line(child)


def _end(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        os.kill(child.pid, signal.SIGCONT)
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=PATIENCE)


def test_a_send_must_start_before_the_lease_it_was_claimed_under_runs_out(
    engine: Engine,
) -> None:
    a = Leases(engine, "a")
    lease = a.acquire("mailbox_alex")
    assert lease is not None
    ticks = [1000.0]
    fence = Fence(lease, "a", 60, monotonic=lambda: ticks[0])
    with Session(engine) as s:
        assert fence(s, 1)
        s.commit()
    fence.before_send()  # right after the claim
    # Stopped 36 s between claim and send: past the lease row (40 s) less its 5 s margin.
    ticks[0] += 36
    with pytest.raises(LeaseLost):
        fence.before_send()
    later(engine, 36)  # 4 s left, within the margin: no claim any more
    with Session(engine) as s:
        assert not fence(s, 2)


def test_a_takeover_does_not_wait_on_a_claim_in_flight(engine: Engine) -> None:
    """A claim's transaction holds the lease row FOR SHARE; a worker taking over
    meanwhile gives up after a short lock wait (its other mailboxes are waiting) and
    takes the mailbox once the claim's transaction has ended."""
    a, b = Leases(engine, "a"), Leases(engine, "b")
    lease = a.acquire("mailbox_alex")
    assert lease is not None
    with Session(engine) as claim:
        assert a.fence_for(lease)(claim, 1)
        assert b.acquire("mailbox_alex") is None  # after a lock wait of 5 s, not for ever
        claim.commit()
    later(engine, 61)
    assert b.acquire("mailbox_alex") == Lease("mailbox_alex", 2)
