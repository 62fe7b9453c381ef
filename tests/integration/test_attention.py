"""R05, R06, R08, R09, R22, R30 end to end: words in mail and engineer signals drive
reminders and drafts through the real engine (Maildir + database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mailbot import signals
from mailbot.domain.kinds import CaseState
from tests import helpers
from tests.integration.world import World, berlin

SUBJ = f"RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}"


@pytest.fixture
def world(tmp_path, db_url):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    w.customer(subject=f"Pipeline fails with timeout - TrackingID#{helpers.CASE}")
    w.tick()
    w.approve()
    w.at(berlin(2026, 11, 30, 10)).tick()  # first response sent: waiting for the customer
    yield w
    w.close()


def test_r08_r30_strong_wording_reminds_to_propose_a_call_and_escalate(world):
    world.at(berlin(2026, 12, 1, 10)).customer(
        body="This is unacceptable, we are losing data every night.", subject=SUBJ
    )
    world.tick()
    assert {"remind_propose_call", "remind_dissatisfied"} <= set(world.inbox_reminders())
    attention = world.events("attention")
    assert attention and attention[0].rule == "R08" and "unacceptable" in attention[0].reason


def test_r08_too_much_back_and_forth_is_noticed(world):
    """R08 counts the thread's messages in both directions: the customer's first mail
    and mailbot's first response, then two more questions and two answers from the
    engineer within five business days are six."""
    for i in range(4):
        world.at(berlin(2026, 12, 1, 9 + i))
        if i % 2:
            world.engineer_sent(f"Thanks, here is answer {i}.")
        else:
            world.customer(body=f"One more detail, number {i}.", subject=SUBJ)
        world.tick()
        if i == 2:  # five messages are not yet too many
            assert "remind_propose_call" not in world.inbox_reminders()
    assert "remind_propose_call" in world.inbox_reminders()
    assert "6 messages back and forth" in world.events("attention")[0].reason


def test_r05_customer_asking_for_a_call_turns_follow_ups_into_call_reminders(world):
    world.at(berlin(2026, 12, 1, 10)).customer(
        body="Please call me at the number below, that is easier.", subject=SUBJ
    )
    world.tick()
    assert world.case().contact_preference == "phone"
    world.at(berlin(2026, 12, 1, 11)).engineer_sent("Could you send the logs?")
    world.tick()
    world.at(berlin(2026, 12, 4, 11)).tick()  # 3 business days of silence
    assert "remind_call" in world.inbox_reminders() and world.drafts() == []
    world.at(
        berlin(2026, 12, 7, 11, 30)
    ).tick()  # a business day later, no call logged: email after all
    assert world.draft_kinds() == ["followup_info"]


def test_r09_voicemail_signal_drafts_the_email(world):
    signals.add(world.app, helpers.CASE, "called-voicemail", world.now())
    world.at(berlin(2026, 12, 1, 11)).tick()
    assert world.draft_kinds() == ["voicemail_followup"]
    assert any(e.rule == "R09" for e in world.events("signal"))


def test_r22_collaboration_signal_from_an_outlook_category(world):
    world.at(berlin(2026, 12, 1, 10)).engineer_sent(
        "I asked the owner to join.", keywords="Mailbot: Collaboration"
    )
    world.tick()
    assert world.case().collaboration
    start = berlin(2026, 12, 1, 10)
    for day in range(1, 20):
        world.at(start + timedelta(days=day)).tick()
        world.approve()
        world.tick()
    kinds = world.sent_kinds()
    assert not any(k.startswith("strike") for k in kinds) and "closure_unresponsive" not in kinds
    assert "remind_collab_owner" in world.inbox_reminders()
    assert world.case().state != CaseState.CLOSED


def test_r06_engineer_promise_is_reminded_when_due_and_cleared_when_kept(world):
    world.at(berlin(2026, 11, 30, 15)).engineer_sent(
        "Thanks for the logs. I will update you by Thursday with my findings."
    )
    world.tick()
    case = world.case()
    assert case.promise_due == berlin(2026, 12, 3, 9)
    world.at(berlin(2026, 12, 3, 9, 5)).tick()
    assert "remind_promise" in world.inbox_reminders()
    world.at(berlin(2026, 12, 3, 10)).engineer_sent("Here are my findings.")
    world.tick()
    assert world.case().promise_due is None
    assert any("kept" in e.reason for e in world.events("promise"))


def test_pause_signal_holds_follow_ups_until_the_date_given(world):
    signals.add(world.app, helpers.CASE, "pause", world.now(), value="2026-12-10")
    world.at(berlin(2026, 11, 30, 11)).tick()
    world.at(berlin(2026, 12, 3, 11)).tick()  # the follow-up would be due now (R07)
    world.at(berlin(2026, 12, 9, 16)).tick()
    assert world.drafts() == []
    case = world.case()
    assert case.hold_until == berlin(2026, 12, 10, 9) and case.hold_why == "you paused the case"
    world.at(berlin(2026, 12, 10, 9, 5)).tick()
    assert world.draft_kinds() == ["followup_info"]
    with pytest.raises(signals.UnknownSignal, match="not a date"):
        signals.add(world.app, helpers.CASE, "pause", world.now(), value="soon")


def test_pause_from_an_outlook_category_holds_for_the_configured_business_days(world):
    world.at(berlin(2026, 11, 30, 11)).engineer_sent(
        "Could you send the logs when you are back?", keywords="Mailbot: Pause"
    )
    world.tick()
    assert world.case().hold_until == berlin(2026, 12, 7, 11)  # 5 business days
    world.at(berlin(2026, 12, 4, 11)).tick()
    assert world.drafts() == []
    world.at(berlin(2026, 12, 7, 11, 5)).tick()
    assert world.draft_kinds() == ["followup_info"]
