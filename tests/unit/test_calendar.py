"""Business time: working hours, weekends, public holidays, days off (R23, R12)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.domain.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
CAL = BusinessCalendar(
    BERLIN, frozenset(range(5)), time(9), time(17), "DE", "BE", frozenset({date(2026, 12, 24)})
)


def local(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN).astimezone(UTC)


def test_weekends_holidays_and_days_off_are_not_business_days():
    assert CAL.day_off_reason(date(2026, 11, 28)) == "Saturday"
    assert "Christmas" in CAL.day_off_reason(date(2026, 12, 25))
    assert CAL.day_off_reason(date(2026, 12, 24)) == "day off"
    assert CAL.day_off_reason(date(2026, 11, 30)) is None


def test_r23_next_business_time_after_hours_weekend_and_holiday():
    # Friday 22:00 → Monday 09:00
    assert CAL.next_business_time(local(2026, 11, 27, 22)) == local(2026, 11, 30, 9)
    # Saturday noon → Monday 09:00
    assert CAL.next_business_time(local(2026, 11, 28, 12)) == local(2026, 11, 30, 9)
    # Wednesday 23 Dec evening → day off, Christmas, weekend → Monday 28 Dec 09:00
    assert CAL.next_business_time(local(2026, 12, 23, 19)) == local(2026, 12, 28, 9)
    # inside the window: unchanged
    assert CAL.next_business_time(local(2026, 11, 30, 10, 30)) == local(2026, 11, 30, 10, 30)
    # before hours: same morning
    assert CAL.next_business_time(local(2026, 11, 30, 7)) == local(2026, 11, 30, 9)


def test_add_business_days_keeps_time_of_day_and_skips_days_off():
    assert CAL.add_business_days(local(2026, 11, 26, 10), 3) == local(2026, 12, 1, 10)  # Thu → Tue
    assert CAL.add_business_days(local(2026, 12, 22, 15), 2) == local(
        2026, 12, 28, 15
    )  # skips 24, 25, 26, 27
    assert CAL.add_business_days(local(2026, 11, 28, 12), 1) == local(
        2026, 12, 1, 9
    )  # Saturday counts from Monday 09:00


def test_business_days_between_counts_only_working_hours():
    assert (
        CAL.business_days_between(local(2026, 11, 27, 13), local(2026, 11, 30, 13)) == 1.0
    )  # Fri 13 → Mon 13
    assert CAL.business_days_between(local(2026, 11, 30, 9), local(2026, 11, 30, 13)) == 0.5


def test_r12_closure_date_is_three_business_days_after_strike3_and_14_days_after_contact():
    # strike 3 on Tue 22 Dec; 3 business days: 23, 28, 29 → 29 Dec; contact 30 Nov + 14 = 14 Dec
    assert CAL.closure_date(local(2026, 12, 22, 12), local(2026, 11, 30, 10), 3, 14) == date(
        2026, 12, 29
    )
    # a recent contact pushes it: contact 21 Dec + 14 = 4 Jan 2027 (a Monday)
    assert CAL.closure_date(local(2026, 12, 22, 12), local(2026, 12, 21, 10), 3, 14) == date(
        2027, 1, 4
    )


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(instants)
def test_r23_property_next_business_time_is_always_business_time(at):
    nxt = CAL.next_business_time(at)
    assert nxt >= at
    assert CAL.is_business_time(nxt)
    # nothing in between is business time when it had to move
    if nxt != at:
        assert not CAL.is_business_time(at)


@settings(max_examples=200, deadline=None)
@given(instants, instants)
def test_r12_r13_property_closure_date_respects_both_floors(strike3, contact):
    closure = CAL.closure_date(strike3, contact, 3, 14)
    assert CAL.is_business_day(closure)
    assert closure >= CAL.local(contact).date() + timedelta(days=14)
    assert closure >= CAL.local(CAL.add_business_days(strike3, 3)).date()


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 1)),
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=120)),
)
def test_business_days_between_counts_every_day_as_a_day_by_day_walk_would(start, span):
    """The month memo gives exactly the day-by-day sum, over any span."""
    a = start.replace(tzinfo=UTC)
    b = a + span
    walk, day = 0.0, CAL.local(a).date()
    while day <= CAL.local(b).date():
        w = CAL.business_window(day)
        if w is not None:
            lo, hi = max(w[0], a), min(w[1], b)
            walk += max((hi - lo).total_seconds(), 0.0)
        day += timedelta(days=1)
    hours = (CAL.end.hour - CAL.start.hour) * 3600
    assert abs(CAL.business_days_between(a, b) - walk / hours) < 1e-9
