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
