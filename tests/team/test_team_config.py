"""The team configuration: defaults plus each engineer's own tables make one validated
Settings per engineer; every mistake is one line naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.config import ConfigError
from mailbot.team.config import load_team

PG = "postgresql://mailbot@db.example/mailbot"

TEAM = f"""
[team]
database_url = "{PG}"
data_dir = "state"
lease_seconds = 90

[defaults.calendar]
timezone = "Europe/Berlin"
country = "DE"
start = "09:00"
end = "17:00"

[defaults.cases]
support_address = "support@servicedesk.example"
internal_domains = ["contoso.example"]

[defaults.policy]
followup_business_days = 4
"""


def engineer(eid: str, name: str, extra: str = "", table: str = "") -> str:
    """An engineer's own tables, as a file (``table`` "") or inside a team file."""
    p = f"{table}." if table else ""
    return f"""
[{p}engineer]
name = "{name}"
email = "{eid}@contoso.example"
title = "Support Engineer"
team = "Data Platform Support"
working_hours = "Mon-Fri 09:00-17:00"
phone = "+49 30 5550 1234"
manager_name = "Sam Okafor"
manager_email = "sam.okafor@contoso.example"

[{p}mailbox]
kind = "maildir"

[{p}mailbox.maildir]
path = "mail/{eid}"
{extra}
"""


def team_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_one_file_gives_each_engineer_the_defaults_and_their_own(tmp_path: Path) -> None:
    overrides = "\n[engineers.bea.policy]\nfollowup_business_days = 2\n"
    body = (
        TEAM
        + engineer("alex", "Alex Rivera", table="engineers.alex")
        + engineer("bea", "Bea Kim", table="engineers.bea")
        + overrides
    )
    team = load_team(team_file(tmp_path, body))
    assert list(team.engineers) == ["alex", "bea"]
    alex, bea = team.engineers["alex"], team.engineers["bea"]
    assert alex.engineer.name == "Alex Rivera" and bea.engineer.name == "Bea Kim"
    assert alex.policy.followup_business_days == 4 and bea.policy.followup_business_days == 2
    assert alex.calendar.country == bea.calendar.country == "DE"
    assert alex.database_url == bea.database_url == team.database_url
    assert team.database_url.startswith("postgresql+psycopg://")
    assert alex.data_dir == tmp_path / "state" / "alex"
    assert bea.mailbox.maildir_path == tmp_path / "mail" / "bea"
    assert team.lease_seconds == 90 and team.poll_seconds == 60
    assert team.fair_share(live_workers=2) == 1 and team.fair_share(live_workers=0) == 2


def test_a_directory_holds_one_file_per_engineer(tmp_path: Path) -> None:
    team_file(tmp_path, TEAM)
    (tmp_path / "engineers").mkdir()
    for eid, name in (("alex", "Alex Rivera"), ("bea", "Bea Kim"), ("cem", "Cem Aydin")):
        (tmp_path / "engineers" / f"{eid}.toml").write_text(engineer(eid, name), "utf-8")
    team = load_team(tmp_path)
    assert list(team.engineers) == ["alex", "bea", "cem"]
    assert team.engineers["cem"].source == str(tmp_path / "engineers" / "cem.toml")
    assert team.fair_share(live_workers=2) == 2


