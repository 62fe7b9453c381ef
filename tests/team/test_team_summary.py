"""One weekly summary per manager across a team, on the real PostgreSQL with real
Maildirs: two managers, three engineers (Sam manages Alex and Bea, Lee manages Cy).
Sam's summary comes from the reports mailbox and holds exactly Alex's and Bea's cases;
Cy's comes from Cy's own mailbox in the single-engineer form; each is planned and sent
once however many workers run, across a killed worker and a restart."""

from __future__ import annotations

import shutil
from datetime import datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, func, select, text

from mailbot import cli, signals
from mailbot.store.models import Outbox
from mailbot.team.config import TeamSettings, load_team
from mailbot.team.summary import (
    REPORTS_ID,
    TEAM_KIND,
    TeamSummaries,
    manager_groups,
    member_app,
    plan_due,
)
from mailbot.team.tenancy import shared_engine
from mailbot.team.worker import TeamWorker
from tests import helpers
from tests.team.conftest import later

pytestmark = pytest.mark.postgres
BERLIN = ZoneInfo("Europe/Berlin")
CASES = {"alex": "2611230010001111", "bea": "2611230010002222", "cy": "2611230010003333"}
SAM, LEE = "sam.okafor@contoso.example", "lee.park@contoso.example"


def team_config(tmp_path: Path, url: str) -> TeamSettings:
    base = helpers.config_dict(tmp_path, url)
    profile = base["engineer"]

    def person(eid: str, manager: tuple[str, str]) -> dict:
        return {
            "engineer": {
                **profile,
                "name": f"{eid.title()} Doe",
                "email": f"{eid}@contoso.example",
                "manager_name": manager[0],
                "manager_email": manager[1],
            },
            "mailbox": {
                "kind": "maildir",
                "maildir": {"path": f"mail/{eid}", "pickup_dir": f"outgoing/{eid}"},
            },
        }

    doc = {
        "team": {"database_url": url, "data_dir": "state"},
        "defaults": {
            "summary": {"enabled": True},
            "calendar": base["calendar"],
            "cases": {"support_address": helpers.SUPPORT, "internal_domains": ["contoso.example"]},
        },
        "engineers": {
            "alex": person("alex", ("Sam Okafor", SAM)),
            "bea": person("bea", ("Sam Okafor", SAM)),
            "cy": person("cy", ("Lee Park", LEE)),
        },
        "reports": {
            "engineer": {**profile, "name": "Support Reports", "email": "reports@contoso.example"},
            "mailbox": {
                "kind": "maildir",
                "maildir": {"path": "mail/reports", "pickup_dir": "outgoing/reports"},
            },
        },
    }
    return load_team(helpers.write_toml(tmp_path / "team.toml", doc))


def at(day: int, hour: int, minute: int = 0) -> time_machine.travel:
    return time_machine.travel(datetime(2026, 11, day, hour, minute, tzinfo=BERLIN), tick=False)


def sent(tmp_path: Path, mailbox: str) -> list:
    pickup = tmp_path / "outgoing" / mailbox
    if not pickup.exists():
        return []
    return [message_from_bytes(p.read_bytes(), policy=default) for p in pickup.glob("*.eml")]


def summaries(tmp_path: Path, mailbox: str) -> list:
    return [m for m in sent(tmp_path, mailbox) if m["X-Mailbot-Kind"] == "summary_weekly"]


