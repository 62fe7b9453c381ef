"""Time order, not read order: a case follows what happened, in the order it happened,
whatever order mailbot reads its mail in (folders, batches, directory entries), and an
ignored or pointless draft never freezes a case."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from mailbot.domain.kinds import CaseState, OutboxState
from mailbot.store.models import MailItem
from mailbot.views.data import open_cases
from tests import helpers
from tests.integration.world import World, berlin

SUBJECT = f"Pipeline fails with timeout - TrackingID#{helpers.CASE}"
REPLY = "RE: " + SUBJECT


def _world(tmp_path, db_url, start) -> World:
    return World(tmp_path, db_url, start)


def test_customer_reply_and_engineer_solution_in_one_sync_are_taken_in_time_order(tmp_path, db_url):
    """The customer's 09:02 reply and the engineer's 09:20 solution mail arrive in one
    tick. Sent Items is read after (or before) the Inbox: either way the case is
    solution_delivered and R10's call reminder comes 24 hours after the solution."""
    w = _world(tmp_path, db_url, berlin(2026, 11, 30, 8, 50))
    try:
        w.customer(subject=SUBJECT, when=berlin(2026, 11, 27, 10))
        w.engineer_sent("Could you send the run ID?", when=berlin(2026, 11, 27, 11))
        w.tick()
        w.customer(body="Here is the run ID: 42.", subject=REPLY, when=berlin(2026, 11, 30, 9, 2))
        w.engineer_sent(
            "Please raise the timeout to 300 seconds.",
            keywords="Mailbot: Solution delivered",
            when=berlin(2026, 11, 30, 9, 20),
        )
        w.at(berlin(2026, 11, 30, 9, 30)).tick()
        case = w.case()
        assert case.state == CaseState.SOLUTION_DELIVERED
        assert w.app.calendar.local(case.phase_started_at) == berlin(2026, 11, 30, 9, 20)
        assert w.app.calendar.local(case.last_customer_at) == berlin(2026, 11, 30, 9, 2)
        (row,) = [c for c in open_cases(w.app, w.now()) if c["number"] == helpers.CASE]
        assert row["next"]["rule"] == "R10" and row["next"]["when"].startswith("2026-12-01T08:20")
        w.at(berlin(2026, 12, 1, 9, 21)).tick()
        assert "remind_call" in w.inbox_reminders()
    finally:
        w.close()


def test_first_mail_and_engineer_reply_new_at_one_tick_open_the_case_from_the_customer(
    tmp_path, db_url
):
    w = _world(tmp_path, db_url, berlin(2026, 11, 30, 11))
    try:
        # the engineer's reply, read in the same tick as the mail it answers
        w.engineer_sent("Could you send the run ID?", when=berlin(2026, 11, 30, 10, 30))
        w.customer(subject=SUBJECT, when=berlin(2026, 11, 30, 10))
        w.tick()
        case = w.case()
        assert case.state == CaseState.WAITING_INFO
        assert w.app.calendar.local(case.opened_at) == berlin(2026, 11, 30, 10)
        assert case.customer_email == helpers.CUSTOMER
        opened = w.events("opened")[0]
        assert "customer message" in opened.reason
        assert w.drafts() == []  # the engineer answered: no first response to draft
    finally:
        w.close()


def test_a_reply_read_before_its_parent_waits_and_joins_its_case(tmp_path, db_url):
    """A reply that kept only In-Reply-To (no case number, no support address) is read
    before the mail it answers: it is parked, then filed into the case with it."""
    w = _world(tmp_path, db_url, berlin(2026, 11, 30, 12))
    try:
        opening = helpers.mail(subject=SUBJECT, when=berlin(2026, 11, 30, 9))
        reply = helpers.mail(
            subject="RE: our pipeline",
            cc=None,
            body="It still does not work, same error.",
            when=berlin(2026, 11, 30, 11),
            in_reply_to=opening["Message-ID"],
        )
        helpers.deliver(w.root, reply)
        w.tick()
        with w.app.sessions() as s:
            assert s.scalar(select(MailItem.status)) == "parked"
        helpers.deliver(w.root, opening)
        w.tick()
        with w.app.sessions() as s:
            rows = list(s.scalars(select(MailItem)))
        assert {r.status for r in rows} == {"case"} and len(rows) == 2
        case = w.case()
        assert case.customer_messages == 2
        assert w.app.calendar.local(case.last_customer_at) == berlin(2026, 11, 30, 11)
    finally:
        w.close()


