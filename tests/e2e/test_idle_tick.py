"""The idle ``mailbot tick`` (mailbot/idle.py) skips the cycle only when a full cycle
could do nothing: a new mail, an approval move, a timer that falls due, a config edit,
a new mailbot version, a recorded signal and the hourly safety net each bring the full
cycle back. Which path ran shows in the log: the full cycle logs its steps, the idle
one a single "idle tick" line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from mailbot import cli, health, idle
from tests import helpers
from tests.integration.world import berlin

START = berlin(2026, 11, 30, 9, 30)  # a Monday, in working hours


class Cron:
    """``mailbot tick`` run as cron runs it (in this process), over a Maildir and SQLite."""

    def __init__(self, tmp: Path, capsys) -> None:
        self.tmp, self.capsys = tmp, capsys
        self.data = helpers.config_dict(tmp, f"sqlite:///{tmp / 'data' / 'mailbot.db'}")
        self.config = helpers.write_toml(tmp / "mailbot.toml", self.data)
        self.root = tmp / "Maildir"
        self.traveller = time_machine.travel(START, tick=False)
        self.coords = self.traveller.start()

    def at(self, when: datetime) -> Cron:
        self.coords.move_to(when)
        return self

    def later(self, **delta: float) -> Cron:
        return self.at(datetime.now(START.tzinfo) + timedelta(**delta))

    def tick(self) -> str:
        """Run one tick; "idle" or "full", by what it logged."""
        self.capsys.readouterr()
        assert cli.main(["tick", "--config", str(self.config)]) == 0
        captured = self.capsys.readouterr()
        self.out, err = captured.out, captured.err
        if '"idle tick"' in err:
            assert '"cycle step"' not in err
            return "idle"
        assert '"cycle step"' in err, err
        return "full"

    def settle(self) -> None:
        """Date every Maildir directory ten seconds back, as if the last change were
        that old (a directory changed within the file system clock's slack is not
        trusted, and tests do not sleep)."""
        past = int((datetime.now().timestamp() - 10) * 1e9)
        for path in [self.root, *self.root.rglob("*")]:
            if path.is_dir():
                os.utime(path, ns=(past, past))

    def quiet(self) -> None:
        """Tick until the state is recorded: the next tick is then idle."""
        self.tick()
        self.settle()
        assert self.tick() == "full"  # this one records what it began from
        assert self.tick() == "idle"

    def state(self) -> dict:
        return json.loads(idle.state_path(self.tmp / "data").read_text())

    def close(self) -> None:
        self.traveller.stop()


@pytest.fixture
def cron(tmp_path, capsys):
    c = Cron(tmp_path, capsys)
    yield c
    c.close()


def test_an_idle_tick_skips_the_cycle_and_still_counts_as_a_good_cycle(cron):
    cron.quiet()
    cron.later(minutes=5)
    assert cron.tick() == "idle"
    last = health.read(cron.tmp / "data")
    for step in ("sync", "evaluate", "release"):
        assert datetime.fromisoformat(last[step]["last_ok"]) == datetime.now(START.tzinfo)
    assert health.verdict(cron.tmp / "data", 60).healthy
    mode = os.stat(idle.state_path(cron.tmp / "data")).st_mode & 0o777
    assert mode == 0o600


def test_a_new_mail_forces_the_full_cycle(cron):
    cron.quiet()
    helpers.deliver(cron.root, helpers.mail(subject=f"Help - TrackingID#{helpers.CASE}"))
    assert cron.tick() == "full"
    assert "tick: 1 new messages" in cron.out
    assert helpers.folder_files(cron.root, "Mailbot/Awaiting Approval")  # first response


def test_an_approval_move_forces_the_full_cycle(cron):
    helpers.deliver(cron.root, helpers.mail(subject=f"Help - TrackingID#{helpers.CASE}"))
    cron.quiet()  # the first response waits in Awaiting Approval
    assert helpers.folder_files(cron.root, "Mailbot/Awaiting Approval")
    assert helpers.approve_all(cron.root) == 1
    assert cron.tick() == "full"
    assert list((cron.tmp / "outgoing").glob("*.eml"))  # the approved reply went out


def test_a_timer_falling_due_forces_the_full_cycle(cron):
    cron.data["policy"]["draft_reminder_business_hours"] = 1  # a timer within the hour
    helpers.write_toml(cron.config, cron.data)
    helpers.deliver(cron.root, helpers.mail(subject=f"Help - TrackingID#{helpers.CASE}"))
    assert cron.tick() == "full"  # the first response waits for approval from 09:30
    cron.later(minutes=15).settle()
    assert cron.tick() == "full"  # records its state at 09:45
    wake = datetime.fromisoformat(cron.state()["next_wake"])
    assert wake == berlin(2026, 11, 30, 10, 30)  # the draft's reminder
    cron.at(wake - timedelta(seconds=1))
    assert cron.tick() == "idle"
    cron.at(wake)
    assert cron.tick() == "full"
    assert "1 drafted/reminded" in cron.out


def test_a_config_edit_forces_the_full_cycle(cron):
    cron.quiet()
    cron.data["calendar"]["end"] = "16:00"
    helpers.write_toml(cron.config, cron.data)
    assert cron.tick() == "full"


def test_a_config_error_is_never_hidden_by_an_idle_tick(cron):
    cron.quiet()
    cron.config.write_text(cron.config.read_text() + "\n[calendar]\nbogus = 1\n")
    assert cli.main(["tick", "--config", str(cron.config)]) == 2


def test_a_new_mailbot_version_forces_the_full_cycle(cron, monkeypatch):
    cron.quiet()
    import mailbot

    monkeypatch.setattr(mailbot, "__version__", mailbot.__version__ + ".1")  # an upgrade
    assert cron.tick() == "full"


def test_a_recorded_signal_forces_the_full_cycle(cron):
    helpers.deliver(cron.root, helpers.mail(subject=f"Help - TrackingID#{helpers.CASE}"))
    cron.quiet()
    assert cli.main(["case", helpers.CASE, "mark", "researching", "-c", str(cron.config)]) == 0
    assert cron.tick() == "full"


def test_an_hour_without_a_full_cycle_forces_one(cron):
    cron.quiet()
    assert cron.state()["next_wake"] is None  # no case, no summary: no timer at all
    cron.later(minutes=59)
    assert cron.tick() == "idle"
    cron.later(minutes=2)
    assert cron.tick() == "full"


def test_a_database_changed_by_another_process_forces_the_full_cycle(cron):
    """A daemon's step, or a quarantine retry, between two ticks."""
    helpers.deliver(cron.root, helpers.mail(subject=f"Help - TrackingID#{helpers.CASE}"))
    cron.quiet()
    import sqlite3

    conn = sqlite3.connect(cron.tmp / "data" / "mailbot.db")
    with conn:
        conn.execute("UPDATE cases SET next_due_at = '2026-11-30 08:31:00.000000'")
    conn.close()
    assert cron.tick() == "full"


