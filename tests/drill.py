"""The kill -9 drill: a busy mailbox, ``mailbot tick`` and ``mailbot run`` killed at
random moments (start-up, migration, filing, drafting, sending), the engineer approving
drafts between the kills, then clean runs until nothing moves. It counts what must
hold: every send exactly once (or, when mailbot cannot prove it, a reminder and no
resend), every draft saved once, a database that still opens at the head revision.

Used by tests/e2e/test_kill_drill.py (a few rounds) and bench/killdrill.py (many)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

from tests import helpers

ALL_DAY = {
    "timezone": "UTC",
    "country": "DE",
    "start": "00:00",
    "end": "23:59",
    "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
}
KEY = b"X-Mailbot-Key:"


@dataclass
class DrillReport:
    rounds: int = 0
    kills: Counter = field(default_factory=Counter)  # by command
    cases: int = 0
    sent: int = 0
    duplicate_sends: int = 0
    lost: int = 0  # neither sent nor reported to the engineer
    unconfirmed: int = 0  # not provably sent: reported, never resent
    duplicate_drafts: int = 0
    database_ok: bool = False
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.rounds} rounds, {sum(self.kills.values())} killed mid-run ({dict(self.kills)}), "
            f"{self.cases} cases: {self.sent} sent, "
            f"{self.duplicate_sends} duplicate, {self.lost} lost, {self.unconfirmed} unconfirmed "
            f"(reported), {self.duplicate_drafts} drafts saved twice, database opens: "
            f"{'yes' if self.database_ok else 'NO'} ({self.seconds:.0f} s)"
        )


def _config(tmp: Path, db_url: str) -> Path:
    data = helpers.config_dict(tmp, db_url, rate_limit_per_minute=1000)
    data["calendar"] = ALL_DAY
    data["daemon"] = {"poll_seconds": 5}
    return helpers.write_toml(tmp / "mailbot.toml", data)


def _mailbot(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mailbot.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _files(root: Path) -> list[Path]:
    out = []
    for folder in root.rglob("*"):
        if folder.name in ("cur", "new") and folder.is_dir():
            out += [p for p in folder.iterdir() if p.is_file()]
    return out


def _key_of(path: Path) -> str | None:
    head = path.read_bytes()[:16384]
    for line in head.splitlines():
        if line.startswith(KEY):
            return line[len(KEY) :].strip().decode()
        if not line.strip():
            break
    return None


def run_drill(
    tmp: Path, db_url: str, rounds: int, cases: int = 20, seed: int = 20261201
) -> DrillReport:
    """Run the drill in ``tmp`` on ``db_url`` and return its figures."""
    started = time.monotonic()
    rng = random.Random(seed)
    cfg = _config(tmp, db_url)
    root = tmp / "Maildir"
    pickup = tmp / "outgoing"
    report = DrillReport(cases=cases)
    for i in range(cases):
        helpers.deliver(
            root,
            helpers.mail(
                subject=f"Problem {i} - TrackingID#26113000100{i:05d}",
                sender=f"Cust {i} <c{i}@fabrikam.example>",
            ),
        )
    for n in range(rounds):
        command = "run" if rng.random() < 0.5 else "tick"
        # early kills land in start-up and the first migration, later ones anywhere
        delay = rng.uniform(0.05, 0.8) if n < 2 else rng.uniform(0.2, 3.0)
        proc = _mailbot(command, "--config", str(cfg))
        time.sleep(delay)  # the moment of the kill is the point of the drill
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            report.kills[command] += 1
        proc.wait()
        report.rounds += 1
        if rng.random() < 0.6:
            helpers.approve_all(root, edit=rng.random() < 0.5)
    for _ in range(4):  # clean runs until nothing moves
        helpers.approve_all(root)
        subprocess.run(
            [sys.executable, "-m", "mailbot.cli", "tick", "--config", str(cfg)],
            check=True,
            capture_output=True,
        )
    sent = [message_from_bytes(p.read_bytes()) for p in pickup.glob("*.eml")]
    subjects = Counter(m["Subject"] for m in sent)
    report.sent = len(subjects)
    report.duplicate_sends = sum(c - 1 for c in subjects.values())
    reminders = [p for p in _files(root) if b"X-Mailbot-Kind: remind_unconfirmed" in p.read_bytes()]
    report.unconfirmed = len(reminders)
    report.lost = max(cases - report.sent - report.unconfirmed, 0)
    drafts = Counter(
        k for p in _files(root) if ".Mailbot." in str(p) and (k := _key_of(p)) is not None
    )
    report.duplicate_drafts = sum(c - 1 for c in drafts.values())
    check = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "db", "current", "--config", str(cfg)],
        capture_output=True,
        text=True,
    )
    report.database_ok = check.returncode == 0 and "schema revision: 0" in check.stdout
    report.seconds = time.monotonic() - started
    os.environ.pop("MAILBOT_NOW", None)
    return report
