"""The whole loop over Microsoft Graph: the real GraphClient and msal against a stateful
fake of the HTTP API (tests/integration/fake_graph.py), the real engine and database."""

from __future__ import annotations

import pytest
import responses
from sqlalchemy import select

from mailbot import cli, config
from mailbot.cycle import sync_step
from mailbot.domain.kinds import OutboxState
from mailbot.mailbox.port import MailboxError
from mailbot.store.models import MailItem
from tests import helpers
from tests.integration.fake_graph import FakeGraph
from tests.integration.remote_world import RemoteWorld
from tests.integration.world import berlin

CUSTOMER = f"Maria Lopez <{helpers.CUSTOMER}>"
SUBJECT = f"Pipeline fails with timeout - TrackingID#{helpers.CASE}"


def graph_config(tmp_path, db_url) -> dict:
    data = helpers.config_dict(tmp_path, db_url)
    data["mailbox"] = {
        "kind": "graph",
        "graph": {
            "user": helpers.ENGINEER,
            "tenant_id": "contoso-tenant",
            "client_id": "11111111-2222-3333-4444-555555555555",
            "client_secret_env": "MAILBOT_TEST_GRAPH_SECRET",
        },
    }
    return data


class GraphWorld(RemoteWorld):
    def __init__(self, tmp_path, db_url, monkeypatch, summary: bool = False) -> None:
        monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "s3cret-value")
        data = graph_config(tmp_path, db_url)
        data["summary"] = {"enabled": summary}
        super().__init__(tmp_path, data, FakeGraph(helpers.ENGINEER))

    def quiet(self, app) -> None:  # type: ignore[no-untyped-def]
        app.mailbox.client.sleep = self.sleeps.append

    def folder(self, name: str) -> str:
        return self.app.mailbox.folder_id(name)

    def approve_all(self) -> int:
        awaiting, approved = (
            self.folder("Mailbot/Awaiting Approval"),
            self.folder("Mailbot/Approved"),
        )
        drafts = self.fake.in_folder(awaiting)
        for m in drafts:
            self.fake.move(m["id"], approved)
        return len(drafts)

    def sent(self) -> list[dict]:
        return self.fake.in_folder(self.fake.folder("sentitems"))


@pytest.fixture
def gw(tmp_path, db_url, monkeypatch):
    w = GraphWorld(tmp_path, db_url, monkeypatch)
    yield w
    w.close()


def test_graph_whole_loop_draft_threaded_approve_send_once(gw):
    original = gw.fake.deliver(
        CUSTOMER, SUBJECT, "Our nightly pipeline fails with a timeout.", cc=helpers.SUPPORT
    )
    gw.tick()
    awaiting = gw.fake.in_folder(gw.folder("Mailbot/Awaiting Approval"))
    assert len(awaiting) == 1
    draft = awaiting[0]
    assert draft["isDraft"] and draft["categories"] == ["Mailbot"]
    assert (
        draft["replyTo_internetMessageId"] == gw.fake.messages[original]["internetMessageId"]
    )  # threaded reply
    assert helpers.CASE in draft["subject"]
    assert [c["emailAddress"]["address"] for c in draft["ccRecipients"]] == [helpers.SUPPORT]  # R02
    assert "Sam Okafor" in draft["body"]["content"]  # R24 signature
    assert gw.sent() == []  # nothing before approval
    gw.approve_all()
    gw.at(berlin(2026, 11, 30, 10)).tick()
    assert (
        len(gw.sent()) == 1 and gw.sent()[0]["id"] == draft["id"]
    )  # immutable id: the very draft, as edited
    gw.tick()
    gw.at(berlin(2026, 11, 30, 11)).tick()
    assert gw.fake.count("POST", "/send") == 1
    assert [r.state for r in gw.rows()] == [OutboxState.SENT]
    # the sent copy comes back through Sent Items as mailbot's own mail, not as the engineer writing
    with gw.app.sessions() as s:
        own = s.scalars(select(MailItem).where(MailItem.folder == "Sent Items")).all()
        assert len(own) == 1 and own[0].automatic == "mailbot's own mail"


