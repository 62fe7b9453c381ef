"""Team workers on the real PostgreSQL with real Maildirs: mailboxes are shared between
workers, each served by one; an engineer's data never reaches another's; a worker whose
lease was taken cannot send, and the new holder sends exactly once."""

from __future__ import annotations

import fcntl
import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, select, text

from mailbot import cli
from mailbot.app import App, open_mailbox
from mailbot.config import Settings
from mailbot.cycle import run_cycle
from mailbot.mailbox.port import MailboxPort
from mailbot.store.models import Case, Outbox
from mailbot.team.config import TeamSettings, load_team
from mailbot.team.leases import LeaseLost
from mailbot.team.tenancy import shared_engine
from mailbot.team.worker import TeamWorker
from mailbot.views import data
from tests import helpers
from tests.team.conftest import later
from tests.team.cuttable import CuttableLink

pytestmark = pytest.mark.postgres
BERLIN = ZoneInfo("Europe/Berlin")
CASES = {"alex": "2611230010001111", "bea": "2611230010002222"}


def team_config(tmp_path: Path, url: str, ids: tuple[str, ...] = ("alex", "bea")) -> TeamSettings:
    doc = team_doc(tmp_path, url, ids)
    return load_team(helpers.write_toml(tmp_path / "team.toml", doc))


def team_doc(tmp_path: Path, url: str, ids: tuple[str, ...]) -> dict:
    """A team file's content: one Maildir engineer per id (mail/<id>, outgoing/<id>)."""
    profile = helpers.config_dict(tmp_path, url)["engineer"]
    people = {
        eid: {
            "engineer": {
                **profile,
                "name": f"{eid.title()} Doe",
                "email": f"{eid}@contoso.example",
            },
            "mailbox": {
                "kind": "maildir",
                "maildir": {"path": f"mail/{eid}", "pickup_dir": f"outgoing/{eid}"},
            },
        }
        for eid in ids
    }
    doc: dict = {
        "team": {"database_url": url, "data_dir": "state"},
        "defaults": {
            "summary": {"enabled": False},
            "calendar": helpers.config_dict(tmp_path, url)["calendar"],
            "cases": {"support_address": helpers.SUPPORT, "internal_domains": ["contoso.example"]},
        },
        "engineers": people,
    }
    return doc


def customer_writes(tmp_path: Path, eid: str, when: datetime) -> None:
    helpers.deliver(
        tmp_path / "mail" / eid,
        helpers.mail(
            to=f"{eid}@contoso.example",
            subject=f"Pipeline fails - TrackingID#{CASES[eid]}",
            when=when,
        ),
    )


@pytest.fixture
def engines(pg_url: str) -> Iterator[list[Engine]]:
    """Two shared engines, as two worker processes would have."""
    made = [shared_engine(pg_url), shared_engine(pg_url)]
    yield made
    for engine in made:
        engine.dispose()


def at(day: int, hour: int, minute: int) -> time_machine.travel:
    return time_machine.travel(datetime(2026, 11, day, hour, minute, tzinfo=BERLIN), tick=False)


def test_two_workers_share_the_mailboxes_and_data_never_crosses(
    tmp_path: Path, pg_url: str, engines: list[Engine]
) -> None:
    team = team_config(tmp_path, pg_url)
    a = TeamWorker(team, engines[0], worker_id="a")
    b = TeamWorker(team, engines[1], worker_id="b")
    with at(30, 9, 30):
        for eid in ("alex", "bea"):
            customer_writes(tmp_path, eid, datetime(2026, 11, 30, 9, 25, tzinfo=BERLIN))
        first = a.round()  # alone: a serves both
        assert sorted(first.served) == ["alex", "bea"]
        for _ in range(2):
            b.round()
            a.round()
        ra, rb = a.round(), b.round()
    assert len(ra.served) == len(rb.served) == 1
    assert sorted(ra.served + rb.served) == ["alex", "bea"]
    for eid in ("alex", "bea"):
        drafts = helpers.folder_files(tmp_path / "mail" / eid, "Mailbot/Awaiting Approval")
        assert len(drafts) == 1
        text_ = drafts[0].read_bytes().decode()
        assert CASES[eid] in text_ and f"{eid.title()} Doe" in text_
        other = next(o for o in CASES if o != eid)
        assert CASES[other] not in text_ and f"{other.title()} Doe" not in text_
    apps = {
        **{s: app for s, (_l, app) in a.apps.items()},
        **{s: app for s, (_l, app) in b.apps.items()},
    }
    for schema, app in apps.items():
        eid = schema.removeprefix("mailbox_")
        with app.sessions() as s:
            assert s.scalars(select(Case.number)).all() == [CASES[eid]]
        with at(30, 9, 40):
            rows = data.open_cases(app, datetime(2026, 11, 30, 9, 40, tzinfo=BERLIN))
        assert [r["number"] for r in rows] == [CASES[eid]]


