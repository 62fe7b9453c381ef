"""The timeline fold alone: time order, not input order; which time a message has."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CaseState, Direction, MailKind
from mailbot.domain.settings import CalendarSettings, Organisation, Policy
from mailbot.domain.timeline import (
    MailEvent,
    OutboxEvent,
    SignalEvent,
    fold,
    mail_time,
    sort_key,
)
from tests.integration.world import BERLIN

CAL = BusinessCalendar.from_settings(
    CalendarSettings(
        BERLIN,
        "DE",
        "BE",
        frozenset(range(5)),
        datetime(2000, 1, 1, 9).time(),
        datetime(2000, 1, 1, 17).time(),
        frozenset(),
    )
)
POLICY = Policy()
ORG = Organisation("alex@contoso.example", "support@desk.example", frozenset({"contoso.example"}))
T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
CUSTOMER = "maria@fabrikam.example"


def mail(at, direction=Direction.CUSTOMER, i=0, sender=CUSTOMER, **facts) -> MailEvent:
    return MailEvent(
        at=at,
        seen_at=at + timedelta(minutes=5),
        order=f"<m{i}@x>",
        direction=direction,
        automatic=facts.pop("automatic", None),
        message_id=f"<m{i}@x>",
        sender=sender if direction == Direction.CUSTOMER else ORG.engineer,
        people=(CUSTOMER,) if direction == Direction.ENGINEER else (),
        facts=facts,
    )


def test_mail_time_trusts_the_mailbox_for_its_own_delivery_and_never_the_future():
    date = datetime(2026, 11, 30, 9, tzinfo=UTC)
    seen = datetime(2026, 11, 30, 12, tzinfo=UTC)
    # a slow sender clock: the server's receipt wins
    assert mail_time(date, date + timedelta(minutes=10), seen) == date + timedelta(minutes=10)
    # a Date ahead of delivery (fast clock, spoof): never later than the delivery
    assert mail_time(date, date - timedelta(hours=3), seen) == date - timedelta(hours=3)
    # a "delivery" days away from the Date is a copy or an import: the Date is used
    assert mail_time(date, date + timedelta(days=20), seen) == date
    # never after mailbot first saw it
    assert mail_time(seen + timedelta(days=2), None, seen) == seen
    assert mail_time(None, None, seen) == seen


def test_engineer_mail_read_before_the_older_customer_mail_still_counts_last():
    customer = mail(T0 + timedelta(hours=1), i=1)
    engineer = mail(T0 + timedelta(hours=2), Direction.ENGINEER, i=2, signal="solution_delivered")
    opener = mail(T0, i=0)
    case, _ = fold([engineer, customer, opener], CAL, POLICY, ORG)
    assert case.state == CaseState.SOLUTION_DELIVERED
    assert case.phase_started_at == engineer.at and case.last_customer_at == customer.at


def _events(draw_kinds: list[int], gaps: list[int]) -> list:
    at = T0
    out = [mail(at, i=0)]
    for i, (k, gap) in enumerate(zip(draw_kinds, gaps, strict=False), start=1):
        at += timedelta(minutes=gap)
        if k == 0:
            out.append(mail(at, i=i))
        elif k == 1:
            out.append(mail(at, i=i, intent="confirmed", intent_words="it works"))
        elif k == 2:
            out.append(mail(at, Direction.ENGINEER, i=i))
        elif k == 3:
            out.append(mail(at, Direction.ENGINEER, i=i, signal="solution_delivered"))
        elif k == 4:
            out.append(mail(at, i=i, automatic="out-of-office", out_of_office=True))
        elif k == 5:
            out.append(SignalEvent(at, at, f"{i:012d}", "called-reached"))
        elif k == 6:
            out.append(SignalEvent(at, at, f"{i:012d}", "pause"))
        elif k == 7:
            out.append(OutboxEvent(at, f"k{i}", "sent", MailKind.FIRST_RESPONSE))
        elif k == 8:
            out.append(OutboxEvent(at, f"k{i}", "rejected", MailKind.FOLLOWUP_INFO))
        elif k == 9:
            out.append(mail(at, i=i, sender="eve@evil.example", intent="confirmed"))
        else:
            out.append(OutboxEvent(at, f"k{i}", "sent", MailKind.LQR_RESOLVED))
    return out


@settings(max_examples=300, deadline=None)
@given(
    kinds=st.lists(st.integers(0, 10), max_size=25),
    gaps=st.lists(st.integers(0, 4000), min_size=25, max_size=25),
    seed=st.integers(0, 10**6),
)
def test_the_fold_depends_on_time_order_only(kinds, gaps, seed):
    events = _events(kinds, gaps)
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    assert fold(shuffled, CAL, POLICY, ORG) == fold(events, CAL, POLICY, ORG)
    # the notes come out in time order too
    _, notes = fold(shuffled, CAL, POLICY, ORG)
    assert [n.at for n in notes] == sorted(n.at for n in notes)


def test_ties_are_broken_by_a_fixed_rule_not_by_input_order():
    at = T0 + timedelta(hours=1)
    a = mail(at, i=1)
    b = mail(at, Direction.ENGINEER, i=2)
    c = SignalEvent(at, at, "000000000001", "researching")
    assert sorted([c, b, a], key=sort_key) == [a, b, c]


def test_a_stranger_moves_nothing():
    opener = mail(T0, i=0)
    eve = mail(T0 + timedelta(hours=1), i=1, sender="eve@evil.example", intent="confirmed")
    case, notes = fold([opener, eve], CAL, POLICY, ORG)
    assert case.state == CaseState.NEW and case.customer_email == CUSTOMER
    assert case.last_customer_at == T0 and case.stranger_seen_at == eve.seen_at
    assert notes[-1].kind == "other"
