"""The `mailbot` command as a user runs it: a config file, a Maildir, a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests import helpers

ALL_DAY = {
    "timezone": "UTC",
    "country": "DE",
    "start": "00:00",
    "end": "23:59",
    "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
}


def write_config(tmp: Path, db_url: str, calendar: dict | None = None, **policy) -> Path:
    data = helpers.config_dict(tmp, db_url, **policy)
    if calendar:
        data["calendar"] = calendar
    data["daemon"] = {"poll_seconds": 5}
    return helpers.write_toml(tmp / "mailbot.toml", data)


def mailbot(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=1800,  # a guard against a hang only: the suite runs on loaded machines
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_tick_cases_case_plan_and_mark(tmp_path, db_url):
    cfg = write_config(tmp_path, db_url)
    missing = mailbot("check", "--config", str(cfg), check=False)
    assert (
        missing.returncode == 2
        and "mailbox.maildir.path" in missing.stderr
        and "does not exist" in missing.stderr
        and "mkdir -p" in missing.stderr
    )
    helpers.deliver(tmp_path / "Maildir", helpers.mail())
    assert "schema revision: 0007" in mailbot("db", "upgrade", "--config", str(cfg)).stdout
    ok = mailbot("check", "--config", str(cfg)).stdout
    assert "config OK" in ok and "holidays DE-BE" in ok and "migrate it by themselves" in ok
    out = mailbot("tick", "--config", str(cfg)).stdout
    assert "1 new messages" in out and "1 drafted" in out
    assert (
        "0 new messages" in mailbot("tick", "--config", str(cfg)).stdout
    )  # a second tick files nothing twice
    cases = json.loads(mailbot("cases", "--config", str(cfg), "--json").stdout)
    assert [c["number"] for c in cases] == [helpers.CASE]
    assert cases[0]["next"]["action"] == "first_response" and cases[0]["next"]["rule"] == "R04"
    detail = json.loads(mailbot("case", helpers.CASE, "--config", str(cfg), "--json").stdout)
    assert [e["kind"] for e in detail["timeline"]][:3] == ["opened", "customer", "planned"]
    assert all(e["reason"] for e in detail["timeline"])
    plan = json.loads(mailbot("plan", "--config", str(cfg), "--json").stdout)
    assert plan and plan[0]["case"] == helpers.CASE
    table = mailbot("cases", "--config", str(cfg)).stdout
    assert helpers.CASE in table
    assert (
        "recorded"
        in mailbot("case", helpers.CASE, "mark", "researching", "--config", str(cfg)).stdout
    )
    bad = mailbot("case", helpers.CASE, "mark", "dance", "--config", str(cfg), check=False)
    assert bad.returncode != 0 and "unknown signal" in bad.stderr
    mailbot("tick", "--config", str(cfg))
    detail = json.loads(mailbot("case", helpers.CASE, "--config", str(cfg), "--json").stdout)
    assert detail["state"] == "active" and any(e["kind"] == "signal" for e in detail["timeline"])


def test_demo_runs_and_shows_the_rules_at_work(tmp_path):
    proc = mailbot("demo", "--dir", str(tmp_path / "demo"), "--json")
    rows = json.loads(proc.stdout)
    text = json.dumps(rows)
    for rule in (
        "R01",
        "R03",
        "R04",
        "R10",
        "R11",
        "R13",
        "R15",
        "R16",
        "R17",
        "R20",
        "R23",
        "R27",
    ):
        assert f'"rule": "{rule}"' in text
    assert "Saturday" in text and "public holiday" in text and "after working hours" in text
    assert any(r["what"] == "left alone" for r in rows)
    closure = [
        m
        for m in (tmp_path / "demo" / "outgoing").glob("*.eml")
        if b"closure_unresponsive" in m.read_bytes()
    ]
    assert len(closure) == 1 and b"sam.okafor@contoso.example" in closure[0].read_bytes()


def _start_daemon(cfg: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mailbot.cli", "run", "--config", str(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, limit: float = 1800.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)  # waiting on another process, not on time itself
    return False


def test_daemon_runs_until_sigterm_and_logs_json(tmp_path, db_url):
    cfg = write_config(tmp_path, db_url, calendar=ALL_DAY)
    helpers.deliver(
        tmp_path / "Maildir",
        helpers.mail(body="my password: Hunter2Hunter2, phone +49 170 5551234"),
    )
    proc = _start_daemon(cfg)
    try:
        assert _wait_for(
            lambda: (
                len(helpers.folder_files(tmp_path / "Maildir", "Mailbot/Awaiting Approval")) == 2
            )
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=1800)
    assert proc.returncode == 0
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line["event"] == "mailbot running" for line in lines)
    assert any(line["event"] == "stopped" for line in lines)
    assert "Hunter2" not in err and "5551234" not in err and "maria" not in err.lower()  # R28


def test_a_tick_ends_its_process_with_its_output_whole_and_the_database_closed(tmp_path):
    """A successful `mailbot tick`, full or idle, ends without the interpreter's teardown
    (mailbot/cli.py, _end_process): its status, its last line and every log line are
    there, and SQLite was closed (its WAL checkpointed: no -wal or -shm file left)."""
    data, maildir = tmp_path / "data", tmp_path / "Maildir"
    cfg = write_config(tmp_path, f"sqlite:///{data / 'mailbot.db'}")
    helpers.deliver(maildir, helpers.mail())

    def tick(new: int) -> str:
        proc = mailbot("tick", "--config", str(cfg))
        assert proc.stdout.startswith(f"tick: {new} new messages") and proc.stdout.endswith(
            " sent\n"
        )
        assert sorted(p.name for p in data.glob("mailbot.db*")) == ["mailbot.db"]
        logged = [json.loads(line)["event"] for line in proc.stderr.splitlines()]
        return "idle" if logged == ["idle tick"] else "full"

    assert tick(1) == "full"
    past = time.time() - 10  # folders changed within the clock's slack are not trusted
    for path in [maildir, *maildir.rglob("*")]:
        if path.is_dir():
            os.utime(path, (past, past))
    assert tick(0) == "full"  # records the state the next one compares with
    assert tick(0) == "idle"
    failed = mailbot("tick", "--config", str(tmp_path / "missing.toml"), check=False)
    assert failed.returncode == 2 and "file not found" in failed.stderr