@pytest.fixture
def approved(
    tmp_path: Path, pg_url: str, engines: list[Engine]
) -> tuple[TeamWorker, TeamWorker, App]:
    """Workers a and b of a one-engineer team; a has served alex, whose first response
    the engineer has approved: a's App is what a holds when it is stopped."""
    team = team_config(tmp_path, pg_url, ids=("alex",))
    a = TeamWorker(team, engines[0], worker_id="a")
    b = TeamWorker(team, engines[1], worker_id="b")
    with at(30, 9, 30):
        customer_writes(tmp_path, "alex", datetime(2026, 11, 30, 9, 25, tzinfo=BERLIN))
        assert a.round().served == ["alex"]
    assert helpers.approve_all(tmp_path / "mail" / "alex") == 1
    ((_lease, app),) = a.apps.values()
    return a, b, app


def test_a_worker_whose_lease_was_taken_cannot_send_and_the_new_holder_sends_once(
    tmp_path: Path, engines: list[Engine], approved: tuple[TeamWorker, TeamWorker, App]
) -> None:
    a, b, paused_app = approved
    # a is paused past its lease (SIGSTOP): b takes the mailbox with the next token.
    later(engines[0], 61)
    assert [lease.token for lease in b.leases.rebalance(b.by_schema)] == [2]
    outgoing = tmp_path / "outgoing" / "alex"
    with at(30, 10, 0):
        # a wakes mid-cycle with its old App (its fence holds token 1) and releases
        # the approved draft: the claim fails its fence, nothing leaves.
        run_cycle(paused_app)
        assert list(outgoing.glob("*.eml")) == []
        assert b.round().served == ["alex"]  # b reads the approval and sends once
        report = a.round()
    assert len(list(outgoing.glob("*.eml"))) == 1
    assert report.dropped == ["alex"] and report.served == []
    with engines[0].connect() as conn:
        claims = conn.execute(text("SELECT token, worker_id FROM mailbot_team.send_claims")).all()
    assert [tuple(c) for c in claims] == [(2, "b")]


def test_a_paused_worker_cannot_send_even_before_anyone_took_over(
    tmp_path: Path, engines: list[Engine], approved: tuple[TeamWorker, TeamWorker, App]
) -> None:
    """The order that matters most: a wakes first, before b ever ran. Its lease has run
    out (unexpired is part of the fence), so its claim is refused; a's next round renews
    the lease (nobody took it) and sends once."""
    a, _b, paused_app = approved
    later(engines[0], 61)
    with at(30, 10, 0):
        run_cycle(paused_app)
        assert list((tmp_path / "outgoing" / "alex").glob("*.eml")) == []
        assert a.round().served == ["alex"]
    assert len(list((tmp_path / "outgoing" / "alex").glob("*.eml"))) == 1


def test_a_worker_that_loses_the_database_drops_everything_and_comes_back(
    tmp_path: Path, pg_url: str
) -> None:
    link = CuttableLink()
    team = team_config(tmp_path, pg_url, ids=("alex",))
    engine = shared_engine(link.url(pg_url))
    try:
        a = TeamWorker(team, engine, worker_id="a")
        with at(30, 9, 30):
            customer_writes(tmp_path, "alex", datetime(2026, 11, 30, 9, 25, tzinfo=BERLIN))
            assert a.round().served == ["alex"]
            link.cut()
            down = a.round()
            assert down.database_down and down.dropped == ["alex"] and a.apps == {}
            assert a.round().database_down  # still down: nothing served, no crash
            link.restore()
            back = a.round()
        assert back.served == ["alex"] and not back.database_down
    finally:
        link.cut()
        engine.dispose()


