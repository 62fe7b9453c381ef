"""Operating mailbot as an admin would: the service units, a daemon scraped while it
works (metrics, /healthz going 503 when the mailbox is gone), SIGHUP reloading the
config, quarantined mail listed and retried through the CLI, a backup restored and
opened, ``mailbot status`` for cron users."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import helpers
from tests.e2e.test_cli import ALL_DAY, _wait_for, mailbot

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp: Path, db_url: str, **daemon) -> Path:
    data = helpers.config_dict(tmp, db_url)
    data["calendar"] = ALL_DAY
    data["daemon"] = {"poll_seconds": 5, **daemon}
    return helpers.write_toml(tmp / "mailbot.toml", data)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=600) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


@pytest.mark.parametrize("unit", ["mailbot.service", "user/mailbot.service"])
def test_service_units_are_sandboxed_notify_services_that_systemd_accepts(unit, tmp_path):
    text = (UNITS / unit).read_text()
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "UMask=0077",
    ):
        assert line in text, line
    if unit == "mailbot.service":
        assert "ProtectSystem=strict" in text and "ReadWritePaths=/var/lib/mailbot" in text
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    here = tmp_path / "mailbot.service"  # the same unit, run by the mailbot of this checkout
    here.write_text(
        text.replace(
            "/usr/local/bin/mailbot", str(Path(sys.executable).parent / "mailbot")
        ).replace("%h/.local/bin/mailbot", str(Path(sys.executable).parent / "mailbot"))
    )
    done = subprocess.run([analyze, "verify", str(here)], capture_output=True, text=True)
    assert done.returncode == 0 and "mailbot.service" not in done.stderr, done.stderr


def test_team_unit_runs_a_restarting_sandboxed_worker_that_systemd_accepts(tmp_path):
    text = (UNITS / "mailbot-team.service").read_text()
    for line in (
        "ExecStart=/usr/local/bin/mailbot team run --team /etc/mailbot/team",
        "Type=notify",
        "WatchdogSec=",
        "Restart=always",
        "KillMode=mixed",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "UMask=0077",
    ):
        assert line in text, line
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    here = tmp_path / "mailbot-team.service"
    here.write_text(
        text.replace("/usr/local/bin/mailbot", str(Path(sys.executable).parent / "mailbot"))
    )
    done = subprocess.run([analyze, "verify", str(here)], capture_output=True, text=True)
    assert done.returncode == 0 and "mailbot-team.service" not in done.stderr, done.stderr


def test_daemon_serves_metrics_and_health_and_reloads_on_sighup(tmp_path, db_url):
    port = _free_port()
    cfg = _config(tmp_path, db_url, metrics_address=f"127.0.0.1:{port}")
    maildir = tmp_path / "Maildir"
    helpers.deliver(maildir, helpers.mail())
    log = tmp_path / "daemon.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailbot.cli", "run", "--config", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
    )

    def logged(event: str) -> bool:
        return f'"event": "{event}"' in log.read_text()

    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(lambda: _get(base + "/healthz")[0] == 200)
        drafted = 'mailbot_outbox{kind="first_response",state="drafted"} 1.0'
        assert _wait_for(lambda: drafted in _get(base + "/metrics")[1])
        status, text = _get(base + "/metrics")
        assert status == 200
        assert 'mailbot_messages_ingested{class="customer",folder="INBOX"} 1.0' in text
        assert 'mailbot_outbox{kind="first_response",state="drafted"} 1.0' in text
        assert "mailbot_cycle_step_seconds_bucket" in text
        assert "mailbot_open_cases 1.0" in text and "mailbot_blocked_cases 1.0" in text

        # A bad config on SIGHUP is refused; the daemon goes on with the old one.
        good = cfg.read_text()
        cfg.write_text(good + "\n[nonsense]\nx = 1\n")
        proc.send_signal(signal.SIGHUP)
        assert _wait_for(lambda: logged("new config refused; the old one stays in force"))
        assert _wait_for(lambda: _get(base + "/healthz")[0] == 200)
        cfg.write_text(good)  # a good one is taken
        proc.send_signal(signal.SIGHUP)
        assert _wait_for(lambda: logged("config reloaded"))
        assert _wait_for(lambda: _get(base + "/healthz")[0] == 200)
        # The mailbox disappears: sync fails, and health goes 503 once it is too old.
        shutil.rmtree(maildir)
        maildir.write_text("not a folder")  # the mailbox cannot be read at all
        (tmp_path / "data" / "health.json").write_text(
            json.dumps({"sync": {"last_ok": "2020-01-01T00:00:00+00:00"}})
        )
        assert _wait_for(lambda: _get(base + "/healthz")[0] == 503)
        assert proc.poll() is None  # still running
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=1800)
    assert proc.returncode == 0
    assert logged("stopped")


def test_status_for_cron_users(tmp_path, db_url):
    cfg = _config(tmp_path, db_url)
    never = mailbot("status", "--config", str(cfg), check=False)
    assert never.returncode == 6 and "no good sync step yet" in never.stdout
    helpers.deliver(tmp_path / "Maildir", helpers.mail())
    mailbot("tick", "--config", str(cfg))
    ok = mailbot("status", "--config", str(cfg), "--json")
    data = json.loads(ok.stdout)
    assert data["healthy"] is True and data["open_cases"] == 1
    assert {"folder": "INBOX", "class": "customer", "count": 1} in data["ingested"]


def test_quarantined_mail_is_listed_shown_retried_and_dropped(tmp_path, db_url):
    cfg = _config(tmp_path, db_url)
    maildir = tmp_path / "Maildir"
    helpers.deliver(maildir, helpers.mail())  # Maildir made, a good message
    bad = maildir / "new" / "1700000000.broken.host"
    bad.write_bytes(b"\x00" * 10)  # not a message at all
    mailbot("tick", "--config", str(cfg))
    listed = json.loads(mailbot("quarantine", "list", "--json", "--config", str(cfg)).stdout)
    assert len(listed) == 1 and listed[0]["folder"] == "INBOX"
    qid = str(listed[0]["id"])
    again = mailbot("quarantine", "retry", qid, "--config", str(cfg))
    assert "quarantined again" in again.stdout
    again = mailbot("quarantine", "retry", qid, "--config", str(cfg))  # same id again
    listed = json.loads(mailbot("quarantine", "list", "--json", "--config", str(cfg)).stdout)
    assert [r["id"] for r in listed] == [int(qid)]
    assert listed[0]["retries"] == 2 and listed[0]["retried_at"]
    both = mailbot("quarantine", "retry", qid, "--all", "--config", str(cfg), check=False)
    assert both.returncode == 1 and "without an ID" in both.stderr

    # The engineer repairs the file; the retry files it into its case.
    good = helpers.mail(subject="Second issue - TrackingID#2611020000000777")
    bad.write_bytes(good.as_bytes())
    shown = mailbot("quarantine", "show", str(listed[0]["id"]), "--config", str(cfg))
    assert "Subject: Second issue - TrackingID#2611020000000777" in shown.stdout
    assert "filed" in mailbot("quarantine", "retry", "--all", "--config", str(cfg)).stdout
    assert "no quarantined mail" in mailbot("quarantine", "list", "--config", str(cfg)).stdout
    cases = json.loads(mailbot("cases", "--json", "--config", str(cfg)).stdout)
    assert "2611020000000777" in {c["number"] for c in cases}

    bad2 = maildir / "new" / "1700000001.broken.host"
    bad2.write_bytes(b"\x00")
    mailbot("tick", "--config", str(cfg))
    (row,) = json.loads(mailbot("quarantine", "list", "--json", "--config", str(cfg)).stdout)
    mailbot("quarantine", "drop", str(row["id"]), "--config", str(cfg))
    assert "no quarantined mail" in mailbot("quarantine", "list", "--config", str(cfg)).stdout
    mailbot("tick", "--config", str(cfg))  # a dropped message is not read again
    assert "no quarantined mail" in mailbot("quarantine", "list", "--config", str(cfg)).stdout
    missing = mailbot("quarantine", "retry", "999", "--config", str(cfg), check=False)
    assert missing.returncode == 1 and "no quarantined message 999" in missing.stderr


def test_backup_is_restored_and_opened(tmp_path):
    db = tmp_path / "mb.db"
    cfg = _config(tmp_path, f"sqlite:///{db}")
    helpers.deliver(tmp_path / "Maildir", helpers.mail())
    mailbot("tick", "--config", str(cfg))
    target = tmp_path / "backup.db"
    out = mailbot("db", "backup", str(target), "--config", str(cfg))
    assert "backup written" in out.stdout and target.stat().st_mode & 0o077 == 0
    refused = mailbot("db", "backup", str(target), "--config", str(cfg), check=False)
    assert refused.returncode == 1 and "exists" in refused.stderr
    # Restore: the backup replaces the database; mailbot opens it and knows the case.
    for f in tmp_path.glob("mb.db*"):
        f.unlink()
    shutil.copy(target, db)
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cases = json.loads(mailbot("cases", "--json", "--config", str(cfg)).stdout)
    assert len(cases) == 1


@pytest.mark.postgres
def test_backup_of_postgresql_points_at_pg_dump(tmp_path, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    cfg = _config(tmp_path, db_url)
    out = mailbot("db", "backup", str(tmp_path / "x"), "--config", str(cfg), check=False)
    assert out.returncode == 1 and "pg_dump" in out.stderr


def test_a_metrics_address_already_taken_is_one_config_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = _config(
            tmp_path, f"sqlite:///{tmp_path / 'm.db'}", metrics_address=f"127.0.0.1:{port}"
        )
        helpers.deliver(tmp_path / "Maildir", helpers.mail())
        out = mailbot("run", "--config", str(cfg), check=False)
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if not line.startswith("{")]
    assert len(lines) == 1 and "[daemon.metrics_address] cannot listen on" in lines[0], out.stderr
