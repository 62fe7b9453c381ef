"""`mailbot team run` as real processes on one PostgreSQL: two workers share four
mailboxes, one is killed (SIGKILL) and the other takes its mailboxes over; SIGTERM gives
every lease back. The lease time is waited out in the database (rows moved into the
past), and the test follows the workers' own log lines, so nothing sleeps."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.team.conftest import later
from tests.team.test_worker import team_config

pytestmark = pytest.mark.postgres
IDS = ("alex", "bea", "cem", "dana")
PATIENCE = 300  # seconds: a loaded machine can be slow, a wrong answer is never late


class Worker:
    def __init__(self, team_file: Path, cwd: Path, **extra_env: str) -> None:
        env = {**os.environ, "MAILBOT_TEAM": str(team_file), **extra_env}
        env.pop("MAILBOT_NOW", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "team", "run"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def rounds(self) -> Iterator[dict]:
        """The worker's "team round" log lines, as they come."""
        sel = selectors.DefaultSelector()
        assert self.proc.stderr is not None
        sel.register(self.proc.stderr, selectors.EVENT_READ)
        while True:
            if not sel.select(timeout=PATIENCE):
                raise AssertionError("the worker logged nothing for a long time")
            line = self.proc.stderr.readline()
            if not line:
                return
            with_event = json.loads(line) if line.startswith("{") else {}
            if with_event.get("event") == "team round":
                yield with_event

    def until(self, served: int) -> None:
        for report in self.rounds():
            if report["served"] == served:
                return
        raise AssertionError(f"the worker ended before serving {served}")

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=PATIENCE)


def owners(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT worker_id, count(*) FROM mailbot_team.leases "
                "WHERE worker_id IS NOT NULL GROUP BY worker_id"
            )
        )
        return {w: n for w, n in rows}


def test_killed_worker_is_taken_over_and_a_stopped_one_gives_everything_back(
    tmp_path: Path, pg_url: str, team_engine: Engine
) -> None:
    team_config(tmp_path, pg_url, ids=IDS)
    team_file = tmp_path / "team.toml"
    text_ = team_file.read_text().replace(
        'data_dir = "state"', 'data_dir = "state"\npoll_seconds = 5'
    )
    team_file.write_text(text_)
    root = Path(__file__).resolve().parents[2]
    first = Worker(team_file, root)
    second = None
    try:
        first.until(served=4)  # alone, it serves every mailbox
        second = Worker(team_file, root)
        second.until(served=2)  # the first gives two back, the second takes them
        first.until(served=2)
        assert sorted(owners(team_engine).values()) == [2, 2]
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=PATIENCE)
        later(team_engine, 61)  # the killed worker's heartbeat and leases run out
        second.until(served=4)
        assert list(owners(team_engine).values()) == [4]
        second.proc.send_signal(signal.SIGTERM)
        assert second.proc.wait(timeout=PATIENCE) == 0
        assert owners(team_engine) == {}
        with team_engine.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM mailbot_team.workers")).scalar()
        assert left == 1  # only the killed worker's row, which never said goodbye
    finally:
        first.end()
        if second is not None:
            second.end()


def test_team_worker_tells_systemd_ready_watchdog_and_stopping(tmp_path: Path, pg_url: str) -> None:
    """Under the mailbot-team unit (Type=notify, WatchdogSec): READY after the first
    round, a watchdog ping for each mailbox and round, STOPPING on SIGTERM."""
    import socket

    team_config(tmp_path, pg_url, ids=("alex", "bea"))
    address = str(tmp_path / "notify.sock")
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(address)
    systemd.settimeout(PATIENCE)
    worker = Worker(
        tmp_path / "team.toml", Path(__file__).resolve().parents[2], NOTIFY_SOCKET=address
    )
    try:
        said = []
        while "READY=1" not in said:
            said.append(systemd.recv(256).decode())
        assert set(said) <= {"WATCHDOG=1", "READY=1"}  # pinged before each mailbox served
        assert systemd.recv(256).decode() == "WATCHDOG=1"  # and after each round
        worker.proc.send_signal(signal.SIGTERM)
        while (message := systemd.recv(256).decode()) == "WATCHDOG=1":
            pass
        assert message == "STOPPING=1"
        assert worker.proc.wait(timeout=PATIENCE) == 0
    finally:
        worker.end()
        systemd.close()