def test_the_views_take_the_mailbox_and_show_only_its_cases(
    tmp_path: Path, pg_url: str, engines: list[Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    worker = TeamWorker(team_config(tmp_path, pg_url), engines[0], worker_id="a")
    path = str(tmp_path / "team.toml")
    with at(30, 9, 30):
        for eid in ("alex", "bea"):
            customer_writes(tmp_path, eid, datetime(2026, 11, 30, 9, 25, tzinfo=BERLIN))
        worker.round()
        capsys.readouterr()
        for eid in ("alex", "bea"):
            assert cli.main(["team", "cases", "--team", path, "--mailbox", eid, "--json"]) == 0
            rows = json.loads(capsys.readouterr().out)
            assert [r["number"] for r in rows] == [CASES[eid]]
        assert cli.main(["team", "case", CASES["alex"], "-t", path, "-m", "alex", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["number"] == CASES["alex"]
        assert cli.main(["team", "case", CASES["alex"], "-t", path, "-m", "bea"]) == 1
        assert capsys.readouterr().err.strip() == f"no case {CASES['alex']} in mailbox bea"
        assert cli.main(["team", "cases", "-t", path, "-m", "carl"]) == 1
        assert "no mailbox 'carl' in the team (known: alex, bea)" in capsys.readouterr().err


def test_a_worker_stopped_between_claim_and_send_leaves_the_send_to_the_next_holder(
    tmp_path: Path, engines: list[Engine], approved: tuple[TeamWorker, TeamWorker, App]
) -> None:
    _a, b, app = approved
    # a's own monotonic clock jumps a lease ahead right after its claim: it was stopped
    # between the claim and the transmission.
    readings = iter([0.0])
    app.send_fence.monotonic = lambda: next(readings, 10_000.0)  # type: ignore[union-attr]
    outgoing = tmp_path / "outgoing" / "alex"
    with at(30, 10, 0):
        with pytest.raises(LeaseLost):
            run_cycle(app)
        assert list(outgoing.glob("*.eml")) == []
        with app.sessions() as s:
            assert s.scalars(select(Outbox.state)).all() == ["sending"]
        later(engines[0], 61)
        assert b.round().served == ["alex"]  # recovery: no trace of a send, so it goes once
    assert len(list(outgoing.glob("*.eml"))) == 1


def test_a_long_round_rebalances_between_mailboxes(
    tmp_path: Path, pg_url: str, engines: list[Engine]
) -> None:
    """A worker starting alone takes every mailbox and its first round migrates each
    (minutes for 200). A worker that comes up meanwhile must not wait for that round to
    end: a third of a lease into the round, the first worker heartbeats and rebalances
    between two mailboxes and gives back the other's share (found by bench/team.py)."""
    team = team_config(tmp_path, pg_url, ids=("alex", "bea", "cem", "dana"))
    b = TeamWorker(team, engines[1], worker_id="b")
    with at(30, 9, 30) as traveller:

        def slow_open(settings: Settings) -> MailboxPort:
            traveller.shift(team.lease_seconds / 3 + 1)  # each mailbox's first cycle is long
            b.leases.heartbeat()  # b comes up while a is busy
            return open_mailbox(settings)

        a = TeamWorker(team, engines[0], worker_id="a", open_mailbox=slow_open)
        report = a.round()
    assert len(report.served) == 2  # the other two went back to the pool mid-round
    with engines[0].connect() as conn:
        held = conn.execute(
            text("SELECT count(*) FROM mailbot_team.leases WHERE worker_id = 'a'")
        ).scalar()
    assert held == 2
    assert len(b.leases.rebalance(b.by_schema)) == 2  # b takes them at once


def test_a_cycle_lock_left_by_a_stopped_worker_does_not_stop_the_next_holder(
    tmp_path: Path, pg_url: str, engines: list[Engine]
) -> None:
    """A worker SIGSTOPped mid-cycle keeps the flock on the engineer's cycle lock file
    while it is stopped; its lease runs out and another worker takes the mailbox. The
    new holder must serve it (the lease is the team's lock), not wait on the file for
    as long as the other stays stopped (the team drill found every worker frozen)."""
    team = team_config(tmp_path, pg_url, ids=("alex",))
    lock = team.engineers["alex"].data_dir / ".mailbot.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(  # the stopped worker: it holds the lock and does nothing
        ["flock", str(lock), "-c", "echo locked; exec sleep 600"], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        assert _locked(lock)
        a = TeamWorker(team, engines[0], worker_id="a")
        done: list[list[str]] = []
        thread = threading.Thread(target=lambda: done.append(a.round().served), daemon=True)
        with at(30, 9, 30):
            thread.start()
            thread.join(timeout=300)  # generous: a loaded machine; a hang fails here
        assert done == [["alex"]]
    finally:
        holder.kill()
        holder.wait()


def _locked(path: Path) -> bool:
    """Whether another process holds the flock on ``path``."""
    if not path.exists():
        return False
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def test_the_usual_views_take_a_team_mailbox(
    tmp_path: Path, pg_url: str, engines: list[Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    """`mailbot cases --mailbox X` (and case, plan, status) show one engineer of the team,
    and a mark goes to that engineer's mailbox only."""
    team = team_config(tmp_path, pg_url)
    path = str(tmp_path / "team.toml")
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=BERLIN), tick=False):
        for eid in ("alex", "bea"):
            customer_writes(tmp_path, eid, datetime(2026, 11, 30, 9, 30, tzinfo=BERLIN))
        TeamWorker(team, engine=engines[0], worker_id="a").round()
        capsys.readouterr()
        assert cli.main(["cases", "--mailbox", "alex", "--team", path, "--json"]) == 0
        (only,) = json.loads(capsys.readouterr().out)
        assert only["number"] == CASES["alex"]
        assert cli.main(["case", CASES["bea"], "-m", "alex", "-t", path]) == 1  # not alex's
        assert cli.main(["case", CASES["bea"], "mark", "waiting", "-m", "bea", "-t", path]) == 0
        for view in (["plan"], ["status"]):
            assert cli.main([*view, "-m", "bea", "-t", path, "--json"]) in (0, 6)
        capsys.readouterr()
        assert cli.main(["cases", "-m", "nobody", "-t", path]) == 2
        assert "no mailbox 'nobody' in the team" in capsys.readouterr().err
    with engines[0].begin() as conn:
        conn.exec_driver_sql('SET LOCAL search_path TO "mailbox_bea"')
        assert conn.execute(text("SELECT count(*) FROM signals")).scalar() == 1
        conn.exec_driver_sql('SET LOCAL search_path TO "mailbox_alex"')
        assert conn.execute(text("SELECT count(*) FROM signals")).scalar() == 0
