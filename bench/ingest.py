"""Ingest throughput and peak memory: realistic Maildir messages filed into SQLite.

    .venv/bin/python bench/ingest.py            # 10,000 messages, side by side with bare parses
    .venv/bin/python bench/ingest.py --memory   # peak RSS at 10,000 and 100,000 (separate processes)

Prints messages/s for (1) Python's email package with the modern policy, (2) the
lenient compat32 parser, both reading every file whole, and (3) mailbot's ingest (read,
filter chain, filing, commits), plus the ratio of (3) to (1) measured in the same run.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import make_corpus  # noqa: E402


def bare_parse(paths: list[Path], policy) -> float:
    start = time.perf_counter()
    for p in paths:
        with open(p, "rb") as fh:
            msg = email.message_from_binary_file(fh, policy=policy)
        _ = (msg["Subject"], msg["From"], msg["Cc"], msg["Message-ID"])
    return len(paths) / (time.perf_counter() - start)


def mailbot_ingest(work: Path) -> tuple[float, int]:
    from mailbot import app as app_mod
    from mailbot import clock, config
    from mailbot.ingest.sync import sync_folder
    from tests import helpers

    data = helpers.config_dict(work, f"sqlite:///{work / 'bench.db'}")
    settings = config.parse(data, base=work)
    clock.use(lambda: datetime(2026, 11, 30, 10, tzinfo=UTC))
    application = app_mod.build(settings)
    n = sum(1 for _ in (work / "Maildir" / "cur").iterdir())
    start = time.perf_counter()
    report = sync_folder(application, "INBOX", clock.now())
    elapsed = time.perf_counter() - start
    assert report.new + report.quarantined == n, (report, n)
    return n / elapsed, report.filed_to_cases


def child(work: Path) -> None:
    """Ingest an existing corpus in this fresh process; print a JSON line with the figures."""
    rate, filed = mailbot_ingest(work)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rate": rate, "filed": filed, "peak_rss_mb": peak / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    if args.memory:
        # This process writes the corpus; each ingest runs in a fresh process, so its
        # peak RSS is the ingest's alone.
        peaks = {}
        for n in (10_000, 100_000):
            with tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp:
                make_corpus(Path(tmp) / "Maildir", n)
                out = subprocess.run(
                    [sys.executable, __file__, "--child", tmp],
                    capture_output=True,
                    text=True,
                    check=True,
                )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            peaks[n] = r["peak_rss_mb"]
            print(
                f"{n:>7} messages: ingest {r['rate']:.0f} msg/s, peak RSS {r['peak_rss_mb']:.1f} MB"
            )
        print(
            f"peak RSS at 100,000 vs 10,000: {100 * (peaks[100_000] / peaks[10_000] - 1):+.1f}% (target at most +10%)"
        )
        return
    with tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        paths = make_corpus(work / "Maildir", args.n)
        size = sum(p.stat().st_size for p in paths)
        print(
            f"corpus: {args.n} messages, {size / 1e6:.1f} MB, generated in {time.perf_counter() - t:.1f} s"
        )
        modern = bare_parse(paths, email.policy.default)
        compat = bare_parse(paths, email.policy.compat32)
        rate, filed = mailbot_ingest(work)
        print(f"bare parse, email policy.default : {modern:8.0f} msg/s")
        print(f"bare parse, email compat32       : {compat:8.0f} msg/s")
        print(f"mailbot ingest into SQLite       : {rate:8.0f} msg/s ({filed} filed into cases)")
        print(f"ratio ingest / modern bare parse : {rate / modern:8.2f}x")


if __name__ == "__main__":
    main()
