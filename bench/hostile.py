"""CPU per crafted message through the whole filter chain (security issue: bounded cost).

    .venv/bin/python bench/hostile.py

Each crafted message is case mail from the customer, read as ingest reads it (the body
capped at ``BODY_BYTES``), once to warm up (imports, compiled patterns) and then timed
with ``time.process_time``. Also times ``body_text`` on a whole 1 MB HTML body, as the EWS
and Graph adapters call it (the first ``HTML_READ_CHARS`` converted). Target: at most 50 ms each.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailbot.ingest.message import BODY_BYTES  # noqa: E402
from mailbot.mailbox.text import body_text  # noqa: E402
from tests import helpers  # noqa: E402
from tests.corpus.evaluate import read  # noqa: E402

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
TARGET_MS = 50.0
MB = 1024 * 1024


def _mail(body: str, subtype: str = "plain", headers: dict[str, str] | None = None) -> bytes:
    msg = helpers.mail(body="x", headers=headers)
    msg.set_content(body, subtype=subtype)
    return msg.as_bytes()


def crafted() -> dict[str, bytes]:
    ooo = {"Auto-Submitted": "auto-replied"}
    return {
        "1 MB of '<' in an HTML body": _mail("<" * MB, "html"),
        "1 MB of '<a' (tags never closed)": _mail("<a" * (MB // 2), "html"),
        "auto-reply with 5,000 'back soon N.'": _mail(
            "".join(f"back soon {i}. " for i in range(5000)), headers=ooo
        ),
        "auto-reply with 5,000 'until N.M.'": _mail(
            "".join(f"until {i % 28 + 1}.{i % 12 + 1}. " for i in range(5000)), headers=ooo
        ),
        "'test/check …' phrases x 5,000": _mail(
            "".join(f"I will test/check item {i} on Thursday and get back. " for i in range(5000))
        ),
        "5,000 'it works? it does not work'": _mail("it works? it does not work. " * 5000),
        "a 60 KB line of 'On On On … wrote x:'": _mail("On " * 20000 + "wrote x:"),
        "20,000 blank lines then text": _mail(" \n" * 20000 + "It works now."),
        "2,000 'password: x1' pairs": _mail("password: x1y2z3; " * 2000),
        "'eyJ' x 20,000 (JWT look-alike)": _mail("eyJ" * 20000),
        "quoted '>' x 60,000 on one line": _mail(">" * 60000),
    }


def cpu_ms(settings, raw: bytes) -> float:  # type: ignore[no-untyped-def]
    raw = raw[:BODY_BYTES]  # what sync hands the filters (mailbox.read(ref, BODY_BYTES))
    read(settings, raw, NOW)  # warm-up: imports and compiled patterns are paid once
    start = time.process_time()
    read(settings, raw, NOW)
    return (time.process_time() - start) * 1000


def main() -> int:
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        settings = helpers.settings(Path(tmp), "sqlite:///x.db")
        print(f"{'crafted message':<44} {'CPU ms':>8}")
        for name, raw in crafted().items():
            ms = cpu_ms(settings, raw)
            worst = max(worst, ms)
            print(f"{name:<44} {ms:>8.1f}")
    print("\nbody_text on a whole 1 MB HTML body, as the EWS and Graph adapters call it:")
    for name, markup in (
        ("1 MB of '<'", "<" * MB),
        ("1 MB of '<a'", "<a" * (MB // 2)),
        ("1 MB of '<p>' (350,000 real tags)", "<p>" * (MB // 3)),
        (
            "1 MB of a real-looking page",
            ("<tr><td class='c'>Value</td><td>12.5 &amp; more</td></tr>" * 20000)[:MB],
        ),
    ):
        body_text(markup)
        start = time.process_time()
        body_text(markup)
        ms = (time.process_time() - start) * 1000
        print(f"  {name:<42} {ms:>8.1f}")
    print(
        f"\nworst crafted message through the filters: {worst:.1f} ms (target {TARGET_MS:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
