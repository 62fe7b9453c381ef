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
from mailbot.ingest.sync import sync_all, sync_folder
from tests import helpers

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
SIZES = (0, 1, 100, 1000)


def request_counts(
    make_fake: Callable[[], Any],
    make_app: Callable[[Path], Any],
    load: Callable[[Any, int], None],
    operations: Callable[[Any], list[str]],
) -> None:
    """Print the requests of one incremental poll after 0, 1, 100 and 1,000 new messages."""
    for n in SIZES:
        with (
            tempfile.TemporaryDirectory() as tmp,
            responses.RequestsMock(assert_all_requests_are_fired=False) as rsps,
        ):
            fake = make_fake()
            fake.install(rsps)
            app = make_app(Path(tmp))
            sync_all(app, NOW)  # the first full sync; from here on each poll is incremental
            load(fake, n)
            before = len(operations(fake))
            sync_all(app, NOW)
            used = Counter(operations(fake)[before:])
            label = "idle poll" if n == 0 else f"{n:>4} new messages"
            detail = ", ".join(f"{op} {count}" for op, count in sorted(used.items()))
            print(f"  {label:<18}: {sum(used.values()):4d} requests ({detail})")
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
