"""The team drill, bounded: four Maildir mailboxes, three real ``mailbot team run``
workers on the local PostgreSQL, one worker SIGKILLed (and restarted) and one SIGSTOPped
beyond its lease (then continued) while customers write and the engineers approve.
Every approved draft goes out exactly once, every mailbox ends served, and each
mailbox's sends carry only its own cases (tests/team/drill.py counts).

Real processes need real time: the lease is the shortest the team config allows (10 s)
and every wait polls a condition with a generous deadline; nothing is timed in an
assert. bench/team.py runs the same drill with about 200 mailboxes and prints figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.team.drill import Drill, write_team

pytestmark = pytest.mark.postgres
LEASE = 10  # seconds: the team configuration's minimum


def test_killed_and_paused_workers_lose_no_send_and_send_nothing_twice(
    tmp_path: Path, pg_url: str
) -> None:
    team = write_team(tmp_path, pg_url, mailboxes=4, lease=LEASE, poll=5)
    drill = Drill(team, workers=3)
    drill.mail_rate = 0.2
    try:
        drill.served_everything()
        drill.strike(stop_for=0, kill=True)  # waits for the takeover, mail arriving
        drill.strike(stop_for=LEASE * 1.5, kill=False)  # continued after the takeover
        drill.chaos(strikes=1, stop_for=LEASE * 1.5, gap=(1, 4))
        drill.settle()
        report = drill.count()
    finally:
        drill.close()
    summary = "\n".join(report.lines())
    assert report.kills >= 1 and report.stops >= 1, summary
    assert report.cases > 0 and report.approved >= report.cases, summary
    assert report.duplicate_sends == 0, summary
    assert report.lost_sends == 0, summary
    assert report.unserved == [] and report.unfiled == [], summary
    assert report.crossed == [], summary
    # both victims held mailboxes; each moved and was served again by its new holder
    assert len(report.takeovers) >= 2 and len(report.served_again) >= 2, summary
    assert sorted(report.spread) == [1, 1, 2], summary  # settled as evenly as it goes