def test_the_idle_tick_runs_on_the_standard_library(cron):
    cron.quiet()
    probe = (
        "import sys; from mailbot import cli; code = cli.main(sys.argv[1:]); "
        "heavy = [m for m in ('sqlalchemy', 'pydantic', 'structlog', 'filelock', 'holidays') "
        "if m in sys.modules]; print(code, heavy)"
    )
    env = {**os.environ, "MAILBOT_NOW": datetime.now(START.tzinfo).isoformat()}
    out = subprocess.run(
        [sys.executable, "-c", probe, "tick", "--config", str(cron.config)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stderr
    assert '"idle tick"' in out.stderr


def test_a_full_tick_hands_the_garbage_collector_back_as_it_found_it(cron):
    """Start-up runs without the collector and freezes what it built (mailbot/cli.py);
    an in-process caller gets the collector back enabled, with nothing left frozen, and
    a disabled collector stays disabled."""
    import gc

    assert cron.tick() == "full"
    assert gc.isenabled() and gc.get_freeze_count() == 0
    cron.later(minutes=5)
    gc.disable()
    try:
        assert cron.tick() == "full"
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
    cron.data["calendar"]["country"] = "XX"  # the tick fails at the config
    helpers.write_toml(cron.config, cron.data)
    assert cli.main(["tick", "--config", str(cron.config)]) == 2
    assert gc.isenabled() and gc.get_freeze_count() == 0
