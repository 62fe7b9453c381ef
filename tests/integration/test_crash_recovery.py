"""R26: a send is never duplicated, whatever moment a crash hits. Each test stops the
process at one point of the send (an exception that escapes like a kill would) and
starts a new one over the same Maildir and database."""

from __future__ import annotations

import pytest

from mailbot.domain.kinds import OutboxState
from mailbot.mailbox.maildir import MaildirMailbox, open_maildir, pickup_transmitter
from tests import helpers
from tests.integration.world import World, berlin


class Killed(BaseException):
    """Escapes every ``except Exception`` like SIGKILL would end the process."""


@pytest.fixture
def world(tmp_path, db_url):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    w.customer(subject=f"Pipeline fails - TrackingID#{helpers.CASE}")
    w.tick()
    w.approve()
    yield w
    w.close()


def crashing_box(world: World, when: str) -> MaildirMailbox:
    box = open_maildir(world.settings)
    transmit, probe = pickup_transmitter(world.settings.mailbox.pickup_dir)

    def crash_before(data: bytes, key: str) -> None:
        raise Killed()

    def crash_after(data: bytes, key: str) -> None:
        transmit(data, key)
        raise Killed()

    box.transmit = {"before_transmit": crash_before, "after_transmit": crash_after}[when]
    return box


def send_with_crash(world: World, when: str) -> None:
    world.restart(mailbox=crashing_box(world, when))
    world.at(berlin(2026, 11, 30, 10))
    with pytest.raises(Killed):
        world.tick()
    assert [r.state for r in world.rows()] == [OutboxState.SENDING]


def test_r26_crash_after_transmit_is_found_in_sent_items_and_not_resent(world):
    send_with_crash(world, "after_transmit")
    assert len(world.sent()) == 1
    world.restart()
    world.at(berlin(2026, 11, 30, 10, 5)).tick()
    world.tick()
    assert len(world.sent()) == 1
    assert [r.state for r in world.rows()] == [OutboxState.SENT]
    assert any("not sent again" in e.reason for e in world.events("recovered"))
    assert helpers.folder_files(world.root, "Mailbot/Approved") == []


def test_r26_crash_before_transmit_is_never_resent_blindly(world):
    send_with_crash(world, "before_transmit")
    assert world.sent() == []
    world.restart()
    world.at(berlin(2026, 11, 30, 10, 5)).tick()
    world.tick()
    assert (
        world.sent() == []
    )  # may or may not have left (an SMTP session cut mid-way): not repeated
    assert world.rows()[0].state == OutboxState.FAILED
    assert "remind_unconfirmed" in world.inbox_reminders()
    # the reminder names exactly where to look, and the evidence lives where no Maildir
    # cleaner (Dovecot empties tmp/ after 36 h) or pickup reader can take it
    text = world.inbox_reminder("remind_unconfirmed")
    assert str(world.settings.mailbox.pickup_dir) in text and "Not sent" in text
    assert [p.name for p in (world.root / ".Sent Items" / "tmp").iterdir()] == [".mailbot-clock"]
    assert not any(p.name.startswith(".") for p in world.pickup.iterdir())


def test_r26_crash_after_committing_sending_but_before_any_trace_is_sent_once(world, monkeypatch):
    box = open_maildir(world.settings)

    def killed_send(ref, key):
        raise Killed()

    monkeypatch.setattr(box, "send", killed_send)
    world.restart(mailbox=box)
    world.at(berlin(2026, 11, 30, 10))
    with pytest.raises(Killed):
        world.tick()
    world.restart()
    world.at(berlin(2026, 11, 30, 10, 5)).tick()
    world.tick()
    assert len(world.sent()) == 1
    assert world.rows()[0].state == OutboxState.SENT


