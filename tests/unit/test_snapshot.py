"""The config snapshot (mailbot/snapshot.py) is used only while everything the full
loader read is unchanged; it never holds a secret and never hides a config error."""

from __future__ import annotations

import os
import stat

import pytest

from mailbot import cli, snapshot
from tests import helpers


@pytest.fixture
def config(tmp_path):
    data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'data' / 'mailbot.db'}")
    path = helpers.write_toml(tmp_path / "mailbot.toml", data)
    assert cli.main(["cases", "--config", str(path)]) == 0  # the full path writes it
    assert snapshot.load(str(path)) is not None
    return path, data


def test_it_is_owner_only_and_lives_in_the_cache_directory(config, tmp_path):
    files = sorted((tmp_path / "cache" / "mailbot").iterdir())
    # the config's snapshot and the holidays cache of its calendar
    assert [f.name.split("-")[0] for f in files] == ["config", "holidays"]
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700


def test_an_edited_file_is_not_served_from_the_snapshot(config):
    path, data = config
    data["calendar"]["end"] = "16:30"
    helpers.write_toml(path, data)
    assert snapshot.load(str(path)) is None
    assert cli.main(["cases", "--config", str(path)]) == 0
    assert snapshot.load(str(path))["calendar"]["end"] == "16:30:00"


def test_a_config_error_is_reported_though_a_snapshot_exists(config, capsys):
    path, _data = config
    path.write_text(path.read_text().replace('timezone = "Europe/Berlin"', 'timezone = "Mars"'))
    for argv in (["cases"], ["cases", "--json"], ["case", helpers.CASE], ["tick"]):
        capsys.readouterr()
        assert cli.main([*argv, "--config", str(path)]) == 2, argv
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_changed_environment_variable_in_a_path_is_noticed(tmp_path, monkeypatch):
    monkeypatch.setenv("MAILBOT_TEST_ROOT", str(tmp_path))
    data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'data' / 'mailbot.db'}")
    data["data"]["dir"] = "$MAILBOT_TEST_ROOT/data"
    path = str(helpers.write_toml(tmp_path / "m.toml", data))
    assert cli.main(["cases", "--config", path]) == 0
    assert snapshot.load(path)["data_dir"] == str(tmp_path / "data")
    monkeypatch.setenv("MAILBOT_TEST_ROOT", str(tmp_path / "elsewhere"))
    assert snapshot.load(path) is None


def test_a_secret_is_never_written_and_its_absence_is_noticed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MAILBOT_TEST_SMTP", "hunter2-very-secret")
    data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'data' / 'mailbot.db'}")
    data["mailbox"]["maildir"] = {"path": str(tmp_path / "Maildir"), "send": "smtp"}
    data["mailbox"]["smtp"] = {
        "host": "smtp.contoso.example",
        "port": 587,
        "username": "alex",
        "password_env": "MAILBOT_TEST_SMTP",
    }
    path = str(helpers.write_toml(tmp_path / "m.toml", data))
    assert cli.main(["cases", "--config", path]) == 0, capsys.readouterr().err
    (written,) = (tmp_path / "cache" / "mailbot").glob("config-*")
    assert "hunter2" not in written.read_text()
    assert snapshot.load(path) is not None
    monkeypatch.delenv("MAILBOT_TEST_SMTP")
    assert snapshot.load(path) is None  # the full loader would refuse: so must we
    capsys.readouterr()
    assert cli.main(["cases", "--config", path]) == 2
    assert "MAILBOT_TEST_SMTP" in capsys.readouterr().err


def test_a_file_the_loader_required_is_watched(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'data' / 'mailbot.db'}")
    data["mailbox"]["maildir"] = {"path": str(tmp_path / "Maildir"), "send": "smtp"}
    data["mailbox"]["smtp"] = {"host": "smtp.contoso.example", "ca_bundle": str(bundle)}
    path = str(helpers.write_toml(tmp_path / "m.toml", data))
    assert cli.main(["cases", "--config", path]) == 0
    assert snapshot.load(path) is not None
    os.unlink(bundle)
    assert snapshot.load(path) is None