def test_graph_idle_poll_costs_one_request_per_watched_folder(gw):
    gw.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    gw.tick()
    before = len(gw.fake.requests)
    sync_step(gw.app)
    assert len(gw.fake.requests) - before == 2  # one delta call each for Inbox and Sent Items


def test_graph_new_mail_is_fetched_in_batches_not_one_request_per_item(gw):
    for i in range(45):
        gw.fake.deliver(
            f"Cust {i} <c{i}@fabrikam.example>",
            f"Problem {i} - TrackingID#26113000100{i:05d}",
            "help",
            cc=helpers.SUPPORT,
        )
    before = len(gw.fake.requests)
    report = sync_step(gw.app)
    used = gw.fake.requests[before:]
    assert report.new_messages == 45
    assert sum(1 for m, p in used if p.startswith("/$batch")) == 3  # 45 messages in batches of 20
    assert not any("/messages/AAMk" in p and m == "GET" for m, p in used)


def test_r03_r27_reminder_lands_in_the_inbox_as_a_message_not_a_draft(gw):
    gw.fake.deliver(CUSTOMER, SUBJECT, "our password: Winter2026!Secret", cc=helpers.SUPPORT)
    gw.tick()
    inbox = gw.fake.in_folder(gw.fake.folder("inbox"))
    reminders = [m for m in inbox if m["categories"] == ["Mailbot"]]
    assert len(reminders) == 1 and reminders[0]["isDraft"] is False
    assert reminders[0]["toRecipients"][0]["emailAddress"]["address"] == helpers.ENGINEER
    gw.tick()  # the reminder is synced back from the Inbox and ignored as mailbot's own mail
    with gw.app.sessions() as s:
        item = s.scalar(select(MailItem).where(MailItem.item_key == reminders[0]["id"]))
        assert item.automatic == "mailbot's own mail"


def test_graph_throttling_is_honoured_and_bounded(gw):
    gw.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    gw.fake.throttle = 2
    gw.tick()
    assert gw.sleeps == [3.0, 3.0]  # Retry-After honoured
    assert len(gw.fake.in_folder(gw.folder("Mailbot/Awaiting Approval"))) == 1
    gw.fake.throttle = 1000
    with pytest.raises(MailboxError, match="429"):
        sync_step(gw.app)
    assert len(gw.sleeps) == 2 + 5  # gave up after 5 retries, no endless loop


def test_graph_expired_delta_link_resyncs_and_files_nothing_twice(gw):
    gw.fake.deliver(CUSTOMER, SUBJECT, "first", cc=helpers.SUPPORT)
    gw.tick()
    gw.fake.deliver(CUSTOMER, "RE: " + SUBJECT, "second", cc=helpers.SUPPORT)
    gw.fake.expire_delta = True
    gw.tick()
    gw.tick()
    with gw.app.sessions() as s:
        inbox = s.scalars(select(MailItem).where(MailItem.folder == "INBOX")).all()
        assert sorted(i.subject for i in inbox if i.direction == "customer") == sorted(
            [SUBJECT, "RE: " + SUBJECT]
        )


class Killed(BaseException):
    pass


def _approved_and_due(gw) -> None:
    gw.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    gw.tick()
    gw.approve_all()
    gw.at(berlin(2026, 11, 30, 10))


def test_r26_graph_crash_after_send_is_found_in_sent_items(gw, monkeypatch):
    _approved_and_due(gw)
    real_send = gw.app.mailbox.send

    def send_then_die(ref, key):
        real_send(ref, key)
        raise Killed()

    monkeypatch.setattr(gw.app.mailbox, "send", send_then_die)
    with pytest.raises(Killed):
        gw.tick()
    gw.restart()
    gw.at(berlin(2026, 11, 30, 10, 5)).tick()
    gw.tick()
    assert gw.fake.count("POST", "/send") == 1 and len(gw.sent()) == 1
    assert gw.rows()[0].state == OutboxState.SENT


