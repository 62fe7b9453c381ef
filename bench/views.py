"""The read commands on a large database: ``mailbot cases --json`` with 10,000 open
cases, and ``mailbot case N --json`` for one case with a long timeline, each as a whole
process (start-up included), beside a bare ``python -c "import sqlite3, email"``; each also
forced down the full path (no config snapshot: SQLAlchemy and the full loader), as
every run went before the fast path.

The database is filled directly (cases in every state, a next step planned on each, a
draft waiting on one in five, 200 timeline lines on the case looked at).

Run: ``.venv/bin/python bench/views.py [--cases 10000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from mailbot import snapshot  # noqa: E402
from mailbot.store.db import make_engine, upgrade  # noqa: E402
from mailbot.store.models import Case, Event, Outbox  # noqa: E402
from tests import helpers  # noqa: E402

STATES = ["new", "waiting_info", "solution_delivered", "active", "resolved"]


def fill(url: str, n: int) -> str:
    engine = make_engine(url)
    upgrade(engine)
    t0 = datetime(2026, 10, 1, 8, tzinfo=UTC)
    cases, rows = [], []
    for i in range(n):
        at = t0 + timedelta(minutes=7 * i)
        cases.append(
            dict(
                id=i + 1,
                number=f"2610{i:012d}",
                subject=f"Export job {i} fails - TrackingID#2610{i:012d}",
                state=STATES[i % len(STATES)],
                customer_name="Maria",
                customer_email=f"c{i}@fabrikam.example",
                customer_cc=[],
                premier=False,
                opened_at=at,
                phase_started_at=at,
                last_contact_at=at,
                customer_messages=1,
                updated_at=at,
                next_due_at=at + timedelta(days=3),
                next_kind="followup_info",
                next_rule="R07",
                next_reason="waiting for the customer's information: follow-up after 3 business days",
            )
        )
        if i % 5 == 0:
            rows.append(
                dict(
                    key=uuid.uuid4().hex,
                    case_id=i + 1,
                    kind="first_response",
                    audience="customer",
                    rule="R04",
                    reason="new case",
                    state="drafted",
                    subject="RE: x",
                    recipients={"to": [f"c{i}@fabrikam.example"], "cc": []},
                    facts={},
                    due_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
    with engine.begin() as conn:
        conn.execute(insert(Case), cases)
        conn.execute(insert(Outbox), rows)
        conn.execute(
            insert(Event),
            [
                dict(
                    case_id=1,
                    at=t0 + timedelta(hours=j),
                    kind="customer",
                    rule="R01",
                    reason="customer message filed",
                    data={},
                )
                for j in range(200)
            ],
        )
    engine.dispose()
    return cases[0]["number"]


def timed(cmd: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # the config snapshots
        url = f"sqlite:///{work / 'mailbot.db'}"
        cfg = helpers.write_toml(work / "mailbot.toml", helpers.config_dict(work, url))
        number = fill(url, args.cases)
        py = sys.executable
        cases_cmd = [py, "-m", "mailbot.cli", "cases", "--json", "--config", str(cfg)]
        one_cmd = [py, "-m", "mailbot.cli", "case", number, "--json", "--config", str(cfg)]
        subprocess.run(cases_cmd, check=True, capture_output=True)  # writes the snapshot
        runs: dict[str, list[float]] = {
            k: [] for k in ("bare", "cases", "one", "cases full", "one full")
        }
        for _ in range(5):  # alternated, so all see the same load
            runs["bare"].append(timed([py, "-c", "import sqlite3, email"], 1))
            runs["cases"].append(timed(cases_cmd, 1))
            runs["one"].append(timed(one_cmd, 1))
            # the full path (SQLAlchemy, the full config loader): no snapshot to start from
            snapshot.forget(str(cfg))
            runs["cases full"].append(timed(cases_cmd, 1))
            snapshot.forget(str(cfg))
            runs["one full"].append(timed(one_cmd, 1))
        m = {k: statistics.median(v) for k, v in runs.items()}
        print(f"bare python -c 'import sqlite3, email': {m['bare'] * 1000:.0f} ms")
        print(
            f"mailbot cases --json, {args.cases} open cases: {m['cases'] * 1000:.0f} ms "
            f"(target <= 1000 ms); full path {m['cases full'] * 1000:.0f} ms"
        )
        print(
            f"mailbot case N --json, 200 timeline lines: {m['one'] * 1000:.0f} ms "
            f"(target <= 300 ms); full path {m['one full'] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
