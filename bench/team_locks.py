"""Which way of owning a mailbox survives SIGSTOP and SIGKILL: a session advisory lock,
or a lease row with a fencing token (mailbot/team/leases.py). Measured side by side on
the local PostgreSQL, with real processes.

For each signal, a child process takes both a session advisory lock and a lease (a
short one here, ``--lease`` seconds, so the run is quick); the child is then stopped or
killed and the parent measures how long until it can take each. A stopped child is
continued after ``3 x --lease`` seconds and asked whether its send claim would still
pass the fence. Then the cost of the lease work a worker adds per mailbox (one renewal,
one fence check) as a ratio to one ``SELECT 1`` round trip.

Run: ``.venv/bin/python bench/team_locks.py [--lease 2] [--url postgresql+psycopg://...]``
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from mailbot.team.leases import Leases, ensure_team_tables  # noqa: E402
from mailbot.team.tenancy import shared_engine  # noqa: E402

KEY = 777
CHILD = """
import sys
from sqlalchemy import text
from sqlalchemy.orm import Session
from mailbot.team.leases import Leases
from mailbot.team.tenancy import shared_engine
engine = shared_engine(sys.argv[1], pool_size=2)
leases = Leases(engine, "child", int(sys.argv[2]))
lease = leases.acquire("mailbox_bench")
conn = engine.connect()
conn.execute(text("SELECT pg_advisory_lock(KEY)"))
conn.commit()
print("held", flush=True)
for line in sys.stdin:
    with Session(engine) as s:
        print("fence", leases.fence_for(lease)(s, 1), flush=True)
        s.commit()
""".replace("KEY", str(KEY))


def first_true(probes: dict[str, object], limit: float) -> dict[str, float | None]:
    """Seconds from now until each probe first answers true (polled side by side, so
    one slow answer does not delay the other's clock), None if not within ``limit``."""
    start = time.perf_counter()
    found: dict[str, float | None] = dict.fromkeys(probes)
    while time.perf_counter() - start < limit and None in found.values():
        for name, probe in probes.items():
            if found[name] is None and probe():  # type: ignore[operator]
                found[name] = time.perf_counter() - start
        time.sleep(0.02)
    return found


def run_signal(url: str, engine, lease_s: int, sig: signal.Signals) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM mailbot_team.leases"))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(lease_s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert child.stdout and child.stdin and child.stdout.readline().strip() == "held"
    os.kill(child.pid, sig)
    taker = Leases(engine, "taker", lease_s)

    def advisory_free() -> bool:
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": KEY}).scalar()
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": KEY})
            return bool(got)

    limit = 3 * lease_s
    found = first_true(
        {
            "lock": advisory_free,
            "lease": lambda: taker.acquire("mailbox_bench") is not None,
        },
        limit,
    )
    lock_s, lease_s_taken = found["lock"], found["lease"]
    name = sig.name
    print(
        f"{name:8} advisory lock free after: "
        + (f"{lock_s:.3f} s" if lock_s is not None else f"never within {limit} s")
    )
    print(
        f"{name:8} lease taken after:         "
        + (f"{lease_s_taken:.3f} s" if lease_s_taken is not None else f"never within {limit} s")
        + f" (lease {lease_s} s)"
    )
    if sig == signal.SIGSTOP:
        os.kill(child.pid, signal.SIGCONT)
        child.stdin.write("claim\n")
        child.stdin.flush()
        print(f"{name:8} woken child's send claim: {child.stdout.readline().strip()}")
    child.kill()
    child.wait()


def costs(engine, rounds: int = 500) -> None:  # type: ignore[no-untyped-def]
    leases = Leases(engine, "cost", 60)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM mailbot_team.leases"))
    lease = leases.acquire("mailbox_cost")
    assert lease is not None
    fence = leases.fence_for(lease)

    def timed(work) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        for _ in range(rounds):
            work()
        return (time.perf_counter() - start) / rounds

    def select_one() -> None:
        with engine.begin() as conn:
            conn.execute(text("SELECT 1"))

    def fenced() -> None:
        with Session(engine) as s:
            fence(s, 1)
            s.rollback()

    base = timed(select_one)
    renew = timed(lambda: leases.renew(lease))
    check = timed(fenced)
    print(f"one SELECT 1 transaction: {base * 1000:.3f} ms (= 1.0)")
    print(f"one renewal:              {renew / base:.2f} x")
    print(f"one fence check + claim:  {check / base:.2f} x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lease", type=int, default=2)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    name = f"mailbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.url.rsplit("/", 1)[0] + f"/{name}"
    engine = shared_engine(url)
    try:
        ensure_team_tables(engine)
        for sig in (signal.SIGKILL, signal.SIGSTOP):
            run_signal(url, engine, args.lease, sig)
        costs(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
