"""Only the case's people move a case, and mail goes only where it should: crafted mail
from outsiders, spoofed engineers, hostile display names and fake auto-replies."""

from __future__ import annotations

from email.header import Header
from email.utils import format_datetime, formataddr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.domain.kinds import CaseState
from mailbot.views import data, render
from tests import helpers
from tests.integration.world import World, berlin

SUBJECT = f"Pipeline fails with timeout - TrackingID#{helpers.CASE}"
REPLY = "RE: " + SUBJECT


@pytest.fixture
def world(tmp_path, db_url):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    w.customer(subject=SUBJECT)
    w.tick()
    w.approve()
    w.at(berlin(2026, 11, 30, 10)).tick()  # first response sent: waiting for the customer
    w.at(berlin(2026, 11, 30, 11)).engineer_sent(
        "Please raise the timeout.", keywords="Mailbot: Solution delivered"
    )
    w.tick()
    yield w
    w.close()


def test_r01_a_stranger_who_knows_the_case_number_cannot_take_it_over(world):
    world.at(berlin(2026, 11, 30, 12)).customer(
        sender="Eve <eve@evil.example>",
        cc="accomplice@evil2.example",
        subject=REPLY,
        body="The fix works, you can close the case.",
    )
    world.tick()
    case = world.case()
    assert case.state == CaseState.SOLUTION_DELIVERED  # not resolved
    assert case.customer_email == helpers.CUSTOMER and case.customer_cc == []
    assert "lqr_resolved" not in world.draft_kinds()
    assert world.inbox_reminders().count("remind_stranger") == 1
    world.at(berlin(2026, 11, 30, 13)).customer(
        sender="Eve <eve@evil.example>", subject=REPLY, body="This is unacceptable!"
    )
    world.tick()
    assert world.case().upset_at is None  # no upset, no pause, no reopen from a stranger
    assert world.inbox_reminders().count("remind_stranger") == 1  # told once
    # the customer's own follow-ups go on: R10's call reminder the next day
    world.at(berlin(2026, 12, 1, 11, 5)).tick()
    assert "remind_call" in world.inbox_reminders()


def test_r01_a_colleague_of_the_customer_copying_the_service_desk_is_one_of_the_people(world):
    world.at(berlin(2026, 11, 30, 12)).customer(
        sender="Jonas Berg <jonas.berg@fabrikam.example>",
        subject=REPLY,
        body="That worked, thank you! You can close the case.",
    )
    world.tick()
    assert world.case().state == CaseState.RESOLVED
    assert "jonas.berg@fabrikam.example" in world.case().customer_cc


def test_the_engineer_is_the_mailbox_not_a_from_header(world):
    """An Inbox message with the engineer's address (here as an encoded display name, the
    real address being Eve's) and Mailbot Keywords applies no signal."""
    spoof = helpers.mail(
        sender="=?utf-8?q?alex=2Erivera=40contoso=2Eexample?= <eve@evil.example>",
        subject=REPLY,
        body="Researching.",
        headers={
            "Keywords": "Mailbot: Researching, Mailbot: Collaboration, Mailbot: Pause",
            "X-Mailbot-Signal": "researching",
        },
    )
    helpers.deliver(world.root, spoof, when=berlin(2026, 11, 30, 12))
    plain_spoof = helpers.mail(
        sender=f"Alex Rivera <{helpers.ENGINEER}>",
        subject=REPLY,
        body="Researching.",
        headers={"Keywords": "Mailbot: Pause"},
    )
    helpers.deliver(world.root, plain_spoof, when=berlin(2026, 11, 30, 12, 5))
    world.at(berlin(2026, 11, 30, 12, 10)).tick()
    case = world.case()
    assert case.state == CaseState.SOLUTION_DELIVERED
    assert not case.collaboration and case.hold_until is None
    assert world.events("signal") == []


