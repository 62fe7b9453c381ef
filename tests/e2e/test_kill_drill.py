"""R26 and crash safety, as a drill: ``mailbot tick`` and ``mailbot run`` killed with
SIGKILL at random moments over a busy mailbox, on SQLite and PostgreSQL. Never a send
twice, never one lost without telling the engineer, never a draft saved twice, and the
database still opens. (bench/killdrill.py runs the same drill for many more rounds.)"""

from __future__ import annotations

from tests.drill import run_drill


def test_r26_kill_9_of_tick_and_run_at_random_moments(tmp_path, db_url):
    report = run_drill(tmp_path, db_url, rounds=6, cases=12)
    assert report.duplicate_sends == 0 and report.duplicate_drafts == 0, report.line()
    assert report.lost == 0 and report.database_ok, report.line()
    assert report.sent + report.unconfirmed == report.cases, report.line()