def test_r26_transient_refusal_retries_and_sends_once(world):
    from mailbot.mailbox.port import MailboxError

    box = open_maildir(world.settings)
    transmit, _ = pickup_transmitter(world.settings.mailbox.pickup_dir)
    calls = []

    def flaky(data: bytes, key: str) -> None:
        calls.append(key)
        if len(calls) == 1:
            raise MailboxError("relay refused the connection", not_sent=True)
        transmit(data, key)

    box.transmit = flaky
    world.restart(mailbox=box)
    world.at(berlin(2026, 11, 30, 10)).tick()
    assert world.rows()[0].state == OutboxState.SCHEDULED and world.sent() == []
    world.at(berlin(2026, 11, 30, 10, 6)).tick()
    world.at(berlin(2026, 11, 30, 10, 20)).tick()
    assert len(world.sent()) == 1 and len(calls) == 2
    assert world.rows()[0].state == OutboxState.SENT


def test_r26_cut_off_transmission_is_reported_not_repeated(world):
    from mailbot.mailbox.port import MailboxError

    box = open_maildir(world.settings)
    calls = []

    def cut(data: bytes, key: str) -> None:
        calls.append(key)
        raise MailboxError("connection dropped during DATA")

    box.transmit = cut
    world.restart(mailbox=box)
    world.at(berlin(2026, 11, 30, 10)).tick()
    world.at(berlin(2026, 11, 30, 11)).tick()
    assert world.rows()[0].state == OutboxState.FAILED and len(calls) == 1
    assert "remind_unconfirmed" in world.inbox_reminders()


def test_r26_two_processes_releasing_the_same_row_send_it_once(world):
    """A cron `tick` beside a running daemon: both see the row scheduled, one claims it."""
    from mailbot.outbound.outbox import _claim_for_sending
    from mailbot.store.models import Outbox

    world.at(berlin(2026, 11, 30, 18)).tick()  # approved after hours: scheduled for the morning
    from mailbot import app as app_mod

    second = app_mod.build(world.settings)
    try:
        with world.app.sessions() as s1, second.sessions() as s2:
            row1 = s1.get(Outbox, world.rows()[0].id)
            row2 = s2.get(Outbox, row1.id)
            assert row1.state == row2.state == OutboxState.SCHEDULED
            assert _claim_for_sending(s1, row1, world.now()) is True
            assert _claim_for_sending(s2, row2, world.now()) is False
    finally:
        second.engine.dispose()


class DraftThenKilled(MaildirMailbox):
    """The process dies right after a draft is saved, before its row is recorded."""

    def save_draft(self, folder, message, key, retry=False):  # type: ignore[no-untyped-def]
        super().save_draft(folder, message, key, retry)
        raise Killed()


@pytest.mark.parametrize("verdict", ["Mailbot/Approved", "Mailbot/Rejected", "Trash"])
def test_a_draft_saved_just_before_a_crash_is_never_saved_again_or_brought_back(
    tmp_path, db_url, verdict
):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        base = open_maildir(w.settings)
        w.restart(
            mailbox=DraftThenKilled(
                base.root, base.folders, base.sent_folder, base.inbox_folder, base.transmit
            )
        )
        w.customer(subject=f"Pipeline fails - TrackingID#{helpers.CASE}")
        with pytest.raises(Killed):
            w.tick()
        (draft,) = w.drafts()
        assert [r.state for r in w.rows()] == [OutboxState.PLANNED]
        target = w.root / ("." + verdict.replace("/", ".")) / "cur" / draft.name
        target.parent.mkdir(parents=True, exist_ok=True)  # a client's Trash, say
        draft.rename(target)  # the engineer approves, rejects or deletes it meanwhile
        w.restart()
        w.at(berlin(2026, 11, 30, 9, 40)).tick()
        assert w.drafts() == []  # not saved again, not brought back
        state = w.rows()[0].state
        if verdict == "Mailbot/Approved":
            assert state in (OutboxState.SCHEDULED, OutboxState.SENT)
        else:
            assert state == OutboxState.REJECTED
    finally:
        w.close()
