"""The rules as pure functions: a case snapshot and a calendar in, decisions out."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CaseState, MailKind
from mailbot.domain.policy import plan
from mailbot.domain.policy.types import CaseView, SentNudge
from mailbot.domain.settings import Policy

BERLIN = ZoneInfo("Europe/Berlin")
CAL = BusinessCalendar(BERLIN, frozenset(range(5)), time(9), time(17), "DE", "BE")
POLICY = Policy()


def local(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN).astimezone(UTC)


MON = local(2026, 11, 30, 10)


def view(state, **kw):
    base = dict(number="1", state=state, opened_at=MON, phase_started_at=MON, last_contact_at=MON)
    base.update(kw)
    return CaseView(**base)


def kinds(decisions):
    return [d.kind for d in decisions]


def test_r04_new_case_gets_a_first_response_at_once():
    (d,) = plan(view(CaseState.NEW), CAL, POLICY)
    assert d.kind == MailKind.FIRST_RESPONSE and d.rule == "R04" and d.due_at == MON
    assert (
        plan(view(CaseState.NEW, kinds_in_phase=frozenset({MailKind.FIRST_RESPONSE})), CAL, POLICY)
        == []
    )


def test_one_customer_draft_at_a_time():
    v = view(CaseState.WAITING_INFO, open_customer_kinds=frozenset({MailKind.FOLLOWUP_INFO}))
    assert plan(v, CAL, POLICY) == []


def test_r07_follow_up_after_three_business_days():
    (d,) = plan(
        view(CaseState.WAITING_INFO, phase_started_at=local(2026, 11, 27, 15)), CAL, POLICY
    )  # Friday
    assert d.kind == MailKind.FOLLOWUP_INFO and d.rule == "R07"
    assert d.due_at == local(2026, 12, 2, 15)  # Wednesday


def test_r07_customer_named_date_wins_over_the_cadence():
    v = view(
        CaseState.WAITING_INFO,
        customer_named_date=local(2026, 12, 1, 9),
        named_date_words="on Tuesday",
    )
    (d,) = plan(v, CAL, POLICY)
    assert d.due_at == local(2026, 12, 1, 14)  # on the customer's date, not Thursday
    assert "on Tuesday" in d.reason


def test_r10_call_reminder_and_daily_follow_ups_after_a_solution():
    v = view(CaseState.SOLUTION_DELIVERED)
    ds = plan(v, CAL, POLICY)
    assert kinds(ds) == [MailKind.REMIND_CALL, MailKind.FOLLOWUP_SOLUTION]
    assert all(d.due_at == MON + timedelta(hours=24) and d.rule == "R10" for d in ds)
    sent = (SentNudge(MailKind.FOLLOWUP_SOLUTION, local(2026, 12, 1, 10)),)
    v2 = replace(
        v,
        nudges_in_phase=sent,
        kinds_in_phase=frozenset({MailKind.REMIND_CALL, MailKind.FOLLOWUP_SOLUTION}),
    )
    (d2,) = plan(v2, CAL, POLICY)
    assert d2.kind == MailKind.FOLLOWUP_SOLUTION and d2.due_at == local(2026, 12, 2, 10)  # daily


def _sent(*kinds_and_times):
    return tuple(SentNudge(k, t, f) for k, t, f in kinds_and_times)


def test_r11_three_strikes_each_after_three_business_days_and_tam_before_strike1_on_premier():
    fs = [(MailKind.FOLLOWUP_SOLUTION, local(2026, 12, d, 10), {}) for d in (1, 2, 3)]
    v = view(
        CaseState.SOLUTION_DELIVERED,
        nudges_in_phase=_sent(*fs),
        premier=True,
        kinds_in_phase=frozenset({MailKind.REMIND_CALL, MailKind.FOLLOWUP_SOLUTION}),
    )
    ds = plan(v, CAL, POLICY)
    assert kinds(ds) == [MailKind.REMIND_TAM, MailKind.STRIKE_1] or kinds(ds) == [
        MailKind.STRIKE_1,
        MailKind.REMIND_TAM,
    ]
    strike = next(d for d in ds if d.kind == MailKind.STRIKE_1)
    assert strike.rule == "R11" and strike.due_at == local(2026, 12, 8, 10)
    not_premier = plan(replace(v, premier=False), CAL, POLICY)
    assert kinds(not_premier) == [MailKind.STRIKE_1]


def test_r12_strike3_carries_the_computed_closure_date():
    nudges = [
        (MailKind.FOLLOWUP_INFO, local(2026, 12, 3, 10), {}),
        (MailKind.STRIKE_1, local(2026, 12, 8, 10), {}),
        (MailKind.STRIKE_2, local(2026, 12, 11, 10), {}),
    ]
    (d,) = plan(view(CaseState.WAITING_INFO, nudges_in_phase=_sent(*nudges)), CAL, POLICY)
    assert d.kind == MailKind.STRIKE_3 and d.due_at == local(2026, 12, 16, 10)
    # 3 business days after Wed 16 Dec → Mon 21 Dec; 30 Nov + 14 = 14 Dec → 21 Dec
    assert d.facts["closure_date"] == "2026-12-21"
    assert "R12" in d.reason


def test_r13_r16_closure_only_after_strike3_and_never_before_14_days():
    nudges = [
        (MailKind.FOLLOWUP_INFO, local(2026, 12, 1, 10), {}),
        (MailKind.STRIKE_1, local(2026, 12, 2, 10), {}),
        (MailKind.STRIKE_2, local(2026, 12, 3, 10), {}),
        (MailKind.STRIKE_3, local(2026, 12, 4, 10), {"closure_date": "2026-12-09"}),
    ]  # a date that breaks R13
    (d,) = plan(view(CaseState.WAITING_INFO, nudges_in_phase=_sent(*nudges)), CAL, POLICY)
    assert d.kind == MailKind.CLOSURE_UNRESPONSIVE and d.rule == "R13"
    assert d.due_at >= MON + timedelta(days=14)
    # R16: without three strikes sent there is no closure decision at all
    for n in range(len(nudges)):
        ds = plan(view(CaseState.WAITING_INFO, nudges_in_phase=_sent(*nudges[:n])), CAL, POLICY)
        assert MailKind.CLOSURE_UNRESPONSIVE not in kinds(ds)


def test_r15_out_of_office_pause_moves_every_due_time():
    until = local(2026, 12, 14, 9)
    ds = plan(view(CaseState.SOLUTION_DELIVERED, paused_until=until), CAL, POLICY)
    assert ds and all(d.due_at == until for d in ds)
    assert "R15" in ds[-1].reason


def test_r16_r17_closing_only_with_the_customers_agreement():
    (d,) = plan(view(CaseState.RESOLVED), CAL, POLICY)
    assert d.kind == MailKind.LQR_RESOLVED and d.rule == "R17"
    (d,) = plan(view(CaseState.RESOLVED_BY_CUSTOMER), CAL, POLICY)
    assert d.kind == MailKind.LQR_RESOLVED_BY_CUSTOMER
    assert (
        plan(view(CaseState.ACTIVE), CAL, POLICY) == []
    )  # ball with the engineer: nothing to the customer
    assert plan(view(CaseState.CLOSED), CAL, POLICY) == []


def test_r27_secret_triggers_reminder_and_rotation_request():
    ds = plan(view(CaseState.NEW, secret_pending="password", secret_seen_at=MON), CAL, POLICY)
    assert {MailKind.REMIND_SECRET, MailKind.ROTATE_SECRET, MailKind.FIRST_RESPONSE} == set(
        kinds(ds)
    )
    assert all(d.rule in ("R27", "R04") for d in ds)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=23),
    st.lists(st.integers(min_value=1, max_value=240), min_size=4, max_size=4),
)
def test_r13_property_no_closure_due_within_14_days_of_contact(day_offset, hour, gaps):
    contact = MON + timedelta(days=day_offset, hours=hour)
    t, nudges = contact, []
    steps = (MailKind.FOLLOWUP_INFO, MailKind.STRIKE_1, MailKind.STRIKE_2, MailKind.STRIKE_3)
    for kind, gap in zip(steps, gaps, strict=True):
        t = t + timedelta(hours=gap)
        facts = {}
        if kind == MailKind.STRIKE_3:
            facts = {"closure_date": CAL.closure_date(t, contact, 3, 14).isoformat()}
        nudges.append(SentNudge(kind, t, facts))
    v = view(
        CaseState.WAITING_INFO,
        phase_started_at=contact,
        last_contact_at=contact,
        nudges_in_phase=tuple(nudges),
    )
    (d,) = plan(v, CAL, POLICY)
    assert d.kind == MailKind.CLOSURE_UNRESPONSIVE
    assert d.due_at >= contact + timedelta(days=14)
    assert CAL.is_business_time(d.due_at)
    assert CAL.local(d.due_at).date() >= date.fromisoformat(nudges[-1].facts["closure_date"])
