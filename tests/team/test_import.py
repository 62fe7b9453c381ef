"""Moving one engineer from a single-user install into the team database: the team goes
on where the install stopped (nothing filed or sent twice, R26), and a mailbox that a
worker is serving is never imported into."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot import cli
from mailbot.team.config import load_team
from mailbot.team.tenancy import shared_engine
from mailbot.team.worker import TeamWorker
from tests import helpers
from tests.integration.world import World, berlin

pytestmark = pytest.mark.postgres


def _team_file(tmp_path: Path, url: str, w: World) -> str:
    doc = helpers.config_dict(tmp_path, url)
    engineer = {
        "engineer": doc["engineer"],
        "mailbox": {
            "kind": "maildir",
            "maildir": {"path": str(w.root), "pickup_dir": str(w.pickup)},
        },
    }
    team = {
        "team": {"database_url": url, "data_dir": str(tmp_path / "team-state")},
        "defaults": {k: doc[k] for k in ("summary", "calendar", "cases")},
        "engineers": {"alex": engineer},
    }
    return str(helpers.write_toml(tmp_path / "team.toml", team))


def test_r26_an_imported_engineer_goes_on_in_the_team_without_repeats(tmp_path, pg_url, capsys):
    single = f"sqlite:///{tmp_path / 'single' / 'mailbot.db'}"
    w = World(tmp_path / "single", single, berlin(2026, 11, 30, 9, 30))
    engine = shared_engine(pg_url)
    try:
        w.customer(subject=f"Pipeline fails with timeout - TrackingID#{helpers.CASE}")
        w.tick()
        assert w.approve() == 1
        w.at(berlin(2026, 11, 30, 10)).tick()
        w.at(berlin(2026, 11, 30, 11)).tick()
        assert w.sent_kinds() == ["first_response"]
        w.app.engine.dispose()  # the single install stops

        path = _team_file(tmp_path, pg_url, w)
        argv = ["team", "import", "-t", path, "-m", "alex", "--database", single]
        assert cli.main(argv) == 0
        assert "imported into mailbox alex: 1 cases" in capsys.readouterr().out

        worker = TeamWorker(load_team(path), engine=engine)
        w.at(berlin(2026, 11, 30, 12))
        assert worker.round().served == ["alex"]
        assert w.sent_kinds() == ["first_response"]  # not sent again, mail not refiled

        # the mailbox is now the worker's: a second import is refused, nothing copied
        assert cli.main(argv) == 1
        assert "being served by a worker" in capsys.readouterr().err

        w.customer(subject="Login broken - TrackingID#2611300010009999", sender="k@adatum.example")
        w.at(berlin(2026, 11, 30, 13))
        worker.round()
        assert w.approve() == 1
        w.at(berlin(2026, 11, 30, 14))
        worker.round()
        assert w.sent_kinds() == ["first_response", "first_response"]
        worker.leases.leave()
    finally:
        engine.dispose()
        w.traveller.stop()


def test_an_import_with_a_send_in_flight_is_refused(tmp_path, pg_url, capsys):
    from sqlalchemy import update

    from mailbot.store.models import Outbox

    single = f"sqlite:///{tmp_path / 'single' / 'mailbot.db'}"
    w = World(tmp_path / "single", single, berlin(2026, 11, 30, 9, 30))
    try:
        w.customer(subject=f"Pipeline fails with timeout - TrackingID#{helpers.CASE}")
        w.tick()
        with w.app.engine.begin() as conn:  # as a crash in the middle of a send leaves it
            conn.execute(update(Outbox).values(state="sending"))
        w.app.engine.dispose()
        path = _team_file(tmp_path, pg_url, w)
        assert cli.main(["team", "import", "-t", path, "-m", "alex", "--database", single]) == 1
        assert "in flight" in capsys.readouterr().err
    finally:
        w.traveller.stop()
