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
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import message  # noqa: E402
from bench.remote import NOW, maildir_rate, remote_rate, request_counts  # noqa: E402
from mailbot import app as app_mod  # noqa: E402
from mailbot import clock, config  # noqa: E402
from mailbot.ingest.body import extract_text  # noqa: E402
from mailbot.logs import configure  # noqa: E402
from tests import helpers  # noqa: E402
from tests.integration.fake_graph import FakeGraph  # noqa: E402


def graph_app(work: Path):
    os.environ["MAILBOT_BENCH_SECRET"] = "bench"
    data = helpers.config_dict(work, f"sqlite:///{work / 'g.db'}")
    data["mailbox"] = {
        "kind": "graph",
        "graph": {
            "user": helpers.ENGINEER,
            "tenant_id": "t",
            "client_id": "c",
            "client_secret_env": "MAILBOT_BENCH_SECRET",
        },
    }
    return app_mod.build(config.parse(data, base=work))


def load(fake: FakeGraph, n: int, seed: int = 3) -> None:
    """Put ``n`` corpus messages into the fake Inbox as Exchange would hold them."""
    rng = random.Random(seed)
    for i in range(n):
        raw = message(rng, i, max(1, n // 8))
        msg = message_from_bytes(raw, policy=compat32)
        fake.add(
            fake.folder("inbox"),
            subject=str(msg["Subject"]),
            internetMessageId=str(msg["Message-ID"]),
            internetMessageHeaders=[{"name": k, "value": str(v)} for k, v in msg.items()],
            body={"contentType": "text", "content": extract_text(raw)},
        )


def operations(fake: FakeGraph) -> list[str]:
    """Each request named by what it does (sign-in requests apart)."""
    return [
        "$batch" if "$batch" in path else "delta" if "/delta" in path else method
        for method, path in fake.requests
    ] + [f"sign-in {what}" for what in fake.login_requests]


def main() -> None:
    clock.use(lambda: NOW)
    configure("WARNING")  # the figures only
    make_fake = lambda: FakeGraph(helpers.ENGINEER)  # noqa: E731
    print("Graph requests (HTTP answered locally):")
    request_counts(make_fake, graph_app, load, operations)
    n = 1000
    graph, _ = remote_rate(make_fake, graph_app, load, n)
    maildir = maildir_rate(n)
    print(f"ingest over Graph (local HTTP): {graph:7.0f} msg/s")
    print(f"ingest from Maildir           : {maildir:7.0f} msg/s (same {n} messages)")


if __name__ == "__main__":
    main()
