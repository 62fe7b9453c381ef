"""The team drill at scale: about 200 Maildir mailboxes on a fresh local PostgreSQL
database, three ``mailbot team run`` workers SIGKILLed (and restarted) and SIGSTOPped
(beyond the lease, then continued) at random while customers write and engineers
approve. Prints the takeover times (max, median), duplicate and lost sends (both must
be 0), the spread of mailboxes over workers, how long the spread took to even out after
start, and the idle cost per mailbox poll (worker CPU and database transactions), for
each of ``--sizes`` side by side.

Run: ``.venv/bin/python bench/team.py [--mailboxes 200] [--strikes 6] [--lease 10]
[--sizes 20 200]``

The machinery (team files, inotify on the pickup directories, the counts) is
tests/team/drill.py, which tests/team/test_drill.py runs with four mailboxes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.team.drill import Drill, IdleCost, write_team  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


def fresh_database(run: callable) -> object:  # type: ignore[valid-type]
    """Run ``run(url)`` on a database of its own, dropped at the end."""
    name = f"mailbot_bench_team_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return run(f"{PG}/{name}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def phase(args: argparse.Namespace, mailboxes: int, chaos: bool) -> tuple[list[str], IdleCost]:
    """One team of ``mailboxes``: served, (the drill,) then an idle period measured."""

    def run(url: str) -> tuple[list[str], IdleCost]:
        with tempfile.TemporaryDirectory(prefix="mailbot-team-") as tmp:
            team = write_team(Path(tmp), url, mailboxes, args.lease, args.poll)
            drill = Drill(team, workers=3, seed=args.seed)
            try:
                started = time.monotonic()
                drill.served_everything()
                served = time.monotonic() - started
                drill.settle(cases=False)  # every mailbox leased, the spread even
                even = time.monotonic() - started
                lines = [
                    f"{mailboxes} mailboxes: all served after {served:.0f} s (schemas created), "
                    f"spread even after {even:.0f} s"
                ]
                if chaos:
                    drill.chaos(args.strikes, stop_for=args.lease * 1.5, gap=(2, 8))
                    drill.settle()
                    lines += drill.count().lines()
                idle = drill.idle_cost(args.idle)
            finally:
                drill.close()
            return lines, idle

    return fresh_database(run)  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailboxes", type=int, default=200, help="mailboxes of the drill")
    ap.add_argument("--strikes", type=int, default=6, help="kills and stops, at random")
    ap.add_argument("--lease", type=int, default=10, help="lease seconds (at least 10)")
    ap.add_argument("--poll", type=int, default=5, help="poll seconds (at least 5)")
    ap.add_argument("--idle", type=float, default=20, help="seconds of the idle measurement")
    ap.add_argument("--sizes", type=int, nargs="*", default=[20, 200], help="idle cost sizes")
    ap.add_argument("--seed", type=int, default=20261207)
    args = ap.parse_args()
    costs = []
    lines, idle = phase(args, args.mailboxes, chaos=True)
    print("\n".join(lines), flush=True)
    for size in args.sizes:
        if size == args.mailboxes:
            costs.append(idle)
            continue
        more, cost = phase(args, size, chaos=False)
        print("\n".join(more), flush=True)
        costs.append(cost)
    print(f"idle cost (lease {args.lease} s, poll {args.poll} s, 3 workers):")
    for cost in sorted(costs, key=lambda c: c.mailboxes):
        print("  " + cost.line())
    if len(costs) > 1:
        small, big = min(costs, key=lambda c: c.mailboxes), max(costs, key=lambda c: c.mailboxes)
        ratio = big.mailboxes / small.mailboxes
        print(
            f"  from {small.mailboxes} to {big.mailboxes} mailboxes ({ratio:.0f} x): CPU per "
            f"mailbox poll x {big.cpu / max(big.polls, 1) / (small.cpu / max(small.polls, 1)):.2f}, "
            f"transactions per mailbox poll x "
            f"{big.transactions / max(big.polls, 1) / (small.transactions / max(small.polls, 1)):.2f}, "
            f"mailbox polls per second x {big.polls / big.seconds / (small.polls / small.seconds):.2f}"
        )


if __name__ == "__main__":
    main()
