"""Facts in mail are true: what each customer-facing template states, for a real case
run through the engine (first response, the information follow-up, the voicemail
email, both last quality responses and the rotation request; the follow-ups after a
solution, the strikes and the closure are checked in test_engine's silent-customer run)."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from mailbot import signals
from tests import helpers
from tests.integration.world import World, berlin

NUMBER = helpers.CASE


@pytest.fixture
def world(tmp_path, db_url):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    yield w
    w.close()


def _drafts(world: World) -> dict[str, str]:
    out = {}
    for path in world.drafts():
        msg = message_from_bytes(path.read_bytes(), policy=default)
        out[msg["X-Mailbot-Kind"]] = msg.get_body(("plain",)).get_content()
    return out


def _answered(world: World, subject: str) -> None:
    world.customer(subject=subject)
    world.tick()
    world.approve()
    world.at(berlin(2026, 11, 30, 10)).tick()


def test_first_response_quotes_the_issue_without_the_case_number_and_its_label(world):
    world.customer(subject=f"Case {NUMBER}: export job fails")
    world.tick()
    text = _drafts(world)["first_response"]
    assert '"export job fails"' in text and "Case :" not in text
    assert f"case {NUMBER}" in text and "Hello Maria," in text


@pytest.mark.parametrize(
    "subject, issue",
    [
        (f"[TrackingID#{NUMBER}] Nightly copy job times out", "Nightly copy job times out"),
        (f"RE: AW: SR {NUMBER} - gateway offline", "gateway offline"),
        (f"TrackingID#{NUMBER}", "the problem described in your request"),
    ],
)
def test_the_issue_is_the_customers_words(world, subject, issue):
    world.customer(subject=subject)
    world.tick()
    assert f'"{issue}"' in _drafts(world)["first_response"]


def test_the_information_follow_up_names_the_day_the_information_was_asked_for(world):
    _answered(world, f"Pipeline fails - TrackingID#{NUMBER}")
    world.at(berlin(2026, 12, 3, 10, 5)).tick()
    text = _drafts(world)["followup_info"]
    assert "On Monday 30 November I asked for some information" in text


def test_the_voicemail_email_names_the_day_of_the_call(world):
    _answered(world, f"Pipeline fails - TrackingID#{NUMBER}")
    world.at(berlin(2026, 12, 1, 15))
    signals.add(world.app, NUMBER, "called-voicemail", world.now())
    world.tick()
    text = _drafts(world)["voicemail_followup"]
    assert "I tried to call you on Tuesday 01 December" in text and "voicemail" in text


def test_a_logged_call_is_mentioned_in_the_follow_up_after_a_solution(world):
    _answered(world, f"Pipeline fails - TrackingID#{NUMBER}")
    world.at(berlin(2026, 12, 1, 10)).engineer_sent(
        "The fix is to raise the timeout.", keywords="Mailbot: Solution delivered"
    )
    world.tick()
    world.at(berlin(2026, 12, 2, 10, 30))  # R10: 24 hours on, the call did not reach them
    signals.add(world.app, NUMBER, "called-voicemail", world.now())
    world.tick()
    text = _drafts(world)["followup_solution"]
    assert "I tried to reach you by phone" in text
    assert "the solution I sent on Tuesday 01 December" in text


def test_both_last_quality_responses_and_the_rotation_request(world):
    _answered(world, f"Pipeline fails - TrackingID#{NUMBER}")
    world.at(berlin(2026, 12, 1, 10)).customer(
        body="We fixed it ourselves after changing the gateway. Our password is Winter2026!",
        subject=f"RE: Pipeline fails - TrackingID#{NUMBER}",
    )
    world.tick()
    drafts = _drafts(world)
    assert '"Pipeline fails"' in drafts["lqr_resolved_by_customer"]
    assert "what you changed" in drafts["lqr_resolved_by_customer"]
    assert "appears to contain a password" in drafts["rotate_secret"]
    assert "Winter2026" not in " ".join(drafts.values())


def test_the_confirmed_last_quality_response_paraphrases_the_request(world):
    _answered(world, f"Nightly export is slow - TrackingID#{NUMBER}")
    world.at(berlin(2026, 12, 1, 10)).engineer_sent(
        "The fix is to raise the timeout.", keywords="Mailbot: Solution delivered"
    )
    world.tick()
    world.at(berlin(2026, 12, 1, 14)).customer(
        body="That worked, thank you! You can close the case.",
        subject=f"RE: Nightly export is slow - TrackingID#{NUMBER}",
    )
    world.tick()
    text = _drafts(world)["lqr_resolved"]
    assert 'Your request: "Nightly export is slow"' in text
    assert "survey" in text and "reopen" in text
