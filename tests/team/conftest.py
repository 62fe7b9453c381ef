"""Team tests run on the local PostgreSQL only (a team requires it): each test gets a
fresh database, dropped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from mailbot.team.tenancy import shared_engine
from tests.conftest import PG_UP, fresh_pg_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_UP:
        if os.environ.get("MAILBOT_SKIP_POSTGRES") == "1":
            pytest.skip("PostgreSQL skipped by MAILBOT_SKIP_POSTGRES=1")
        pytest.fail("PostgreSQL on 127.0.0.1:5432 is not reachable (scripts/ensure-postgres)")
    with fresh_pg_database("mailbot_team_") as url:
        yield url


@pytest.fixture
def team_engine(pg_url: str) -> Iterator[Engine]:
    engine = shared_engine(pg_url)
    yield engine
    engine.dispose()


def later(engine: Engine, seconds: int, worker: str | None = None) -> None:
    """The database clock as if ``seconds`` had passed for these rows: every lease (and
    the heartbeat of ``worker``, or of every worker) moves that far into the past."""
    with engine.begin() as conn:
        shift = {"s": seconds}
        conn.execute(
            text(
                "UPDATE mailbot_team.leases SET expires_at = expires_at - make_interval(secs => :s),"
                " acquired_at = acquired_at - make_interval(secs => :s)"
            ),
            shift,
        )
        conn.execute(
            text(
                "UPDATE mailbot_team.workers SET heartbeat_at = heartbeat_at - make_interval(secs => :s)"
                " WHERE CAST(:w AS text) IS NULL OR worker_id = :w"
            ),
            {**shift, "w": worker},
        )
