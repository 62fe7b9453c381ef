"""Configuration: typed, validated, one clear error (file, key, why)."""

import subprocess
import sys
from pathlib import Path

import pytest

from mailbot import config
from tests import helpers


def bad(tmp_path, mutate):
    data = helpers.config_dict(tmp_path, "sqlite:///x.db")
    mutate(data)
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, file="mine.toml", base=tmp_path)
    return err.value


@pytest.mark.parametrize("field", config.SIGNATURE_FIELDS)
def test_r24_every_signature_field_is_required(tmp_path, field):
    e = bad(tmp_path, lambda d: d["engineer"].pop(field))
    assert e.key == f"engineer.{field}" and e.file == "mine.toml"
    e = bad(tmp_path, lambda d: d["engineer"].__setitem__(field, "  "))
    assert e.key == f"engineer.{field}"


@pytest.mark.parametrize(
    ("mutate", "key", "why"),
    [
        (lambda d: d["calendar"].__setitem__("timezone", "Mars/Base"), "calendar.timezone", "IANA"),
        (lambda d: d["calendar"].__setitem__("country", "XX"), "calendar.country", "holidays"),
        (lambda d: d["calendar"].__setitem__("end", "08:00"), "calendar.end", "later than start"),
        (lambda d: d["calendar"].__setitem__("start", "9am"), "calendar.start", "09:00"),
        (
            lambda d: d["cases"].__setitem__("support_address", "not-an-address"),
            "cases.support_address",
            "not an email",
        ),
        (
            lambda d: d["cases"].__setitem__("case_number_patterns", ["(unclosed"]),
            "cases.case_number_patterns",
            "regular expression",
        ),
        (lambda d: d["database"].__setitem__("url", "mysql://x"), "database.url", "sqlite"),
        (
            lambda d: d["cases"].__setitem__("languages", ["en", "German"]),
            "cases.languages",
            "two-letter",
        ),
        (
            lambda d: d["mailbox"].__setitem__("kind", "imap"),
            "mailbox.kind",
            '"maildir", "ews" or "graph"',
        ),
        (
            lambda d: d["policy"].__setitem__("closure_min_calendar_days_after_contact", 7),
            "policy.closure_min_calendar_days_after_contact",
            "at least 14",
        ),
        (lambda d: d.__setitem__("approval", {"strike_9": False}), "approval.strike_9", "unknown"),
        (
            lambda d: d["mailbox"]["maildir"].__setitem__("send", "carrier-pigeon"),
            "mailbox.maildir.send",
            "pickup",
        ),
        (
            lambda d: (
                d["mailbox"].__setitem__("smtp", {"host": "h", "password": "hunter2"})
                or d["mailbox"]["maildir"].__setitem__("send", "smtp")
            ),
            "mailbox.smtp.password",
            "never go in the file",
        ),
    ],
)
def test_bad_values_name_the_key_and_why(tmp_path, mutate, key, why):
    e = bad(tmp_path, mutate)
    assert e.key == key and why in e.why


def test_secret_from_environment(tmp_path, monkeypatch):
    data = helpers.config_dict(tmp_path, "sqlite:///x.db")
    data["mailbox"]["maildir"]["send"] = "smtp"
    data["mailbox"]["smtp"] = {
        "host": "127.0.0.1",
        "port": 2525,
        "password_env": "MB_TEST_PW",
        "username": "u",
    }
    with pytest.raises(config.ConfigError, match="MB_TEST_PW is not set"):
        config.parse(data, base=tmp_path)
    monkeypatch.setenv("MB_TEST_PW", "s3cret")
    s = config.parse(data, base=tmp_path)
    assert s.mailbox.smtp.password == "s3cret" and "s3cret" not in repr(s.mailbox.smtp)


def test_example_config_is_valid():
    s = config.load(Path(__file__).parents[2] / "config" / "mailbot.example.toml")
    assert (
        s.policy.followup_business_days == 3
        and s.policy.closure_min_calendar_days_after_contact == 14
    )


def test_check_command_reports_one_clear_line_and_exit_2(tmp_path):
    cfg = tmp_path / "broken.toml"
    cfg.write_text('[engineer]\nname = "A"\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "check", "--config", str(cfg)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "broken.toml" in proc.stderr and "engineer.email" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "check", "--config", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "file not found" in proc.stderr
    cfg.write_text("this is = = not toml", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "check", "--config", str(cfg)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr
