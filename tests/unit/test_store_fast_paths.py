"""The store's shortcuts give what the slow way gives: the text SQLite stores for a
datetime (against SQLAlchemy's own processors) and the planner's view of rows planned in
this batch (against the ORM objects they used to be)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.types import TypeDecorator

from mailbot.domain.kinds import MailKind, OutboxState
from mailbot.store.models import UTCDateTime


def _slow(value: Any) -> Any:
    """The processor SQLAlchemy composes for the type without the fused step."""
    dialect = create_engine("sqlite://").dialect
    return TypeDecorator.bind_processor(UTCDateTime().dialect_impl(dialect), dialect)(value)


def _fast(value: Any) -> Any:
    dialect = create_engine("sqlite://").dialect
    # as a statement's execution gets it (the type as adapted to the dialect)
    return UTCDateTime()._cached_bind_processor(dialect)(value)


def _outcome(fn, value: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(value)
    except Exception as exc:  # both ways must fail alike
        return "error", type(exc)


zones = st.one_of(
    st.just(UTC),
    st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    ).map(lambda d: timezone(timedelta(minutes=d // timedelta(minutes=1)))),
)


@settings(max_examples=3000)
@given(st.datetimes(timezones=zones))
def test_the_fused_sqlite_datetime_text_is_sqlalchemys(value: datetime) -> None:
    assert _outcome(_fast, value) == _outcome(_slow, value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime(2026, 1, 2, 3, 4, 5),  # naive: refused the same way
        datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=1))),  # before year 1 in UTC
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-1))),
        datetime(999, 3, 4, 5, 6, 7, 8, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    ],
)
def test_edge_values_take_the_same_way(value: Any) -> None:
    assert _outcome(_fast, value) == _outcome(_slow, value)


def test_a_subclass_of_datetime_takes_the_slow_way() -> None:
    class Odd(datetime):
        pass

    value = Odd(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert _fast(value) == _slow(value) == "2026-05-06 07:08:09.000000"


def test_the_fused_step_is_really_taken_on_sqlite() -> None:
    dialect = create_engine("sqlite://").dialect
    fast = UTCDateTime()._cached_bind_processor(dialect)
    slow = TypeDecorator.bind_processor(UTCDateTime().dialect_impl(dialect), dialect)
    assert fast.__qualname__ != slow.__qualname__


def test_other_dialects_keep_sqlalchemys_processor() -> None:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    value = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    fast = UTCDateTime()._cached_bind_processor(dialect)
    slow = TypeDecorator.bind_processor(UTCDateTime().dialect_impl(dialect), dialect)
    assert fast(value) == slow(value) == datetime(2026, 1, 1, 10, tzinfo=UTC)


def _dump(engine) -> list[tuple]:
    from sqlalchemy import select

    from mailbot.store.models import Base

    with engine.connect() as conn:
        return [
            (table.name, *row)
            for table in Base.metadata.sorted_tables
            for row in conn.execute(select(table).order_by(*table.primary_key.columns))
        ]


def _orm_insert_rows(s, model: type, rows: list[dict]) -> None:
    """insert_rows as it was: the ORM's bulk INSERT, with NULLs written where rows are
    uniform (the same keys, no None for a column with a default)."""
    from sqlalchemy import insert

    from mailbot.store.bulk import _defaulted

    defaulted = _defaulted(model)
    keys = rows[0].keys()
    uniform = all(
        r.keys() == keys and not any(r.get(k, 0) is None for k in defaulted) for r in rows
    )
    stmt = insert(model)
    if uniform:
        stmt = stmt.execution_options(render_nulls=True)
    s.execute(stmt, rows)


def _both_ways(rows_by_model: list[tuple[type, list[dict]]]) -> tuple[list, list]:
    """The tables after ``insert_rows`` and after the ORM's own bulk INSERT of the same
    rows (what insert_rows did before it went to the table directly)."""
    from sqlalchemy.orm import Session

    from mailbot.store.bulk import insert_rows
    from mailbot.store.models import Base

    dumps = []
    for fast in (True, False):
        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            for model, rows in rows_by_model:
                if fast:
                    insert_rows(s, model, [dict(r) for r in rows])
                else:
                    _orm_insert_rows(s, model, rows)
            s.commit()
        dumps.append(_dump(engine))
    return dumps[0], dumps[1]


NOW = datetime(2026, 10, 29, 8, 0, 1, 5, tzinfo=timezone(timedelta(hours=1)))


def test_insert_rows_stores_what_the_orm_bulk_insert_stored() -> None:
    from mailbot.store.models import Case, Event, MailItem, Outbox

    cases = [
        dict(
            number=str(n),
            subject=f"s{n}",
            state="new",
            opened_at=NOW,
            phase_started_at=NOW,
            customer_cc=["a@b.c"] if n % 2 else [],
            premier=False,
            customer_messages=n,
            updated_at=NOW,
            needs_fold=True,
            recent_message_times=[NOW.isoformat()] if n % 3 else None,  # a renamed column
        )
        for n in range(1, 8)
    ]
    mail = [
        dict(
            folder="INBOX",
            item_key=f"k{n}",
            message_id=f"<m{n}@x>" if n % 2 else None,
            case_id=(n % 7) + 1 if n % 3 else None,
            status="case" if n % 3 else "none",
            subject="Re: x",
            sender="a@b.c" if n % 4 else None,
            sent_at=NOW + timedelta(minutes=n) if n % 5 else None,
            at=NOW,
            ingested_at=NOW,
            direction="customer",
            automatic=None if n % 2 else "bounce",
            facts={"people": ["p@q.r"], "n": n},
        )
        for n in range(20)
    ]
    events = [
        dict(case_id=1, at=NOW, kind="opened", rule="R01" if n % 2 else None, reason="r", data={})
        for n in range(5)
    ]
    planned = {"case_id": 2, "kind": "followup_solution", "audience": "customer", "rule": "R10"}
    planned |= {"reason": "why", "state": "planned", "subject": "s", "facts": {}}
    planned |= dict.fromkeys(("due_at", "created_at", "updated_at"), NOW)
    outbox = [  # no ``attempts``: its default applies
        {"key": f"key{n}", "recipients": {"to": ["a@b.c"], "cc": []}, **planned} for n in range(3)
    ]
    odd_mail = [  # not uniform: a None for a column with a default, and other keys
        {**mail[0], "item_key": "odd1", "subject": None},
        {k: v for k, v in mail[1].items() if k != "facts"} | {"item_key": "odd2"},
    ]
    fast, slow = _both_ways(
        [(Case, cases), (MailItem, mail), (Event, events), (Outbox, outbox), (MailItem, odd_mail)]
    )
    assert fast == slow
    assert len(fast) == 7 + 20 + 5 + 3 + 2


def test_insert_rows_writes_pending_objects_first_as_an_orm_statement_did() -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from mailbot.store.bulk import insert_rows
    from mailbot.store.models import Base, Event

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Event(case_id=None, at=NOW, kind="first", reason="pending", data={}))
        insert_rows(s, Event, [dict(case_id=None, at=NOW, kind="second", reason="r", data={})])
        with s.no_autoflush:
            s.add(Event(case_id=None, at=NOW, kind="fourth", reason="pending", data={}))
            insert_rows(s, Event, [dict(case_id=None, at=NOW, kind="third", reason="r", data={})])
        s.commit()
        kinds = list(s.scalars(select(Event.kind).order_by(Event.id)))
    assert kinds == ["first", "second", "third", "fourth"]


outbox_rows = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(sorted(MailKind)),
            "audience": st.sampled_from(["customer", "engineer"]),
            "state": st.sampled_from(sorted(OutboxState)),
            "facts": st.sampled_from([{}, {"draft_key": "k1"}, {"closure_date": "2026-11-02"}]),
            "created_at": st.integers(0, 5).map(lambda d: NOW + timedelta(days=d)),
            "updated_at": st.integers(0, 5).map(lambda d: NOW + timedelta(days=d)),
            "sent_at": st.none() | st.integers(0, 5).map(lambda d: NOW + timedelta(days=d)),
        }
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(outbox_rows, st.integers(0, 5))
def test_the_planner_reads_stored_columns_and_planned_rows_as_orm_objects(rows, phase) -> None:
    """Evaluation reads a case's outbox rows as columns and its newly planned rows as
    plain objects; the planner's view of them is the one the ORM objects gave."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from mailbot.outbound.outbox import _VIEW_COLUMNS, _PlannedRow
    from mailbot.store.models import Base, Case, Outbox
    from mailbot.store.repo import case_view

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    at = NOW + timedelta(days=phase)
    case = Case(
        id=1, number="7", state="active", opened_at=NOW, phase_started_at=at, updated_at=NOW
    )
    values = [
        dict(key=f"k{i}", case_id=1, rule="R10", reason="r", subject="s", due_at=NOW, **row)
        for i, row in enumerate(rows)
    ]
    with Session(engine) as s:
        s.add(case)
        s.add_all(Outbox(**v) for v in values)
        s.commit()
        orm = list(s.scalars(select(Outbox).order_by(Outbox.id)))
        columns = list(s.execute(select(*_VIEW_COLUMNS).order_by(Outbox.id)))
        assert case_view(case, columns) == case_view(case, orm)
    planned = [{k: v for k, v in row.items() if k != "sent_at"} for row in values]
    pending = [Outbox(**v) for v in planned]  # as plan_row adds them, never flushed
    assert case_view(case, [_PlannedRow(v) for v in planned]) == case_view(case, pending)
    engine.dispose()
