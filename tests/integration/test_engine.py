"""The whole loop on the embedded default: Maildir + database (SQLite and PostgreSQL),
time travelled over days and weeks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mailbot.domain.kinds import CaseState, OutboxState
from mailbot.store.models import Case, MailItem, Outbox, Quarantine, SyncState
from tests import helpers
from tests.integration.world import World, berlin


@pytest.fixture
def world(tmp_path, db_url):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))  # a Monday morning
    yield w
    w.close()


def open_case(w: World) -> None:
    w.customer(subject=f"Pipeline fails with timeout - TrackingID#{helpers.CASE}")
    w.tick()


def test_r01_r04_r02_r24_first_response_drafted_and_nothing_leaves_before_approval(world):
    open_case(world)
    assert world.draft_kinds() == ["first_response"]
    draft = world.drafts()[0].read_text()
    assert f"TrackingID#{helpers.CASE}" in draft and "Cc: support@servicedesk.example" in draft
    for line in (
        "Alex Rivera",
        "Support Engineer | Data Platform Support",
        "+49 30 5550 1234",
        "Sam Okafor - sam.okafor@contoso.example",
    ):
        assert line in draft
    world.at(berlin(2026, 11, 30, 10)).tick()
    world.at(berlin(2026, 12, 1, 10)).tick()
    assert world.sent() == [] and len(world.drafts()) == 1  # no duplicate draft, nothing sent
    assert world.case().state == CaseState.NEW


def test_approved_draft_goes_out_once_and_a_second_tick_sends_nothing(world):
    open_case(world)
    world.approve()
    world.at(berlin(2026, 11, 30, 10)).tick()
    assert world.sent_kinds() == ["first_response"]
    msg = world.sent()[0]
    assert msg["To"] == helpers.CUSTOMER and helpers.SUPPORT in msg["Cc"]
    world.tick()
    world.at(berlin(2026, 11, 30, 11)).tick()
    assert len(world.sent()) == 1
    sent_copy = helpers.folder_files(world.root, "Sent Items")
    assert (
        len(sent_copy) == 1 and "Please send the run ID." in sent_copy[0].read_text()
    )  # the engineer's edit went out


@pytest.mark.parametrize(
    ("approve_at", "expected_send"),
    [
        (berlin(2026, 12, 5, 11), berlin(2026, 12, 7, 9)),  # Saturday → Monday morning
        (berlin(2026, 12, 1, 22), berlin(2026, 12, 2, 9)),  # 22:00 → next morning
    ],
)
def test_r23_approved_email_waits_for_the_next_business_morning(world, approve_at, expected_send):
    open_case(world)
    world.at(approve_at)
    world.approve()
    world.tick()
    world.at(approve_at + timedelta(minutes=30)).tick()
    assert world.sent() == []
    scheduled = [r for r in world.rows() if r.kind == "first_response"][0]
    assert scheduled.state == OutboxState.SCHEDULED and scheduled.send_at == expected_send
    world.at(expected_send - timedelta(minutes=1)).tick()
    assert world.sent() == []
    world.at(expected_send).tick()
    world.at(expected_send + timedelta(minutes=5)).tick()
    assert world.sent_kinds() == ["first_response"]
    assert "R23" in {e.rule for e in world.events("scheduled")}


def test_r23_public_holiday_waits(world):
    open_case(world)
    world.at(berlin(2026, 12, 25, 10))  # Christmas Day
    world.approve()
    world.tick()
    assert world.sent() == []
    world.at(berlin(2026, 12, 28, 9)).tick()  # 26th Saturday, 27th Sunday
    assert world.sent_kinds() == ["first_response"]
    scheduled = world.events("scheduled")[0].reason
    assert "public holiday" in scheduled


def test_r19_customer_reply_after_approval_makes_the_draft_stale(world):
    open_case(world)
    world.at(berlin(2026, 11, 30, 18))  # approve after hours so it waits
    world.approve()
    world.tick()
    world.at(berlin(2026, 11, 30, 20)).customer(
        body="Sorry, one more detail: it only fails at night.",
        subject=f"RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}",
    )
    world.tick()
    world.at(berlin(2026, 12, 1, 9)).tick()
    assert "first_response" not in world.sent_kinds()
    stale = [r for r in world.rows() if r.state == OutboxState.STALE]
    assert stale and any(e.rule == "R19" for e in world.events("stale"))
    # a fresh draft replaces it, so the engineer is never left without one
    assert world.draft_kinds() == ["first_response"]


def test_r25_a_placeholder_left_by_the_engineer_blocks_the_send_and_tells_them_once(world):
    from email import message_from_bytes
    from email.policy import default

    open_case(world)
    world.approve()
    path = helpers.folder_files(world.root, "Mailbot/Approved")[0]

    def edit(old: str, new: str) -> None:
        msg = message_from_bytes(path.read_bytes(), policy=default.clone(max_line_length=200))
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                part.set_content(
                    part.get_content().replace(old, new), subtype=part.get_content_subtype()
                )
        path.write_bytes(msg.as_bytes())

    edit("Kind regards,", "[[ add the KB link ]]\n\nKind regards,")
    world.at(berlin(2026, 11, 30, 10)).tick()
    world.at(berlin(2026, 11, 30, 10, 5)).tick()
    assert world.sent() == []
    assert world.inbox_reminders() == ["remind_blocked"]
    edit("[[ add the KB link ]]", "See the article on retry policies.")
    world.at(berlin(2026, 11, 30, 10, 10)).tick()
    assert world.sent_kinds() == ["first_response"]
    assert "retry policies" in world.sent()[0].get_body(("plain",)).get_content()
    assert world.inbox_reminders() == ["remind_blocked"]  # told once, not every minute


def test_rejected_draft_is_recorded_and_holds_the_cadence(world):
    open_case(world)
    world.reject_by_deleting()
    world.at(berlin(2026, 11, 30, 10)).tick()
    rows = world.rows()
    assert rows[0].state == OutboxState.REJECTED
    world.at(berlin(2026, 12, 2, 10)).tick()
    assert world.drafts() == []  # a rejected first response is not drafted again


def test_ingest_is_idempotent_across_ticks_restarts_and_lost_sync_state(world):
    open_case(world)
    world.customer(
        body="More logs attached.",
        subject=f"RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}",
    )
    world.tick()
    world.restart()
    with world.app.sessions() as s:
        for st in s.scalars(select(SyncState)):
            st.state = None
        s.commit()
    world.tick()
    world.tick()
    with world.app.sessions() as s:
        assert len(s.scalars(select(MailItem).where(MailItem.folder == "INBOX")).all()) == 2
    assert world.case().customer_messages == 2


def test_bad_mail_is_quarantined_and_the_rest_is_filed(world):
    root = world.root
    helpers.deliver(root, b"")  # empty
    helpers.deliver(root, b"\x00\xff\xfe garbage with no headers at all")
    helpers.deliver(
        root,
        b"From: =?utf-8?q?broken <x@fabrikam.example>\nSubject: \xff\xfe TrackingID#"
        + helpers.CASE.encode()
        + b'\nCc: support@servicedesk.example\nContent-Type: multipart/mixed; boundary="nope"\n\n--wrong\n\xff\n',
    )
    big = helpers.mail(subject=f"Huge dump - TrackingID#{helpers.CASE}")
    big.add_attachment(
        b"\x00" * (30 * 1024 * 1024),
        maintype="application",
        subtype="octet-stream",
        filename="dump.bin",
    )
    helpers.deliver(root, big)
    no_date = helpers.mail(subject=f"No date - TrackingID#{helpers.CASE}")
    del no_date["Date"]
    helpers.deliver(root, no_date)
    report = world.tick()
    assert report.quarantined == 2
    with world.app.sessions() as s:
        reasons = [q.reason for q in s.scalars(select(Quarantine))]
        assert all(r.startswith("unreadable") for r in reasons)
        items = s.scalars(select(MailItem).where(MailItem.case_id.is_not(None))).all()
        assert len(items) == 3  # broken headers, 30 MB and no-Date all filed into the case
    assert world.case() is not None
    world.tick()  # quarantined mail is not retried forever
    with world.app.sessions() as s:
        assert len(s.scalars(select(Quarantine)).all()) == 2


def test_r03_out_of_office_never_counts_as_the_customer_and_r15_pauses(world):
    open_case(world)
    world.approve()
    world.at(berlin(2026, 11, 30, 10)).tick()
    world.at(berlin(2026, 11, 30, 11)).engineer_sent(
        "Here is the fix; this should resolve it.", keywords="Mailbot: Solution delivered"
    )
    world.tick()
    assert world.case().state == CaseState.SOLUTION_DELIVERED
    world.at(berlin(2026, 11, 30, 11, 5)).customer(
        body="I am out of the office and back on 9 December 2026.",
        subject=f"Automatic reply: RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}",
        headers={"Auto-Submitted": "auto-replied"},
    )
    world.tick()
    case = world.case()
    assert (
        case.state == CaseState.SOLUTION_DELIVERED and case.customer_messages == 1
    )  # not a reply (R03)
    assert case.paused_until == berlin(2026, 12, 9, 9)
    world.at(berlin(2026, 12, 2, 12)).tick()
    assert world.drafts() == []  # the 24-hour follow-up waits for the return date (R15)
    world.at(berlin(2026, 12, 9, 9)).tick()
    assert world.draft_kinds() == ["followup_solution"]
    assert world.inbox_reminders() == ["remind_call"]


def solution_delivered(world: World):  # type: ignore[no-untyped-def]
    """A case answered, then a solution sent on Tue 1 Dec 10:00; returns that instant."""
    open_case(world)
    world.approve()
    world.at(berlin(2026, 11, 30, 10)).tick()
    world.at(berlin(2026, 12, 1, 10)).engineer_sent(
        "The fix is to raise the timeout.", keywords="Mailbot: Solution delivered"
    )
    world.tick()
    return berlin(2026, 12, 1, 10)


def test_r10_r11_r12_r13_r14_silent_customer_all_the_way_to_closure(world):
    t = solution_delivered(world)
    for _ in range(30 * 24 * 2):  # thirty days, every 30 minutes; the engineer approves at once
        t += timedelta(minutes=30)
        world.at(t).tick()
        if world.approve():
            world.tick()
        if world.case().state == CaseState.CLOSED:
            break
    kinds = world.sent_kinds()
    assert kinds == [
        "first_response",
        "followup_solution",
        "followup_solution",
        "followup_solution",
        "strike_1",
        "strike_2",
        "strike_3",
        "closure_unresponsive",
    ]
    sent = {m["X-Mailbot-Kind"]: m for m in world.sent()}
    for m in world.sent():  # R23: every send inside business time
        assert world.app.calendar.is_business_time(
            world.app.calendar.local(
                __import__("email.utils").utils.parsedate_to_datetime(m["Date"])
            )
        )
    strike3_text = sent["strike_3"].get_body(("plain",)).get_content()
    closure = sent["closure_unresponsive"]
    closure_day = __import__("email.utils").utils.parsedate_to_datetime(closure["Date"])
    assert "sam.okafor@contoso.example" in closure["Cc"] and helpers.SUPPORT in closure["Cc"]  # R14
    assert "sam.okafor" not in (sent["strike_1"]["Cc"] or "")
    assert closure_day - berlin(2026, 11, 30, 9, 30) >= timedelta(days=14)  # R13
    assert (
        f"{world.app.calendar.local(closure_day):%A %d %B %Y}" in strike3_text
    )  # R12: the named date is kept
    assert (
        "remind_call" in world.inbox_reminders()
        and "remind_closure_checklist" in world.inbox_reminders()
    )
    # Facts in mail are true: each date names the event it speaks of.
    texts = [(m["X-Mailbot-Kind"], m.get_body(("plain",)).get_content()) for m in world.sent()]
    followups = [t for k, t in texts if k == "followup_solution"]
    assert all("the solution I sent on Tuesday 01 December" in t for t in followups)
    assert "tried to reach you" not in followups[0]  # no call was logged
    assert "I am checking in on case" in followups[0]
    assert "following up again" in followups[1] and "following up again" in followups[2]
    third = [m for m in world.sent() if m["X-Mailbot-Kind"] == "followup_solution"][-1]
    third_day = world.app.calendar.local(
        __import__("email.utils").utils.parsedate_to_datetime(third["Date"])
    )
    assert f"my email of {third_day:%A %d %B}" in dict(texts)["strike_1"]
    assert (
        "before closing it" in dict(texts)["strike_2"]
        or "close this case" in dict(texts)["strike_2"]
    )
    assert "is now closed" in dict(texts)["closure_unresponsive"]


def test_r17_r16_confirmation_gets_the_lqr_and_closes_then_r21_reopens(world):
    open_case(world)
    world.approve()
    world.at(berlin(2026, 11, 30, 10)).tick()
    world.at(berlin(2026, 11, 30, 15)).customer(
        body="That worked, thank you! You can close the case.",
        subject=f"RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}",
    )
    world.tick()
    assert world.draft_kinds() == ["lqr_resolved"]
    world.approve()
    world.tick()
    assert world.sent_kinds() == ["first_response", "lqr_resolved"]
    assert world.case().state == CaseState.CLOSED
    world.at(berlin(2026, 12, 3, 10)).customer(
        body="Hello again, the error is back.",
        subject=f"RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}",
    )
    world.tick()
    assert world.case().state == CaseState.ACTIVE
    assert any(e.rule == "R21" for e in world.events("reopened"))
    world.at(berlin(2026, 12, 10, 10)).tick()
    assert world.drafts() == []  # a reopened case does not restart strikes by itself


def test_r20_closure_checklist_carries_cause_resolution_symptom_from_the_thread(world):
    world.customer(
        subject=f"Pipeline fails with timeout - TrackingID#{helpers.CASE}",
        body="Since Monday the nightly load stops after 120 seconds with error 504. "
        "Our password: Winter2026!Secret",
    )
    world.tick()
    world.approve()
    world.at(berlin(2026, 11, 30, 10)).tick()
    world.at(berlin(2026, 11, 30, 11)).engineer_sent(
        "The job fails because the gateway timeout is 120 seconds. "
        "Please raise it to 300 seconds in the pipeline settings.",
        keywords="Mailbot: Solution delivered",
    )
    world.at(berlin(2026, 11, 30, 15)).customer(
        body="That worked, thank you! You can close the case.",
        subject=f"RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}",
    )
    world.tick()
    world.approve()
    world.tick()
    assert world.case().state == CaseState.CLOSED
    note = world.inbox_reminder("remind_closure_checklist").split("Draft notes", 1)[1]
    symptom = note.split("Symptom", 1)[1]
    assert "nightly load stops after 120 seconds" in symptom.split("Cause")[0]
    assert "Winter2026" not in note and "[password removed]" in note  # R27 inside R20
    cause = note.split("Cause", 1)[1].split("Resolution")[0]
    assert "because the gateway timeout is 120 seconds" in cause and "your message" in cause
    assert "raise it to 300 seconds" in note.split("Resolution", 1)[1]


def test_r20_r28_thread_excerpts_are_erased_by_the_retention_purge(world):
    open_case(world)
    with world.app.sessions() as s:
        assert any((i.facts or {}).get("excerpt") for i in s.scalars(select(MailItem)))
    from mailbot.retention import purge_expired

    with world.app.sessions() as s:
        case = s.scalar(select(Case).where(Case.number == helpers.CASE))
        case.state, case.closed_at = CaseState.CLOSED, berlin(2026, 1, 1, 9)
        s.commit()
    assert purge_expired(world.app, berlin(2026, 11, 30, 12)) == 1
    with world.app.sessions() as s:
        assert not any((i.facts or {}).get("excerpt") for i in s.scalars(select(MailItem)))


def test_r26_rate_limit_spreads_sends(tmp_path, db_url):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30), rate_limit_per_minute=2)
    try:
        for i in range(3):
            number = f"26113000100000{i:02d}"
            w.customer(
                subject=f"Problem {i} - TrackingID#{number}",
                sender=f"Cust {i} <c{i}@fabrikam.example>",
            )
        w.tick()
        assert len(w.drafts()) == 3
        w.approve()
        w.at(berlin(2026, 11, 30, 10)).tick()
        assert len(w.sent()) == 2
        w.coords.move_to(berlin(2026, 11, 30, 10) + timedelta(seconds=30))
        w.tick()
        assert len(w.sent()) == 2  # the third waits: two went out less than a minute ago
        w.at(berlin(2026, 11, 30, 10, 1)).tick()
        assert len(w.sent()) == 3
    finally:
        w.close()


def test_r27_secret_reminds_and_drafts_rotation_without_storing_it(world, caplog):
    world.customer(
        body="Our service account password: Sup3rS3cret!Pass",
        subject=f"Login fails - TrackingID#{helpers.CASE}",
    )
    world.tick()
    assert sorted(world.draft_kinds()) == ["first_response", "rotate_secret"]
    assert world.inbox_reminders() == ["remind_secret"]
    with world.app.engine.connect() as conn:
        for table in ("cases", "mail_items", "events", "outbox"):
            dump = repr(conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall())
            assert "Sup3rS3cret" not in dump


def test_r28_thread_data_is_erased_after_the_retention_period_and_never_refiled(world):
    reply = f"RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}"
    open_case(world)
    world.approve()
    world.at(berlin(2026, 11, 30, 10)).tick()  # first response sent
    world.at(berlin(2026, 11, 30, 15)).customer(
        body="That worked, you can close the case.", subject=reply
    )
    world.tick()
    world.approve()
    world.at(berlin(2026, 12, 1, 10)).tick()
    assert world.case().state == CaseState.CLOSED
    world.at(berlin(2027, 2, 1, 10)).tick()  # 62 days: still kept (default retention 90 days)
    assert world.case().customer_email == helpers.CUSTOMER
    world.at(berlin(2027, 3, 2, 10)).tick()  # 91 days after closure
    case = world.case()
    assert case.purged_at is not None and case.customer_email is None and case.subject == ""
    with world.app.engine.connect() as conn:
        for table in ("cases", "mail_items", "events", "outbox"):
            dump = repr(conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall()).lower()
            assert "maria" not in dump and "pipeline fails" not in dump, table
    assert any(e.rule == "R28" for e in world.events("purged"))
    with world.app.sessions() as s:
        before = len(s.scalars(select(MailItem)).all())
        for st in s.scalars(select(SyncState)):
            st.state = None  # force a full relisting of the folders
        s.commit()
    world.tick()
    with world.app.sessions() as s:
        assert len(s.scalars(select(MailItem)).all()) == before  # purged mail is never filed again


def test_r12_strike3_approved_late_is_redrafted_once_with_a_later_closure_date(world):
    t = solution_delivered(world)
    while True:  # the engineer approves promptly until strike 3 is drafted
        t += timedelta(minutes=30)
        world.at(t).tick()
        if "strike_3" in world.draft_kinds():
            break
        if world.approve():
            world.tick()
        assert t < berlin(2026, 12, 31), "strike 3 never drafted"
    t += timedelta(days=6)  # approved a week late: the closure date it names is too early now
    world.at(t).tick()
    world.approve()
    world.tick()
    (stale,) = world.events("stale")
    assert "R12" in stale.reason and "or later" in stale.reason
    assert world.draft_kinds() == ["strike_3"]  # redrafted with a new date
    world.approve()
    world.tick()
    sent = {m["X-Mailbot-Kind"]: m for m in world.sent()}
    assert "strike_3" in sent and len(world.events("stale")) == 1  # no stale loop
    with world.app.sessions() as s:
        row = s.scalar(
            select(Outbox).where(Outbox.kind == "strike_3", Outbox.state == OutboxState.SENT)
        )
        named = date.fromisoformat(row.facts["closure_date"])
    sent_day = world.app.calendar.local(row.sent_at).date()
    assert named >= sent_day + timedelta(days=3)  # R12: at least 3 business days on
