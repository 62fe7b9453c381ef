"""EWS request counts and ingest throughput, with the HTTP layer answered locally by the
stateful SOAP fake used in the tests (tests/integration/fake_ews.py); exchangelib runs
for real, so its XML building and parsing is in the figures.

    .venv/bin/python bench/ews.py

Prints the number of EWS requests for an idle poll and for 1, 100 and 1,000 new
messages, and messages/s ingesting the same 1,000 messages over EWS and from a Maildir.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import message  # noqa: E402
from bench.remote import NOW, maildir_rate, remote_rate, request_counts  # noqa: E402
from mailbot import app as app_mod  # noqa: E402
from mailbot import clock, config  # noqa: E402
from mailbot.logs import configure  # noqa: E402
from tests import helpers  # noqa: E402
from tests.integration.fake_ews import FakeEws  # noqa: E402
from tests.integration.test_ews import ews_config  # noqa: E402


def ews_app(work: Path):
    os.environ["MAILBOT_TEST_EWS_PASSWORD"] = "pa55word"
    return app_mod.build(config.parse(ews_config(work, f"sqlite:///{work / 'e.db'}"), base=work))


def load(fake: FakeEws, n: int, seed: int = 3) -> None:
    """Deliver ``n`` corpus messages (MIME as received, with their headers) to the Inbox."""
    rng = random.Random(seed)
    inbox = fake.folder("inbox")
    for i in range(n):
        fake._put(inbox, message(rng, i, max(1, n // 8)))


def main() -> None:
    clock.use(lambda: NOW)
    configure("WARNING")  # the figures only
    make_fake = lambda: FakeEws(helpers.ENGINEER)  # noqa: E731
    print("EWS requests (HTTP answered locally):")
    request_counts(
        make_fake,
        ews_app,
        load,
        lambda fake: fake.requests + [f"sign-in {w}" for w in fake.login.login_requests],
    )
    n = 1000
    ews, client_side = remote_rate(make_fake, ews_app, load, n)
    maildir = maildir_rate(n)
    print(f"ingest over EWS (local HTTP): {ews:7.0f} msg/s")
    print(f"  without the fake server's own time: {client_side:7.0f} msg/s")
    print(f"ingest from Maildir         : {maildir:7.0f} msg/s (same {n} messages)")


if __name__ == "__main__":
    main()
