"""One ``mailbot tick`` as a user runs it, over a realistic generated mailbox, against the
floor: Python's ``email`` compat32 parse of the same files, each in a fresh process, in
the same run (absolute times drift on a shared machine; the ratio is the figure).

For each size (default 2,000 and 10,000 mails: case threads with engineer replies and
signals in Sent Items, replies that lost their number, auto-replies, bounces, noise)
it prints the whole process's wall and CPU time, the split into start-up / sync /
evaluate / draft / release (from the tick's own step log lines), messages/s, drafts/s,
peak RSS, and the parse's time; then the start-up of an idle tick on the migrated
database and of ``mailbot cases`` on an empty one, against ``python -c "import sqlite3,
email"``.

Run: ``.venv/bin/python bench/tick.py [--sizes 2000 10000]``
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mailbox import START, generate  # noqa: E402
from tests import helpers  # noqa: E402

PARSE = """
import sys, os, email
from email.policy import compat32
n = 0
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        with open(os.path.join(root, f), "rb") as fh:
            email.message_from_bytes(fh.read(), policy=compat32)
        n += 1
print(n)
"""


def _child(cmd: list[str], env: dict | None = None) -> tuple[float, float, float, str, str]:
    """(wall s, CPU s, peak RSS MB, stdout, stderr) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024, proc.stdout, proc.stderr


def _config(work: Path, maildir: Path) -> Path:
    data = helpers.config_dict(work, f"sqlite:///{work / 'data' / 'mailbot.db'}")
    data["mailbox"]["maildir"] = {"path": str(maildir), "pickup_dir": str(work / "outgoing")}
    return helpers.write_toml(work / "mailbot.toml", data)


def _steps(stderr: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in stderr.splitlines():
        if line.startswith("{") and '"cycle step"' in line:
            rec = json.loads(line)
            out[rec["step"]] = out.get(rec["step"], 0.0) + rec["seconds"]
    return out


def one_size(root: Path, n: int) -> None:
    maildir = root / f"Maildir-{n}"
    truth = generate(maildir, n)
    work = root / f"work-{n}"
    work.mkdir()
    cfg = _config(work, maildir)
    now = (START + timedelta(days=24)).isoformat()
    env = {"MAILBOT_NOW": now}
    parse_wall, parse_cpu, _, count, _ = _child([sys.executable, "-c", PARSE, str(maildir)])
    wall, cpu, rss, out, err = _child(
        [sys.executable, "-m", "mailbot.cli", "tick", "--config", str(cfg)], env
    )
    steps = _steps(err)
    # drafts in Awaiting Approval and reminders flagged in the Inbox, as the tick reports them
    found = re.search(r"(\d+) drafted/reminded", out)
    drafted = int(found.group(1)) if found else 0
    startup = wall - sum(steps.values())
    print(
        f"{truth.mails} mails ({len(truth.cases)} cases): tick {wall:.2f} s wall, {cpu:.2f} s CPU, "
        f"peak RSS {rss:.0f} MB; compat32 parse {parse_wall:.2f} s wall, {parse_cpu:.2f} s CPU "
        f"({int(count)} files): {wall / parse_wall:.1f}x wall, {cpu / parse_cpu:.1f}x CPU "
        "(target at most 3x)"
    )
    print(
        f"  split: start-up+exit {startup:.2f} s, "
        + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items())
    )
    draft_s = steps.get("draft", 0.0)
    print(
        f"  {truth.mails / wall:.0f} msg/s end to end; {drafted} drafts and reminders, "
        f"{drafted / draft_s if draft_s else 0:.0f}/s ({1000 * draft_s / max(drafted, 1):.1f} ms each)"
    )
    # an idle tick on the now migrated database (the first one files the reminders the
    # tick above put in the Inbox; the next ones are idle)
    tick = [sys.executable, "-m", "mailbot.cli", "tick", "--config", str(cfg)]
    _child(tick, env)
    time.sleep(2.5)  # folders changed within 2 s are not trusted (mailbot/idle.py)
    _child(tick, env)  # a full cycle that records the state the idle ones compare with
    idle, bare = [], []
    for _ in range(5):  # alternated, so both see the same load
        idle.append(_child(tick, env)[0])
        bare.append(_child([sys.executable, "-c", "import sqlite3, email"])[0])
    i, b = statistics.median(idle), statistics.median(bare)
    print(
        f"  idle tick on the migrated database: median {i * 1000:.0f} ms, bare python "
        f"{b * 1000:.0f} ms: {i / b:.1f}x (target at most 3x)"
    )


def startup(root: Path) -> None:
    """`mailbot cases` on an empty database and an idle tick (empty Maildir, migrated
    database), on their fast paths and forced down the full path (no config snapshot,
    no idle state: what every start cost before), beside a bare Python."""
    from mailbot import idle, snapshot

    work = root / "empty"
    work.mkdir()
    maildir = work / "Maildir"
    cfg = _config(work, maildir)
    data_dir = work / "data"
    _child([sys.executable, "-m", "mailbot.cli", "db", "upgrade", "--config", str(cfg)])
    cases = [sys.executable, "-m", "mailbot.cli", "cases", "--config", str(cfg)]
    tick = [sys.executable, "-m", "mailbot.cli", "tick", "--config", str(cfg)]
    _child(tick)  # creates the folders
    time.sleep(2.5)  # folders changed within 2 s are not trusted (mailbot/idle.py)
    _child(tick)  # records the state the idle ticks compare with
    runs: dict[str, list[float]] = {
        k: [] for k in ("bare", "cases", "cases full", "idle", "idle full")
    }
    for _ in range(7):  # alternated, so all see the same load
        runs["bare"].append(_child([sys.executable, "-c", "import sqlite3, email"])[0])
        runs["cases"].append(_child(cases)[0])
        runs["idle"].append(_child(tick)[0])
        snapshot.forget(str(cfg))
        runs["cases full"].append(_child(cases)[0])  # validates and writes the snapshot
        snapshot.forget(str(cfg))
        idle.forget(data_dir)
        runs["idle full"].append(_child(tick)[0])  # the cycle, then the state again
    m = {k: statistics.median(v) for k, v in runs.items()}
    b = m["bare"]
    print(f"start-up: bare `python -c 'import sqlite3, email'` median {b * 1000:.0f} ms")
    for key, what in (
        ("cases", "`mailbot cases`, empty database"),
        ("idle", "idle `mailbot tick`"),
    ):
        print(
            f"  {what}: {m[key] * 1000:.0f} ms = {m[key] / b:.1f}x (target at most 3x); "
            f"full path {m[key + ' full'] * 1000:.0f} ms = {m[key + ' full'] / b:.1f}x"
        )


def compiled_like_installed() -> None:
    """Compile the checkout's modules to bytecode, as pip does when it installs mailbot:
    otherwise, where PYTHONDONTWRITEBYTECODE is set, every timed process would compile
    them from source again (about 0.1 s), which an installed mailbot never does."""
    compileall.compile_dir(Path.cwd() / "mailbot", quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    args = ap.parse_args()
    compiled_like_installed()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(root / "cache")  # the config snapshots
        startup(root)
        for n in args.sizes:
            one_size(root, n)


if __name__ == "__main__":
    main()