def test_a_damaged_snapshot_is_ignored(config, tmp_path):
    path, _data = config
    (written,) = (tmp_path / "cache" / "mailbot").glob("config-*")
    written.write_text("{not json")
    assert snapshot.load(str(path)) is None
    written.write_text('{"format": 1, "lists": []}')
    assert snapshot.load(str(path)) is None


def test_the_holidays_it_holds_are_the_packages_day_for_day(config):
    """The lean calendar's holidays come from the snapshot, the full one's from the
    holidays package: every day of the years the snapshot covers, the same answer."""
    from datetime import date, timedelta

    from mailbot import config as config_mod
    from mailbot.domain.calendar import BusinessCalendar
    from mailbot.views import lean

    path, _data = config
    held = snapshot.load(str(path))
    lean_cal = lean.calendar(held)
    assert lean_cal.known_holidays and lean_cal.known_years == snapshot.HOLIDAY_YEARS
    full_cal = BusinessCalendar.from_settings(config_mod.load(path).calendar)
    first, last = snapshot.HOLIDAY_YEARS
    day = date(first - 1, 12, 1)  # and a month either side, asked of the package
    while day <= date(last + 1, 1, 31):
        assert lean_cal.day_off_reason(day) == full_cal.day_off_reason(day), day
        day += timedelta(days=1)


def _load_in_fresh_process(path) -> list[str]:
    """The modules of the holidays package a fresh process loads for the full loader
    (cli._load), and the loaded settings' table of holidays, as lines."""
    import subprocess
    import sys

    code = (
        "import sys, json; from mailbot import cli; s = cli._load(sys.argv[1]); "
        "print(sum(m.startswith('holidays') for m in sys.modules)); "
        "print(json.dumps(s.public_holidays, sort_keys=True))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    ).stdout
    return out.splitlines()


def test_the_holidays_cache_spares_the_package_and_gives_what_it_gave(config, monkeypatch):
    """A second full load of a calendar the package found good does not load the package,
    and its table is the package's, as the snapshot holds it; a changed locale (the names
    of the holidays follow it) asks the package again."""
    import json

    path, _data = config
    first = _load_in_fresh_process(path)
    second = _load_in_fresh_process(path)
    assert second[0] == "0" and first[1] == second[1]
    held = snapshot.load(str(path))["holidays"]
    assert json.loads(second[1]) == held == snapshot.public_holidays("DE", "BE")
    monkeypatch.setenv("LANGUAGE", "de")
    third = _load_in_fresh_process(path)
    assert third[0] != "0"


def test_the_holidays_cache_is_not_used_for_another_calendar_or_package(config, monkeypatch):
    cache = snapshot.HolidayCache
    assert cache.get("DE", "BE") is not None
    assert cache.get("DE", "BY") is None and cache.get("AT", None) is None
    monkeypatch.setattr(snapshot, "_holidays_file", lambda: "/elsewhere/holidays/__init__.py")
    assert cache.get("DE", "BE") is None


def test_an_unknown_calendar_is_reported_with_or_without_the_cache(tmp_path):
    from mailbot import config as config_mod

    for country, subdivision in (("XX", None), ("DE", "ZZ"), ("de", "be!")):
        data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
        data["calendar"]["country"] = country
        data["calendar"]["subdivision"] = subdivision
        errors = []
        for cache in (None, snapshot.HolidayCache, snapshot.HolidayCache):
            with pytest.raises(config_mod.ConfigError) as err:
                config_mod.parse(data, file="f.toml", holidays=cache)
            errors.append(str(err.value))
        assert errors[0] == errors[1] == errors[2] and errors[0].startswith("f.toml: [calendar.")
