"""Shared measurements for the remote mailbox benchmarks (bench/graph.py, bench/ews.py):
requests per poll and ingest throughput against a fake answered locally, and the same
messages from a Maildir for comparison."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import responses

from bench.corpus import make_corpus
from mailbot import app as app_mod
from mailbot import config
from mailbot.cycle import run_cycle
from mailbot.ingest.sync import sync_folder
from tests import helpers

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)


def request_counts(
    make_fake: Callable[[], Any],
    make_app: Callable[[Path], Any],
    load: Callable[[Any, int], None],
    operations: Callable[[Any], list[str]],
) -> None:
    """Print the requests of one cron tick (a new process: the app built afresh from the
    config and the data directory, then one full cycle) by operation, sign-in included:
    idle, after 1, 100 and 1,000 new messages, and idle with 50 drafts pending."""
    for label, new, pending in [
        ("idle tick", 0, 0),
        ("   1 new message", 1, 0),
        (" 100 new messages", 100, 0),
        ("1000 new messages", 1000, 0),
        ("50 drafts pending", 0, 50),
    ]:
        with (
            tempfile.TemporaryDirectory() as tmp,
            responses.RequestsMock(assert_all_requests_are_fired=False) as rsps,
        ):
            fake = make_fake()
            fake.install(rsps)
            work = Path(tmp)
            cases(fake, pending)
            tick(make_app, work)  # the first tick: folders found, a token, full syncs
            load(fake, new)
            before = Counter(operations(fake))
            report = tick(make_app, work)
            used = Counter(operations(fake)) - before
            detail = ", ".join(f"{op} {count}" for op, count in sorted(used.items()))
            drafted = f", {report.materialised} drafted" if report.materialised else ""
            print(f"  {label:<18}: {sum(used.values()):5d} requests ({detail}){drafted}")


def cases(fake: Any, n: int) -> None:
    """``n`` customers opening a case each: the first tick drafts ``n`` first responses."""
    for i in range(n):
        fake.deliver(
            f"Customer {i} <c{i}@fabrikam.example>",
            f"Export fails - TrackingID#26113000300{i:05d}",
            "Our nightly export fails with a timeout.",
            cc=helpers.SUPPORT,
        )


def tick(make_app: Callable[[Path], Any], work: Path):  # type: ignore[no-untyped-def]
    """One `mailbot tick` as cron runs it: a new process, so a new app and adapter."""
    app = make_app(work)
    try:
        return run_cycle(app)
    finally:
        app.engine.dispose()


def remote_rate(
    make_fake: Callable[[], Any],
    make_app: Callable[[Path], Any],
    load: Callable[[Any, int], None],
    n: int,
) -> tuple[float, float]:
    """Messages/s filing ``n`` new Inbox messages through the adapter, and the same
    without the time the fake server spent building its answers (when it counts it)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        responses.RequestsMock(assert_all_requests_are_fired=False) as rsps,
    ):
        fake = make_fake()
        fake.install(rsps)
        app = make_app(Path(tmp))
        load(fake, n)
        start = time.perf_counter()
        report = sync_folder(app, "INBOX", NOW)
        elapsed = time.perf_counter() - start
        server = getattr(fake, "seconds", 0.0)
        app.engine.dispose()
    return report.new / elapsed, report.new / (elapsed - server)


def maildir_rate(n: int) -> float:
    """Messages/s filing the same corpus from a Maildir."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_corpus(work / "Maildir", n, seed=3)
        app = app_mod.build(
            config.parse(helpers.config_dict(work, f"sqlite:///{work / 'm.db'}"), base=work)
        )
        start = time.perf_counter()
        report = sync_folder(app, "INBOX", NOW)
        rate = report.new / (time.perf_counter() - start)
        app.engine.dispose()
    return rate
