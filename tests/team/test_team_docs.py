"""The team file shown in docs/team.md is a valid team configuration (the guide an admin
copies from cannot drift from what mailbot accepts)."""

from __future__ import annotations

import re
from pathlib import Path

from mailbot.team.config import load_team
from mailbot.team.summary import load_reports

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "team.md"


def test_the_team_guides_example_file_is_accepted(tmp_path, monkeypatch):
    (example,) = re.findall(r"```toml\n(.*?)```", GUIDE.read_text(), flags=re.S)
    monkeypatch.setenv("MAILBOT_DB_PASSWORD", "not-a-real-one")
    monkeypatch.setenv("MAILBOT_GRAPH_SECRET", "not-a-real-one")
    path = tmp_path / "team.toml"
    path.write_text(example.replace('"/srv/mailbot"', f'"{tmp_path / "srv"}"'))
    team = load_team(path)
    (alex,) = team.engineers.values()
    assert alex.mailbox.kind == "graph" and alex.mailbox.graph.user == alex.engineer.email
    assert alex.policy.followup_business_days == 2  # the engineer's own number wins
    assert alex.data_dir == tmp_path / "srv" / "alex" and team.lease_seconds == 60
    reports = load_reports(team)  # the managers' summaries come from their own mailbox
    assert reports is not None and reports.mailbox.graph.user.startswith("support-reports@")