def _note_of(path) -> str:
    msg = message_from_bytes(path.read_bytes(), policy=default)
    return msg.get_body(("plain",)).get_content()


def test_engineer_writing_themselves_withdraws_the_first_response_and_the_case_goes_on(
    tmp_path, db_url
):
    """mailbot drafts the first response; the engineer answers from Outlook instead and
    leaves the draft. The draft leaves Awaiting Approval for Not sent with a note, the
    timeline says so, and the process goes on from the engineer's mail: a confirmation
    from the customer still gets its last quality response."""
    w = _world(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        w.customer(subject=SUBJECT)
        w.tick()
        assert w.draft_kinds() == ["first_response"]
        w.at(berlin(2026, 11, 30, 10)).engineer_sent(
            "Please raise the timeout to 300 seconds.", keywords="Mailbot: Solution delivered"
        )
        w.tick()
        assert w.drafts() == []
        (moved,) = helpers.folder_files(w.root, "Mailbot/Not sent")
        assert "not sent and will not be" in _note_of(moved)
        assert "you wrote to the customer yourself" in _note_of(moved)
        assert [r.state for r in w.rows() if r.kind == "first_response"] == [OutboxState.SUPERSEDED]
        assert w.events("superseded") and w.events("withdrawn")
        assert w.case().state == CaseState.SOLUTION_DELIVERED
        w.at(berlin(2026, 12, 1, 10, 30)).tick()  # R10: 24 hours later, the call reminder
        assert "remind_call" in w.inbox_reminders()
        w.at(berlin(2026, 12, 1, 11)).customer(
            body="That worked, thank you! You can close the case.", subject=REPLY
        )
        w.tick()
        assert "lqr_resolved" in w.draft_kinds()
    finally:
        w.close()


def test_an_ignored_draft_gets_one_reminder_and_shows_as_blocked(tmp_path, db_url):
    w = _world(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        w.customer(subject=SUBJECT)
        w.tick()
        (row,) = [c for c in open_cases(w.app, w.now())]
        assert row["blocked"] and "approval" in row["blocked"]
        w.at(berlin(2026, 11, 30, 17, 0)).tick()  # 7.5 business hours: not yet
        assert "remind_draft_waiting" not in w.inbox_reminders()
        w.at(berlin(2026, 12, 1, 9, 31)).tick()  # 8 business hours on
        w.at(berlin(2026, 12, 2, 12)).tick()
        w.at(berlin(2026, 12, 3, 12)).tick()
        assert w.inbox_reminders().count("remind_draft_waiting") == 1
        assert "Awaiting Approval" in w.inbox_reminder("remind_draft_waiting")
    finally:
        w.close()


def test_a_draft_gone_stale_in_approved_moves_to_not_sent(tmp_path, db_url):
    """Approved holds only mail that will go: a follow-up approved after hours, then made
    stale by the customer's reply (R19), is moved to Not sent with the reason on top."""
    w = _world(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        w.customer(subject=SUBJECT)
        w.tick()
        w.approve()
        w.at(berlin(2026, 11, 30, 10)).tick()
        w.at(berlin(2026, 12, 3, 16, 59)).tick()
        assert w.draft_kinds() == ["followup_info"]
        w.at(berlin(2026, 12, 3, 18)).approve()  # after hours: it waits for the morning
        w.tick()
        assert len(helpers.folder_files(w.root, "Mailbot/Approved")) == 1
        w.at(berlin(2026, 12, 3, 20)).customer(body="Here is the run ID: 42.", subject=REPLY)
        w.tick()
        assert helpers.folder_files(w.root, "Mailbot/Approved") == []
        (moved,) = helpers.folder_files(w.root, "Mailbot/Not sent")
        assert "the customer wrote after this draft was made" in _note_of(moved)
        assert "Please send the run ID." in _note_of(moved)  # the engineer's edit is kept
        w.at(berlin(2026, 12, 4, 9, 30)).tick()
        assert "followup_info" not in w.sent_kinds()
    finally:
        w.close()
