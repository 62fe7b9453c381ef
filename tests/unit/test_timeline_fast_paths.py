"""A row the sync just filed, turned into what the database would hand back
(mailbot.timeline._as_stored), gives the same event as the row read back: on any text,
any zone, enum values, and facts that JSON changes (tuples, number keys, nesting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from mailbot.domain.kinds import Direction
from mailbot.store.bulk import insert_rows
from mailbot.store.models import Base, Case, MailItem
from mailbot.timeline import _as_stored, _plain, load_events, mail_event

NOW = datetime(2026, 10, 29, 8, tzinfo=UTC)

zones = st.one_of(
    st.just(UTC),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
        lambda m: timezone(timedelta(minutes=m))
    ),
)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
)
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
short = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=16)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), text,
    st.floats(allow_nan=False, allow_infinity=False),
)  # fmt: skip
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(text, st.integers(0, 9)), inner, max_size=4),
    ),
    max_leaves=12,
)
facts = st.dictionaries(text, json_like, max_size=5).flatmap(
    lambda other: st.fixed_dictionaries(
        {},
        optional={  # what the fold reads (as filing writes it, in a list or a tuple)
            "sender_name": text,
            "people": st.lists(text, max_size=3) | st.tuples(text),
            "references": st.lists(text, max_size=3) | st.tuples(text, text),
            "support_cc": st.booleans(),
        },
    ).map(lambda known: {**other, **known})
)
rows = st.fixed_dictionaries(
    {
        "folder": text,
        "item_key": text,
        "message_id": st.none() | text,
        "subject": text,
        "sender": st.none() | text,
        "sent_at": st.none() | moments,
        "at": moments,
        "ingested_at": moments,
        "direction": st.sampled_from(list(Direction)) | short,  # String(16)
        "automatic": st.none() | short | st.sampled_from(list(Direction)),
        "facts": facts,
    }
)


def test_a_filed_row_gives_the_event_its_stored_row_gives(db_url) -> None:
    engine = create_engine(db_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(
            Case(id=1, number="1", state="new", opened_at=NOW, phase_started_at=NOW, updated_at=NOW)
        )
        s.commit()
        case = s.scalar(select(Case))

        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        @given(rows)
        def same(row: dict) -> None:
            row = {**row, "case_id": 1, "status": "case"}
            assert _plain(row)
            with s.begin_nested() as example:  # each example on its own
                insert_rows(s, MailItem, [dict(row)])
                stored = load_events(s, [case])[1]
                example.rollback()
            assert repr(stored) == repr([mail_event(_as_stored(row))])

        same()
        s.rollback()
    engine.dispose()


def _row(case_id: int | None, **changes) -> dict:
    row = dict(
        folder="INBOX", item_key=f"k{case_id}", message_id=None, case_id=case_id, status="case",
        subject="s", sender="a@b.c", sent_at=None, at=NOW, ingested_at=NOW,
        direction=Direction.CUSTOMER, automatic=None, facts={},
    )  # fmt: skip
    return {**row, **changes}


def test_filed_mail_holds_only_cases_whose_every_row_it_has() -> None:
    from mailbot.timeline import FiledMail

    filed = FiledMail()
    filed.add([1, 2, 3], [_row(1), _row(2), _row(9), _row(None, status="none")], joined=set())
    # a later batch: more mail for 1; a parked message joins 2; 3 gets a naive datetime
    filed.add([4], [_row(1), _row(3, at=datetime(2026, 1, 1)), _row(4)], joined={2})
    assert {k: len(v) for k, v in filed.mail.items()} == {1: 2, 4: 1}
    filed.add([5], [{"case_id": 5}], joined=set())  # a row it cannot read: nothing held
    assert filed.mail == {} and filed.failed
    filed.add([6], [_row(6)], joined=set())
    assert filed.mail == {}
