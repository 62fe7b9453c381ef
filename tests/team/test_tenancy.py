"""One schema per mailbox on a shared pool: every query, ORM or raw SQL, stays in its
mailbox's schema, and an unscoped query fails instead of reading someone else's rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from mailbot.store.db import SCHEMA_HEAD
from mailbot.store.models import Case
from mailbot.team.tenancy import mailbox_schemas, prepare_mailbox, schema_for, scoped

pytestmark = pytest.mark.postgres


def _case(number: str) -> Case:
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    return Case(
        number=number,
        subject=f"case {number}",
        state="open",
        opened_at=now,
        phase_started_at=now,
        updated_at=now,
    )


def test_each_mailbox_gets_its_own_tables_and_version(team_engine) -> None:
    a, b = schema_for("alex"), schema_for("bea")
    prepare_mailbox(team_engine, a)
    prepare_mailbox(team_engine, b)
    prepare_mailbox(team_engine, a)  # idempotent: already at head
    assert mailbox_schemas(team_engine) == [a, b]
    with team_engine.connect() as conn:
        versions = conn.execute(
            text(
                "SELECT table_schema FROM information_schema.tables "
                "WHERE table_name = 'alembic_version' ORDER BY 1"
            )
        ).scalars()
        assert list(versions) == [a, b]
        for schema in (a, b):
            head = conn.execute(text(f'SELECT version_num FROM "{schema}".alembic_version'))
            assert head.scalar() == SCHEMA_HEAD
        public = conn.execute(
            text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
        )
        assert public.scalar() == 0  # nothing leaked into the default schema


def test_orm_and_raw_sql_stay_in_their_schema(team_engine) -> None:
    a, b = schema_for("alex"), schema_for("bea")
    for schema in (a, b):
        prepare_mailbox(team_engine, schema)
    with Session(scoped(team_engine, a)) as s:
        s.add(_case("1111"))
        s.commit()
    with Session(scoped(team_engine, b)) as s:
        s.add_all([_case("2222"), _case("3333")])
        s.commit()
    # Many rounds on the same pooled connection, alternating mailboxes: psycopg prepares
    # a statement after 5 runs, and the prepared plan must follow the search path.
    for _ in range(8):
        with Session(scoped(team_engine, a)) as s:
            assert s.scalars(select(Case.number)).all() == ["1111"]
            assert s.execute(text("SELECT count(*) FROM cases")).scalar() == 1
        with Session(scoped(team_engine, b)) as s:
            assert sorted(s.scalars(select(Case.number))) == ["2222", "3333"]
            assert s.scalar(select(func.count()).select_from(Case)) == 2
    # A session keeps its scope across commits (each new transaction is scoped again).
    with Session(scoped(team_engine, a)) as s:
        s.add(_case("4444"))
        s.commit()
        assert s.scalar(select(func.count()).select_from(Case)) == 2


def test_an_unscoped_query_fails_closed(team_engine) -> None:
    prepare_mailbox(team_engine, schema_for("alex"))
    with Session(scoped(team_engine, schema_for("alex"))) as s:
        s.execute(text("SELECT 1 FROM cases")).all()  # warms the pool with this connection
    with team_engine.connect() as conn, pytest.raises(ProgrammingError):
        conn.execute(text("SELECT count(*) FROM cases"))


def test_only_mailbox_schemas_can_be_scoped(team_engine) -> None:
    for bad in ("public", "mailbox_Robert'); DROP", "mailbot_team"):
        with pytest.raises(ValueError):
            scoped(team_engine, bad)
    with pytest.raises(ValueError):
        schema_for("Alex Rivera")
