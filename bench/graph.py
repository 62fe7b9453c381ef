"""Graph request counts and ingest throughput, with the HTTP layer answered locally by
the stateful fake used in the tests (tests/integration/fake_graph.py).

    .venv/bin/python bench/graph.py

Prints the number of Graph requests for an idle poll and for 1, 100 and 1,000 new
messages, and messages/s ingesting the same 1,000 messages over Graph and from a Maildir.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import responses  # noqa: E402

from bench.corpus import make_corpus, message  # noqa: E402
from mailbot import app as app_mod  # noqa: E402
from mailbot import clock, config  # noqa: E402
from mailbot.ingest.body import extract_text  # noqa: E402
from mailbot.ingest.sync import sync_all, sync_folder  # noqa: E402
from tests import helpers  # noqa: E402
from tests.integration.fake_graph import FakeGraph  # noqa: E402

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)


def graph_app(work: Path, fake: FakeGraph):
    os.environ["MAILBOT_BENCH_SECRET"] = "bench"
    data = helpers.config_dict(work, f"sqlite:///{work / 'g.db'}")
    data["mailbox"] = {"kind": "graph", "graph": {"user": helpers.ENGINEER, "tenant_id": "t", "client_id": "c",
                                                  "client_secret_env": "MAILBOT_BENCH_SECRET"}}
    return app_mod.build(config.parse(data, base=work))


def load(fake: FakeGraph, n: int, seed: int = 3) -> None:
    """Put ``n`` corpus messages into the fake Inbox as Exchange would hold them."""
    rng = random.Random(seed)
    for i in range(n):
        raw = message(rng, i, max(1, n // 8))
        msg = message_from_bytes(raw, policy=compat32)
        fake.add(fake.folder("inbox"), subject=str(msg["Subject"]), internetMessageId=str(msg["Message-ID"]),
                 internetMessageHeaders=[{"name": k, "value": str(v)} for k, v in msg.items()],
                 body={"contentType": "text", "content": extract_text(raw)})


def main() -> None:
    clock.use(lambda: NOW)
    print("Graph requests (HTTP answered locally):")
    for n in (0, 1, 100, 1000):
        with tempfile.TemporaryDirectory() as tmp, responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            fake = FakeGraph(helpers.ENGINEER)
            fake.install(rsps)
            app = graph_app(Path(tmp), fake)
            sync_all(app, NOW)  # the first full sync; from here on each poll is incremental
            load(fake, n)
            before = len(fake.requests)
            sync_all(app, NOW)
            label = "idle poll" if n == 0 else f"{n:>4} new messages"
            print(f"  {label:<18}: {len(fake.requests) - before:4d} requests")
            app.engine.dispose()
    n = 1000
    with tempfile.TemporaryDirectory() as tmp, responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeGraph(helpers.ENGINEER)
        fake.install(rsps)
        app = graph_app(Path(tmp), fake)
        load(fake, n)
        start = time.perf_counter()
        report = sync_folder(app, "INBOX", NOW)
        graph_rate = report.new / (time.perf_counter() - start)
        app.engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_corpus(work / "Maildir", n, seed=3)
        app = app_mod.build(config.parse(helpers.config_dict(work, f"sqlite:///{work / 'm.db'}"), base=work))
        start = time.perf_counter()
        report = sync_folder(app, "INBOX", NOW)
        maildir_rate = report.new / (time.perf_counter() - start)
        app.engine.dispose()
    print(f"ingest over Graph (local HTTP): {graph_rate:7.0f} msg/s")
    print(f"ingest from Maildir           : {maildir_rate:7.0f} msg/s (same {n} messages)")


if __name__ == "__main__":
    main()