def text_of(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def engines(pg_url: str):  # type: ignore[no-untyped-def]
    made = [shared_engine(pg_url), shared_engine(pg_url)]
    yield made
    for engine in made:
        engine.dispose()


def week_of_cases(tmp_path: Path, team: TeamSettings, engine: Engine) -> None:
    """Monday before the summary time: each engineer's customer writes; one worker files them; each case is
    marked upset, so it is listed at risk with its number."""
    worker = TeamWorker(team, engine, worker_id="setup")
    with at(30, 7):
        for eid, number in CASES.items():
            helpers.deliver(
                tmp_path / "mail" / eid,
                helpers.mail(
                    to=f"{eid}@contoso.example",
                    subject=f"Pipeline fails - TrackingID#{number}",
                    when=datetime(2026, 11, 30, 6, 55, tzinfo=BERLIN),
                ),
            )
        worker.round()
        for eid, number in CASES.items():
            app = member_app(engine, team, eid)
            signals.add(app, number, "upset", datetime(2026, 11, 30, 7, tzinfo=BERLIN))
        worker.round()  # the signals are folded into the cases
    worker.stop()


def test_managers_are_grouped_from_the_signature_and_recipients(tmp_path, pg_url):
    team = team_config(tmp_path, pg_url)
    (group,) = manager_groups(team)
    assert (group.manager, group.members) == (SAM, ("alex", "bea"))
    own = TeamSummaries(team, shared_engine(pg_url), "w").team
    # Sam gets the team's summary, so not Alex's and Bea's as well; Lee keeps Cy's
    assert own.engineers["alex"].summary_recipients == ()
    assert own.engineers["bea"].summary_recipients == ()
    assert own.engineers["cy"].summary_recipients == (LEE,)


def test_each_manager_gets_one_summary_of_exactly_their_engineers_across_two_workers_a_kill_and_a_restart(
    tmp_path: Path, pg_url: str, engines: list[Engine]
) -> None:
    team = team_config(tmp_path, pg_url)
    week_of_cases(tmp_path, team, engines[0])
    a = TeamWorker(team, engines[0], worker_id="a")
    b = TeamWorker(team, engines[1], worker_id="b")
    with at(30, 8, 1):  # Monday: due at 08:00, but held for business time (09:00)
        for _ in range(2):
            a.round()
            b.round()
    assert all(summaries(tmp_path, m) == [] for m in (*CASES, REPORTS_ID))
    assert a.summaries.held is not None and b.summaries.held is None  # one holder
    # a is killed (no clean stop): its leases run out, b takes the reports mailbox over
    later(engines[0], 3 * team.lease_seconds, worker="a")
    with at(30, 9, 0):
        b.round()
        b.round()
    assert b.summaries.held is not None
    restarted = TeamWorker(team, engines[0], worker_id="a")
    with at(30, 9, 5):
        for _ in range(3):
            restarted.round()
            b.round()
    with at(30, 9, 30):
        restarted.round()
        b.round()
    (team_mail,) = summaries(tmp_path, REPORTS_ID)
    assert team_mail["To"] == SAM and team_mail["From"].addresses[0].username == "reports"
    body = text_of(team_mail)
    assert CASES["alex"] in body and CASES["bea"] in body and CASES["cy"] not in body
    assert "Alex Doe" in body and "Bea Doe" in body and "Cy Doe" not in body
    (cy_mail,) = summaries(tmp_path, "cy")
    assert cy_mail["To"] == LEE
    cy_body = text_of(cy_mail)
    assert CASES["cy"] in cy_body and CASES["alex"] not in cy_body and "Bea Doe" not in cy_body
    # no double mail, and no engineer's mailbox carries another's cases
    assert summaries(tmp_path, "alex") == summaries(tmp_path, "bea") == []
    for eid in CASES:
        for m in sent(tmp_path, eid):
            others = [n for o, n in CASES.items() if o != eid]
            assert not any(n in m.as_string() for n in others)
    with engines[0].connect() as conn:
        conn.exec_driver_sql('SET search_path TO "mailbox_reports"')
        rows = conn.execute(select(Outbox.state).where(Outbox.kind == TEAM_KIND)).all()
    assert [str(r[0]) for r in rows] == ["sent"]  # planned once, sent once
    # the next week: one more, still one per manager
    with time_machine.travel(datetime(2026, 12, 7, 9, 30, tzinfo=BERLIN), tick=False):
        restarted.round()
        b.round()
    assert len(summaries(tmp_path, REPORTS_ID)) == 2 and len(summaries(tmp_path, "cy")) == 2
    restarted.stop()
    b.stop()


def test_two_planners_at_once_plan_one_row(tmp_path: Path, pg_url: str, engines: list[Engine]):
    team = team_config(tmp_path, pg_url)
    firsts = [TeamSummaries(team, e, f"w{i}") for i, e in enumerate(engines)]
    groups = firsts[0].groups
    from mailbot.app import build
    from mailbot.team.tenancy import prepare_mailbox, scoped

    prepare_mailbox(engines[0], "mailbox_reports")
    apps = [
        build(firsts[0].reports, migrate=False, connect=False, engine=scoped(e, "mailbox_reports"))
        for e in engines
    ]
    now = datetime(2026, 11, 30, 8, 30, tzinfo=BERLIN)
    assert plan_due(apps[0], groups, now) == 1
    assert plan_due(apps[1], groups, now) == 0
    with apps[1].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1


def test_team_summary_text_alternative_and_headless_chromium(tmp_path, pg_url, engines, capsys):
    team = team_config(tmp_path, pg_url)
    week_of_cases(tmp_path, team, engines[0])
    path = str(tmp_path / "team.toml")
    with at(30, 9, 30):
        assert cli.main(["team", "summary", "-t", path, "--manager", SAM]) == 0
        text = capsys.readouterr().out
        page = tmp_path / "summary.html"
        assert cli.main(["team", "summary", "-t", path, "--manager", SAM, "--html", str(page)]) == 0
        assert cli.main(["team", "summary", "-t", path, "--manager", "nobody@x.example"]) == 1
    assert "team of 2 engineers" in text
    assert cli.main(["team", "check", "-t", path]) == 0
    assert "reports mailbox: 1 manager summaries a week" in capsys.readouterr().out
    for words in ("Alex Doe", "Bea Doe", "  Team", "Cases opened: 1 (last week 0)"):
        assert words in text
    assert "Dissatisfied" in text or "dissatisfied" in text
    assert "Cy Doe" not in text and CASES["cy"] not in text
    html = page.read_text(encoding="utf-8")
    assert "Alex Doe" in html and "Bea Doe" in html and "Cy Doe" not in html
    if shutil.which("chromium") is None:
        pytest.skip("chromium not installed (scripts/ensure-chromium installs it)")
    dark_blue, table_header = helpers.chromium_screenshot(page, tmp_path, "700,1400")
    assert dark_blue.sum() > 500  # the chart is drawn
    assert table_header > 2000  # the tables' shaded header rows are painted


def test_a_worker_stopped_between_claim_and_send_leaves_the_team_summary_to_the_next_holder(
    tmp_path: Path, pg_url: str, engines: list[Engine]
) -> None:
    team = team_config(tmp_path, pg_url)
    week_of_cases(tmp_path, team, engines[0])
    a = TeamWorker(team, engines[0], worker_id="a")
    b = TeamWorker(team, engines[1], worker_id="b")
    with at(30, 8, 1):
        a.round()  # planned and drafted, held for business time
    _lease, app = a.summaries.held  # type: ignore[misc]
    # a's monotonic clock jumps a lease ahead right after its claim: it was stopped
    # between the claim and the transmission
    readings = iter([0.0])
    app.send_fence.monotonic = lambda: next(readings, 10_000.0)  # type: ignore[union-attr]
    with at(30, 9, 0):
        assert "reports" in a.round().failed
        assert summaries(tmp_path, REPORTS_ID) == []
        with app.sessions() as s:
            assert s.scalars(select(Outbox.state).where(Outbox.kind == TEAM_KIND)).all() == [
                "sending"
            ]
        later(engines[0], 3 * team.lease_seconds, worker="a")
        b.round()  # takes the reports mailbox over: recovery finds no trace, sends once
        b.round()
        a.round()
    assert len(summaries(tmp_path, REPORTS_ID)) == 1
    assert b.summaries.held is not None and a.summaries.held is None
    with engines[0].connect() as conn:
        claims = conn.execute(
            text("SELECT token, worker_id FROM mailbot_team.send_claims WHERE mailbox = :m"),
            {"m": "mailbox_reports"},
        ).all()
    assert [c[1] for c in claims] == ["a/reports", "b/reports"] and claims[1][0] > claims[0][0]
    a.stop()
    b.stop()
