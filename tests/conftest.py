"""Fixtures: every database test runs on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mailbot import app as app_mod
from mailbot import clock
from tests import helpers

PG_ADMIN = os.environ.get(
    "MAILBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:
        return False


PG_UP = _pg_available()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mailbot.db'}"
        return
    if not PG_UP:
        if os.environ.get("MAILBOT_SKIP_POSTGRES") == "1":
            pytest.skip("PostgreSQL skipped by MAILBOT_SKIP_POSTGRES=1")
        pytest.fail(
            "PostgreSQL on 127.0.0.1:5432 is not reachable (scripts/ensure-postgres starts it)"
        )
    with fresh_pg_database("mailbot_t_") as url:
        yield url


@contextlib.contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new database on the local PostgreSQL, dropped (connections and all) afterwards."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str):
    return helpers.settings(tmp_path, db_url)


@pytest.fixture
def app(settings):
    application = app_mod.build(settings)
    yield application
    application.engine.dispose()


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's config snapshots (mailbot/snapshot.py) go to the test's own cache
    directory, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    clock.use(None)
    yield
    clock.use(None)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """A migrated SQLite database to copy: property tests run many examples, each on a
    fresh database, without migrating every time."""
    from mailbot.store.db import make_engine, upgrade

    path = tmp_path_factory.mktemp("tpl") / "mailbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path