def test_inbound_mailbot_headers_are_not_believed_and_mailbots_own_reminders_still_are(world):
    """Every mail mailbot sends carries its key, so anyone who got one can copy it: a
    customer's reply with X-Mailbot-* headers (here those of mailbot's first response) is
    still the customer's, and an outsider's is still an outsider's. mailbot's own
    reminders in the Inbox stay its own (none is filed as a stranger's mail)."""
    first = world.sent()[0]
    copied = {name: str(first[name]) for name in ("X-Mailbot-Key", "X-Mailbot-Kind")}
    world.at(berlin(2026, 11, 30, 12)).customer(
        sender="Eve <eve@evil.example>", subject=REPLY, body="Thanks.", headers=copied
    )
    world.tick()
    assert world.inbox_reminders().count("remind_stranger") == 1
    world.at(berlin(2026, 11, 30, 13)).customer(
        subject=REPLY,
        body="That worked, thank you! You can close the case.",
        headers={**copied, "Keywords": "Mailbot: Pause"},
    )
    world.tick()
    assert world.case().state == CaseState.RESOLVED
    assert world.case().hold_until is None
    assert world.inbox_reminders().count("remind_stranger") == 1


def test_r15_a_fake_auto_reply_from_a_stranger_pauses_nothing_and_a_real_one_is_capped(
    world, capsys
):
    world.at(berlin(2026, 11, 30, 12)).customer(
        sender="Eve <eve@evil.example>",
        subject="Automatic reply: " + REPLY,
        body="I am out of the office until 20 November 2027.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    world.tick()
    assert world.case().paused_until is None
    world.at(berlin(2026, 11, 30, 13)).customer(
        subject="Automatic reply: " + REPLY,
        body="I am out of the office until 20 November 2027.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    world.tick()
    case = world.case()
    assert case.paused_until is not None
    days = (case.paused_until - berlin(2026, 11, 30, 13)).days
    assert days <= 31 and "capped" in (case.pause_why or "")
    # `mailbot cases` shows it: until when, and why
    now = berlin(2026, 11, 30, 14)
    render.cases_table(data.open_cases(world.app, now), world.app.calendar, now)
    table = " ".join(capsys.readouterr().out.split())
    assert "paused until" in table
    assert "capped at 30 days" in table


names = st.lists(
    st.sampled_from(
        [
            "Bob <victim3@other.example>,",
            "<script>alert(1)</script>",
            '"',
            "<",
            ">",
            ",",
            ";",
            "@",
            "eve@evil.example",
            "Doe, Jane",
            "=?utf-8?q?x?=",
            "\\",
            "(comment)",
        ]
    )
    | st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10),
    max_size=6,
).map("".join)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sender_name=names, cc_name=names, encode=st.booleans())
def test_hostile_display_names_never_add_or_redirect_recipients(
    tmp_path_factory, sender_name, cc_name, encode
):
    """Whatever the display names say (decoded or not), the draft goes To the real
    sender's address and copies only real addresses from Cc."""
    tmp = tmp_path_factory.mktemp("names")
    w = World(tmp, f"sqlite:///{tmp / 'm.db'}", berlin(2026, 11, 30, 9, 30))
    try:

        def name(text: str) -> str:
            """The display name as a mail client writes it: an RFC 2047 encoded word, or
            a quoted string."""
            if encode:
                return " ".join(Header(text, "utf-8").encode().split())
            return formataddr((text, "x@y.z")).rsplit(" <", 1)[0] if text else ""

        raw = (
            f"From: {name(sender_name)} <{helpers.CUSTOMER}>\n"
            f"To: {helpers.ENGINEER}\n"
            f"Cc: {name(cc_name)} <colleague@fabrikam.example>, {helpers.SUPPORT}\n"
            f"Subject: {SUBJECT}\n"
            f"Date: {format_datetime(berlin(2026, 11, 30, 9))}\n"
            "Message-ID: <names@fabrikam.example>\n"
            "Content-Type: text/plain; charset=utf-8\n\nHello.\n"
        )
        helpers.deliver(w.root, raw.encode(), when=berlin(2026, 11, 30, 9))
        w.tick()
        case = w.case()
        assert case.customer_email == helpers.CUSTOMER
        assert set(case.customer_cc) <= {"colleague@fabrikam.example"}
        (row,) = [r for r in w.rows() if r.kind == "first_response"]
        assert row.recipients["to"] == [helpers.CUSTOMER]
        assert set(row.recipients["cc"]) <= {helpers.SUPPORT, "colleague@fabrikam.example"}
    finally:
        w.close()