def _error(tmp_path: Path, body: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_team(team_file(tmp_path, body))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_mistakes_are_one_line_naming_file_and_key(tmp_path: Path) -> None:
    alex = engineer("alex", "Alex Rivera", table="engineers.alex")
    same_box = engineer("alex", "Alex Again", table="engineers.alex2")
    assert "[engineer.email] 'alex@contoso.example' is also engineer 'alex'" in _error(
        tmp_path, TEAM + alex + same_box
    )
    typo = alex + "\n[engineers.alex.policy]\nfolowup_business_days = 3\n"
    assert "[policy.folowup_business_days]" in _error(tmp_path, TEAM + typo)
    missing = alex.replace('phone = "+49 30 5550 1234"\n', "")
    assert "[engineers.alex]: [engineer.phone]" in _error(tmp_path, TEAM + missing)
    assert "[team.databse_url] unknown key" in _error(
        tmp_path, TEAM.replace("database_url", "databse_url") + alex
    )
    sqlite = TEAM.replace(PG, "sqlite:///team.db")
    assert "postgresql:// URL" in _error(tmp_path, sqlite + alex)
    own_db = alex + '\n[engineers.alex.database]\nurl = "postgresql://x@y/z"\n'
    assert "[database] is set by [team]" in _error(tmp_path, TEAM + own_db)
    assert "[engineers] names no engineer" in _error(tmp_path, TEAM)
    bad_id = engineer("alex", "Alex Rivera", table='engineers."Alex R"')
    assert "engineer id 'Alex R'" in _error(tmp_path, TEAM + bad_id)
    assert "[teams] unknown section" in _error(tmp_path, TEAM + alex + "\n[teams]\nx = 1\n")


def test_a_directory_engineer_also_in_the_team_file_is_refused(tmp_path: Path) -> None:
    team_file(tmp_path, TEAM + engineer("alex", "Alex Rivera", table="engineers.alex"))
    (tmp_path / "engineers").mkdir()
    (tmp_path / "engineers" / "alex.toml").write_text(engineer("alex", "Alex R"), "utf-8")
    with pytest.raises(ConfigError, match="engineer 'alex' is also in"):
        load_team(tmp_path)


def test_the_same_mailbox_written_another_way_is_refused(tmp_path: Path) -> None:
    alex = engineer("alex", "Alex Rivera", table="engineers.alex")
    (tmp_path / "mail" / "alex").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "mail" / "alex")
    for other_path in ("mail/../mail/alex", "link"):
        bea = engineer("bea", "Bea Lund", table="engineers.bea").replace(
            'path = "mail/bea"', f'path = "{other_path}"'
        )
        assert "[mailbox.maildir.path]" in _error(tmp_path, TEAM + alex + bea)
        assert "is also engineer 'alex'" in _error(tmp_path, TEAM + alex + bea)


def test_a_pickup_directory_inside_a_maildir_is_refused(tmp_path: Path) -> None:
    alex = engineer("alex", "Alex Rivera", 'pickup_dir = "out/alex"', table="engineers.alex")
    into_alex = engineer("bea", "Bea Lund", 'pickup_dir = "mail/alex/new"', table="engineers.bea")
    found = _error(tmp_path, TEAM + alex + into_alex)
    assert (
        "[mailbox.maildir.pickup_dir]" in found and "inside the Maildir of engineer 'alex'" in found
    )
    same_two_ways = engineer(
        "bea", "Bea Lund", 'pickup_dir = "out/alex/../alex"', table="engineers.bea"
    )
    assert "is also engineer 'alex'" in _error(tmp_path, TEAM + alex + same_two_ways)


@pytest.mark.postgres
def test_team_check_reaches_the_database_and_finds_missing_folders(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailbot import cli

    alex = engineer("alex", "Alex Rivera", table="engineers.alex")
    good = TEAM.replace(PG, pg_url)
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "mail" / "alex" / sub).mkdir(parents=True, exist_ok=True)
    assert cli.main(["team", "check", "-t", str(team_file(tmp_path, good + alex))]) == 0
    assert "team: 1 engineers" in capsys.readouterr().out

    wrong_port = good.replace("127.0.0.1:5432", "127.0.0.1:1")
    no_maildir = alex.replace('path = "mail/alex"', 'path = "mail/nobody"')
    no_data = wrong_port.replace('data_dir = "state"', 'data_dir = "/proc/nope"')
    assert cli.main(["team", "check", "-t", str(team_file(tmp_path, no_data + no_maildir))]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "[team.database_url] cannot connect" in err[0]
    assert any("[mailbox.maildir.path]" in line and "mkdir -p" in line for line in err)
    assert any("[team.data_dir] /proc/nope/alex cannot be created" in line for line in err)


def test_a_team_database_mistake_names_the_teams_key(tmp_path: Path) -> None:
    alex = engineer("alex", "Alex Rivera", table="engineers.alex")
    no_slot = TEAM.replace('data_dir = "state"', 'data_dir = "state"\npassword_env = "DB_PW"')
    found = _error(tmp_path, no_slot + alex)
    assert "team.toml: [team.password_env] does not apply" in found
    assert "[engineers.alex]" not in found
