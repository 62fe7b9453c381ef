"""``mailbot cases`` and ``mailbot case N`` print the same bytes on the lean path
(sqlite3 and the config snapshot, mailbot/views/lean.py) as on the full one
(SQLAlchemy and the full config loader), for the same database and the same "now"."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot import app as app_mod
from mailbot import cli, snapshot
from mailbot.domain.kinds import CaseState, OutboxState
from mailbot.store.lite import connect
from mailbot.store.models import Case, Outbox
from mailbot.views import data, lean, render
from tests import helpers
from tests.integration.world import World, berlin

OTHER = "2611230010009999"
THIRD = "2611230010007777"


@pytest.fixture
def world(tmp_path, db_url):
    """Three cases in different states, a public holiday and a weekend in between."""
    w = World(tmp_path, db_url, berlin(2026, 12, 21, 9, 30))
    w.customer(subject=f"Pipeline fails - TrackingID#{helpers.CASE}")
    w.customer(subject=f"Export slow - TrackingID#{OTHER}", body="Exports take hours.")
    w.tick()
    w.approve()
    w.at(berlin(2026, 12, 21, 10)).tick()  # both first responses sent
    w.customer(subject=f"Login loop - TrackingID#{THIRD}", body="Cannot log in.")
    w.at(berlin(2026, 12, 21, 11)).tick()  # a third, its draft waiting for approval
    w.at(berlin(2026, 12, 29, 15, 45)).tick()  # after Christmas: follow-ups due
    w.config = helpers.write_toml(tmp_path / "mailbot.toml", helpers.config_dict(tmp_path, db_url))
    yield w
    w.close()


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


COMMANDS = [
    ["cases"],
    ["cases", "--json"],
    ["case", helpers.CASE],
    ["case", THIRD, "--json"],
    ["case", OTHER],
    ["case", "0000000000000000"],
]


def test_lean_and_full_print_the_same_bytes(world, capsys, db_url):
    config = str(world.config)
    for argv in COMMANDS:
        snapshot.forget(config)  # the full path (which writes the snapshot again)
        full = _run(capsys, [*argv, "--config", config])
        settings_ = snapshot.load(config)
        assert settings_ is not None
        if db_url.startswith("sqlite"):  # the lean path applies (PostgreSQL stays full)
            assert connect(settings_["database_url"]) is not None
        else:
            assert settings_["database_url"] is None
        again = _run(capsys, [*argv, "--config", config])
        assert again == full, argv
    assert world.case().state  # the cases were there to show
    assert _run(capsys, ["cases", "--json", "--config", config])[1].count('"number"') == 3


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_lean_read_commands_run_without_sqlalchemy(world):
    config = str(world.config)
    cli.main(["cases", "--config", config])  # writes the snapshot
    probe = (
        "import sys; from mailbot import cli; code = cli.main(sys.argv[1:]); "
        "heavy = [m for m in ('sqlalchemy', 'pydantic', 'structlog', 'alembic') "
        "if m in sys.modules]; print(code, heavy)"
    )
    env = {**os.environ, "MAILBOT_NOW": datetime.now(UTC).isoformat()}
    for argv in (["cases", "--json"], ["case", helpers.CASE]):
        out = subprocess.run(
            [sys.executable, "-c", probe, *argv, "--config", config],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert out.stdout.strip().splitlines()[-1] == "0 []", out.stderr


def test_an_unmigrated_database_takes_the_full_path_which_migrates_it(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'data' / 'mailbot.db'}"
    config = str(helpers.write_toml(tmp_path / "m.toml", helpers.config_dict(tmp_path, url)))
    assert cli.main(["cases", "--config", config]) == 0  # creates and migrates, as before
    capsys.readouterr()
    for leftover in (tmp_path / "data").glob("mailbot.db*"):
        leftover.unlink()
    assert snapshot.load(config) is not None
    assert _run(capsys, ["cases", "--json", "--config", config]) == (0, "[]\n", "")
    assert (tmp_path / "data" / "mailbot.db").exists()


# --- the property: any rows, any "now" ----------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
maybe = st.none() | instants
words = st.text(min_size=0, max_size=20)
outbox_rows = st.lists(
    st.fixed_dictionaries(
        {
            "state": st.sampled_from([s.value for s in OutboxState]),
            "audience": st.sampled_from(["customer", "engineer"]),
            "kind": st.sampled_from(["first_response", "followup_info", "remind_call"]),
            "due_at": instants,
            "send_at": maybe,
            "updated_at": instants,
            "blocked_reason": st.none() | words,
        }
    ),
    max_size=3,
)
cases = st.lists(
    st.fixed_dictionaries(
        {
            "state": st.sampled_from([s.value for s in CaseState]),
            "subject": words,
            "customer_name": st.none() | words,
            "opened_at": instants,
            "last_contact_at": maybe,
            "paused_until": maybe,
            "pause_why": st.none() | words,
            "trouble": st.none() | words,
            "retry_at": maybe,
            "next": st.none() | st.tuples(words, instants),
            "rows": outbox_rows,
        }
    ),
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=cases, now=instants)
def test_any_rows_show_the_same_on_both_paths(template_db, cases, now):
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(template_db, work / "mailbot.db")
        url = f"sqlite:///{work / 'mailbot.db'}"
        s_ = helpers.settings(work, url)
        app = app_mod.build(s_, migrate=False, connect=False)
        try:
            _fill(app, cases)
            full = data.open_cases(app, now)
            conn = connect(url)
            assert conn is not None
            try:
                lean_settings = snapshot.lean_settings(s_)
                rows, cal = lean.open_cases(conn, lean_settings, now)
                assert rows == full
                for case in full:
                    detail, _ = lean.case_detail(conn, lean_settings, case["number"], now)
                    assert detail == data.case_detail(app, case["number"], now)
            finally:
                conn.close()
            if rows:
                assert _printed(render.cases_table, rows, cal, now) == _printed(
                    render.cases_table, full, app.calendar, now
                )
        finally:
            app.engine.dispose()


def _printed(fn, *args) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args)
    return out.getvalue()


def _fill(app, cases) -> None:  # type: ignore[no-untyped-def]
    with app.sessions() as s:
        for i, c in enumerate(cases):
            case = Case(
                number=f"26{i:014d}",
                subject=c["subject"],
                state=c["state"],
                customer_name=c["customer_name"],
                customer_email="c@fabrikam.example",
                customer_cc=[],
                premier=False,
                opened_at=c["opened_at"],
                phase_started_at=c["opened_at"],
                last_contact_at=c["last_contact_at"],
                paused_until=c["paused_until"],
                pause_why=c["pause_why"],
                trouble=c["trouble"],
                retry_at=c["retry_at"],
                next_kind="followup_info" if c["next"] else None,
                next_rule="R07" if c["next"] else None,
                next_reason=c["next"][0] if c["next"] else None,
                next_due_at=c["next"][1] if c["next"] else None,
                customer_messages=1,
                updated_at=c["opened_at"],
            )
            s.add(case)
            s.flush()
            for j, r in enumerate(c["rows"]):
                s.add(
                    Outbox(
                        key=f"k{i}-{j}",
                        case_id=case.id,
                        kind=r["kind"],
                        audience=r["audience"],
                        rule="R07",
                        reason="a reason",
                        state=r["state"],
                        subject="RE: x",
                        recipients={"to": [], "cc": []},
                        facts={},
                        due_at=r["due_at"],
                        send_at=r["send_at"],
                        blocked_reason=r["blocked_reason"],
                        created_at=r["due_at"] - timedelta(hours=1),
                        updated_at=r["updated_at"],
                    )
                )
        s.commit()