def test_r26_graph_crash_before_send_sends_once_after_restart(gw, monkeypatch):
    _approved_and_due(gw)
    monkeypatch.setattr(gw.app.mailbox, "send", lambda ref, key: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        gw.tick()
    gw.restart()
    gw.at(berlin(2026, 11, 30, 10, 5)).tick()
    gw.tick()
    assert (
        gw.fake.count("POST", "/send") == 1 and len(gw.sent()) == 1
    )  # the draft was still in Approved: provably unsent


def test_r26_graph_draft_gone_from_approved_and_not_in_sent_is_never_resent(gw, monkeypatch):
    _approved_and_due(gw)
    monkeypatch.setattr(gw.app.mailbox, "send", lambda ref, key: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        gw.tick()
    approved = gw.fake.in_folder(gw.folder("Mailbot/Approved"))[0]
    gw.fake.move(approved["id"], gw.fake.folder("drafts"))  # e.g. sitting in the Outbox, in transit
    gw.restart()
    gw.at(berlin(2026, 11, 30, 10, 5)).tick()
    assert gw.fake.count("POST", "/send") == 0
    assert gw.rows()[0].state == OutboxState.FAILED


def test_graph_draft_creation_is_idempotent_after_a_crash(gw, monkeypatch):
    gw.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    real_move = gw.app.mailbox.client.post
    calls = {"n": 0}

    def post_dying_on_move(path, body=None, **kw):
        if path.endswith("/move") and calls["n"] == 0:
            calls["n"] += 1
            raise Killed()
        return real_move(path, body, **kw)

    monkeypatch.setattr(gw.app.mailbox.client, "post", post_dying_on_move)
    with pytest.raises(Killed):
        gw.tick()  # the reply draft exists in Drafts with its key, not yet moved
    gw.restart()
    gw.tick()
    drafts = [m for m in gw.fake.messages.values() if m["isDraft"]]
    assert len(drafts) == 1 and drafts[0]["parentFolderId"] == gw.folder(
        "Mailbot/Awaiting Approval"
    )


def _check(gw, tmp_path, capsys) -> tuple[int, str]:
    path = helpers.write_toml(tmp_path / "graph.toml", gw.data)
    code = cli.main(["check", "--config", str(path)])
    return code, capsys.readouterr().err


def test_check_names_a_refused_sign_in(gw, tmp_path, capsys):
    gw.fake.token_error = "invalid_client"
    code, err = _check(gw, tmp_path, capsys)
    assert code == 2 and "sign-in failed" in err and "invalid_client" in err
    assert "s3cret-value" not in err and "Traceback" not in err


def test_check_names_a_missing_permission(gw, tmp_path, capsys):
    gw.fake.deny = True
    code, err = _check(gw, tmp_path, capsys)
    assert code == 2 and "permission missing" in err and "Mail.ReadWrite" in err


def test_graph_config_errors_are_clear(tmp_path, monkeypatch):
    data = graph_config(tmp_path, "sqlite:///x.db")
    with pytest.raises(config.ConfigError, match="MAILBOT_TEST_GRAPH_SECRET is not set"):
        config.parse(data, base=tmp_path)
    data["mailbox"]["graph"]["cloud"] = "mars"
    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "x")
    with pytest.raises(config.ConfigError, match="cloud"):
        config.parse(data, base=tmp_path)
    data["mailbox"]["graph"]["cloud"] = "usgov"
    s = config.parse(data, base=tmp_path)
    assert (
        s.mailbox.graph.endpoint == "https://graph.microsoft.us"
        and "login.microsoftonline.us" in s.mailbox.graph.authority_host
    )


def test_delegated_token_cache_is_owner_only(tmp_path):
    from mailbot.mailbox.graph.auth import DelegatedTokens, GraphAuthError

    fake = FakeGraph(helpers.ENGINEER)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        tokens = DelegatedTokens(
            "contoso-tenant",
            "client",
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
            tmp_path / "c.json",
        )
        with pytest.raises(GraphAuthError, match="mailbot login"):
            tokens.token()  # nobody signed in yet: a clear instruction, not a hang
        tokens.cache.add(
            {
                "client_id": "client",
                "scope": ["Mail.ReadWrite"],
                "token_endpoint": "https://login.microsoftonline.com/contoso-tenant/oauth2/v2.0/token",
                "response": {
                    "access_token": "a",
                    "refresh_token": "r",
                    "expires_in": 3600,
                    "token_type": "Bearer",
                },
            }
        )
        tokens._save()
    assert (tmp_path / "c.json").stat().st_mode & 0o777 == 0o600
    assert "refresh" in (tmp_path / "c.json").read_text()


def test_r10_outlook_category_on_the_engineers_sent_mail_is_a_signal(gw):
    gw.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    gw.tick()
    sent = gw.fake.folder("sentitems")
    gw.fake.add(
        sent,
        subject="RE: " + SUBJECT,
        categories=["Mailbot: Solution delivered"],
        body={"contentType": "text", "content": "Please raise the timeout to 300 seconds."},
        toRecipients=[{"emailAddress": {"address": helpers.CUSTOMER}}],
        ccRecipients=[{"emailAddress": {"address": helpers.SUPPORT}}],
        sentDateTime="2026-11-30T09:00:00Z",
        **{"from": {"emailAddress": {"address": helpers.ENGINEER}}},
    )
    gw.at(berlin(2026, 11, 30, 10, 5)).tick()
    from mailbot.store.models import Case

    with gw.app.sessions() as s:
        case = s.scalar(select(Case).where(Case.number == helpers.CASE))
        assert case.state == "solution_delivered"


def test_r29_weekly_summary_over_graph_carries_its_chart_inline(tmp_path, db_url, monkeypatch):
    gw = GraphWorld(tmp_path, db_url, monkeypatch, summary=True)
    try:
        gw.tick()
        gw.at(berlin(2026, 11, 30, 9, 35)).tick()
        (summary,) = [m for m in gw.sent() if m["subject"].startswith("Weekly case summary")]
        (image,) = summary["attachments"]
        assert image["isInline"] and image["contentType"] == "image/png"
        assert f"cid:{image['contentId']}" in summary["body"]["content"]
        assert [r["emailAddress"]["address"] for r in summary["toRecipients"]] == [
            "sam.okafor@contoso.example"
        ]
    finally:
        gw.close()


def test_r19_graph_a_draft_gone_stale_in_approved_moves_to_not_sent_with_a_note(gw):
    gw.fake.deliver(CUSTOMER, SUBJECT, "Our nightly pipeline fails.", cc=helpers.SUPPORT)
    gw.tick()
    gw.at(berlin(2026, 11, 30, 18)).approve_all()  # after hours: it waits for the morning
    gw.tick()
    gw.at(berlin(2026, 11, 30, 20))
    gw.fake.deliver(CUSTOMER, "RE: " + SUBJECT, "One more detail.", cc=helpers.SUPPORT)
    gw.tick()
    assert gw.fake.in_folder(gw.folder("Mailbot/Approved")) == []
    (moved,) = gw.fake.in_folder(gw.folder("Mailbot/Not sent"))
    assert "not sent and will not be" in moved["body"]["content"]
    assert "the customer wrote after" in moved["body"]["content"]
    gw.tick()  # taken out once: no second note, no second move
    (again,) = gw.fake.in_folder(gw.folder("Mailbot/Not sent"))
    assert again["body"]["content"].count("not sent and will not be") == 1
    gw.at(berlin(2026, 12, 1, 9, 30)).tick()
    assert gw.fake.count("POST", "/send") == 0
