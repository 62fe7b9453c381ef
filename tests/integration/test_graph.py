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
from tests.integration.remote_world import (
    RemoteWorld,
    corporate_ca_variables,
    signed_in_cache,
    verified_against,
)
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
    _solution_delivered(gw, sent="2026-11-30T09:00:00Z", at=(10, 5))
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


# -- across processes: folder ids, approval folders and tokens kept --------------------------
def test_graph_an_idle_cron_tick_is_one_delta_per_watched_folder_and_no_sign_in(gw):
    gw.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    gw.tick()
    gw.fake.deliver(CUSTOMER, "RE: " + SUBJECT, "more", cc=helpers.SUPPORT)
    gw.restart()  # every cron tick is a new process
    gw.tick()
    gw.restart()
    sign_ins, before = list(gw.fake.login_requests), len(gw.fake.requests)
    gw.tick()  # idle, with the drafts pending
    used = gw.fake.requests[before:]
    assert all("/delta" in p for _, p in used), used  # no folder lookup, no listing
    assert len(used) == 5  # Inbox, Sent Items, and the three approval folders
    assert gw.fake.login_requests == sign_ins  # the cached token: no metadata, no token
    cache = gw.settings.data_dir / "graph-token-cache.json"
    assert cache.stat().st_mode & 0o777 == 0o600  # app-only tokens are kept owner-only too
    state = gw.settings.data_dir / "graph-state.json"
    assert state.stat().st_mode & 0o777 == 0o600


def test_graph_without_drafts_pending_an_idle_tick_is_two_deltas(gw):
    gw.tick()
    gw.restart()
    before = len(gw.fake.requests)
    gw.tick()
    assert [p.split("?")[0].rsplit("/", 3)[1:] for _, p in gw.fake.requests[before:]] == [
        [gw.fake.folder("inbox"), "messages", "delta"],
        [gw.fake.folder("sentitems"), "messages", "delta"],
    ]


def test_graph_approval_is_read_even_when_delta_does_not_expand_the_key(gw):
    gw.fake.expand_delta = False  # a server that ignores $expand on delta
    gw.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    gw.tick()
    gw.approve_all()
    gw.at(berlin(2026, 11, 30, 10)).tick()
    assert [r.state for r in gw.rows()] == [OutboxState.SENT]  # keys asked for in $batch


def test_graph_folder_renamed_or_deleted_is_found_again_and_logged(gw, capsys):
    gw.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    gw.tick()
    old_awaiting = gw.fake.path("Mailbot/Awaiting Approval")
    gw.fake.rename_folder(old_awaiting, "Old drafts")  # the engineer renames it
    gw.fake.delete_folder(gw.fake.path("Mailbot/Approved"))  # and deletes Approved
    gw.restart()
    capsys.readouterr()
    gw.fake.deliver(
        "Other <o@fabrikam.example>",
        "Broken - TrackingID#2611230010005555",
        "x",
        cc=helpers.SUPPORT,
    )
    gw.tick()  # the folder ids are checked before the first draft is written
    logs = "".join(capsys.readouterr())
    assert "found again" in logs and "renamed to 'Old drafts'" in logs and "moved" in logs
    awaiting = gw.fake.path("Mailbot/Awaiting Approval")
    assert awaiting != old_awaiting and len(gw.fake.in_folder(awaiting)) == 1
    approved = gw.fake.path("Mailbot/Approved")  # created again
    for m in gw.fake.in_folder(awaiting):
        gw.fake.move(m["id"], approved)
    gw.at(berlin(2026, 11, 30, 10)).tick()
    assert gw.fake.count("POST", "/send") == 1  # approved in the new folder, sent


def test_graph_reminder_is_flagged_for_follow_up_and_completed_when_the_call_is_logged(gw):
    from mailbot import signals

    _solution_delivered(gw)
    gw.at(berlin(2026, 12, 1, 10, 30)).tick()  # 24 hours after the solution: call them (R10)
    (reminder,) = [m for m in gw.fake.in_folder(gw.fake.folder("inbox")) if m["categories"]]
    flag = reminder["flag"]
    assert flag["flagStatus"] == "flagged" and flag["dueDateTime"]["dateTime"].startswith(
        "2026-12-01T09:30"
    )
    props = reminder["props"]
    assert props["boolean {00062008-0000-0000-c000-000000000046} id 0x8503"] == "true"
    assert props["systemtime {00062008-0000-0000-c000-000000000046} id 0x8560"].startswith(
        "2026-12-01T09:30"
    )
    signals.add(gw.app, helpers.CASE, "called-reached", berlin(2026, 12, 1, 11))
    gw.at(berlin(2026, 12, 1, 11, 5)).tick()
    assert reminder["flag"]["flagStatus"] == "complete"
    assert props["boolean {00062008-0000-0000-c000-000000000046} id 0x8503"] == "false"
    patches = gw.fake.count("PATCH")
    gw.at(berlin(2026, 12, 1, 11, 10)).tick()
    assert gw.fake.count("PATCH") == patches  # completed once


def _solution_delivered(w, sent="2026-11-30T09:30:00Z", at=(10, 35)) -> None:  # type: ignore[no-untyped-def]
    """The engineer's answer in Sent Items, categorised as delivering the solution."""
    w.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    w.tick()
    w.fake.add(
        w.fake.folder("sentitems"),
        subject="RE: " + SUBJECT,
        categories=["Mailbot: Solution delivered"],
        body={"contentType": "text", "content": "Please raise the timeout to 300 seconds."},
        toRecipients=[{"emailAddress": {"address": helpers.CUSTOMER}}],
        ccRecipients=[{"emailAddress": {"address": helpers.SUPPORT}}],
        sentDateTime=sent,
        **{"from": {"emailAddress": {"address": helpers.ENGINEER}}},
    )
    w.at(berlin(2026, 11, 30, *at)).tick()


def test_graph_reminder_flags_can_be_turned_off(tmp_path, db_url, monkeypatch):
    w = GraphWorld(tmp_path, db_url, monkeypatch)
    try:
        w.data["mailbox"]["flag_reminders"] = False
        w.settings = config.parse(w.data, base=tmp_path)
        w.restart()
        w.fake.deliver(CUSTOMER, SUBJECT, "our password: Winter2026!Secret", cc=helpers.SUPPORT)
        w.tick()
        (reminder,) = [m for m in w.fake.in_folder(w.fake.folder("inbox")) if m["categories"]]
        assert "flag" not in reminder
    finally:
        w.close()


def test_graph_mailbot_categories_are_added_to_outlooks_list_once(gw):
    names = [c["displayName"] for c in gw.fake.categories]
    assert "Mailbot" in names and "Mailbot: Solution delivered" in names
    gw.restart()
    assert [c["displayName"] for c in gw.fake.categories] == names


def test_graph_without_mailbox_settings_categories_are_not_retried_every_tick(
    tmp_path, db_url, monkeypatch
):
    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "s3cret-value")
    fake = FakeGraph(helpers.ENGINEER, roles=("Mail.ReadWrite", "Mail.Send"))
    w = RemoteWorld(tmp_path, graph_config(tmp_path, db_url), fake)
    try:
        assert fake.count("GET", "/outlook/masterCategories") == 1  # refused: 403, logged
        w.restart()
        w.tick()
        assert fake.count("GET", "/outlook/masterCategories") == 1  # not again for a day
    finally:
        w.close()


# -- sign-in -----------------------------------------------------------------------------------
def test_sign_in_errors_name_the_host_and_azure_ads_code(gw, tmp_path, capsys):
    gw.fake.token_error = "invalid_client"
    code, err = _check(gw, tmp_path, capsys)
    assert code == 2 and "login.microsoftonline.com" in err and "AADSTS7000215" in err
    assert "client secret" in err  # and what to do


def test_a_configured_authority_signs_in_without_instance_discovery(tmp_path, db_url, monkeypatch):
    """A configured authority host (not one msal knows): msal must not ask the global
    cloud's discovery endpoint (not even installed here: it would fail) and validates
    the authority by its own metadata."""
    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "s3cret-value")
    data = graph_config(tmp_path, db_url)
    data["mailbox"]["graph"]["authority_host"] = "https://sts.contoso.example"
    data["mailbox"]["graph"]["endpoint"] = "https://graph.contoso.example"
    fake = FakeGraph(
        helpers.ENGINEER,
        graph="https://graph.contoso.example/v1.0",
        login="https://sts.contoso.example",
    )
    w = RemoteWorld(tmp_path, data, fake)
    try:
        fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
        w.tick()
        assert fake.login_requests == ["metadata", "token"]  # no discovery
        assert len(fake.in_folder(fake.path("Mailbot/Awaiting Approval"))) == 1
    finally:
        w.close()


@pytest.mark.parametrize("cloud", ["global", "usgov", "usgov-dod", "china"])
def test_graph_signs_in_to_each_national_cloud(tmp_path, db_url, monkeypatch, cloud):
    from mailbot.exchange import CLOUDS

    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "s3cret-value")
    data = graph_config(tmp_path, db_url)
    data["mailbox"]["graph"]["cloud"] = cloud
    graph, login = CLOUDS[cloud]
    fake = FakeGraph(helpers.ENGINEER, graph=f"{graph}/v1.0", login=login)
    w = RemoteWorld(tmp_path, data, fake)
    try:
        fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
        w.tick()
        assert fake.login_requests == ["metadata", "token"]  # the cloud's own authority
        assert len(fake.in_folder(fake.path("Mailbot/Awaiting Approval"))) == 1
    finally:
        w.close()


def test_an_unreachable_authority_is_named(tmp_path, db_url, monkeypatch, capsys):
    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "s3cret-value")
    data = graph_config(tmp_path, db_url)
    data["mailbox"]["graph"]["authority_host"] = "https://login.nowhere.invalid"
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing answers
        path = helpers.write_toml(tmp_path / "g.toml", data)
        code = cli.main(["check", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "login.nowhere.invalid" in err and "DNS" in err
    assert "ConnectionError" not in err.split("DNS")[0]


# -- permissions -----------------------------------------------------------------------------
def test_check_names_mail_send_missing_from_an_app_before_anything_is_sent(gw, tmp_path, capsys):
    gw.fake.roles = ("Mail.ReadWrite",)  # the admin granted only this
    code, err = _check(gw, tmp_path, capsys)
    assert code == 2
    assert "permission missing: Mail.Send" in err and "admin consent" in err
    assert "MailboxSettings.ReadWrite" in err
    assert gw.fake.count("POST", "/send") == 0


def test_check_names_a_delegated_scope_missing(tmp_path, db_url, monkeypatch, capsys):
    data = graph_config(tmp_path, db_url)
    g = data["mailbox"]["graph"]
    del g["client_secret_env"]
    g["auth"] = "delegated"
    g["token_cache"] = str(tmp_path / "cache.json")
    signed_in_cache(tmp_path / "cache.json", "https://graph.microsoft.com/Mail.ReadWrite")
    fake = FakeGraph(helpers.ENGINEER, scopes=("Mail.ReadWrite", "Mail.Send"))
    w = RemoteWorld(tmp_path, data, fake)
    try:
        code, err = _check(w, tmp_path, capsys)
        assert code == 2 and "MailboxSettings.ReadWrite" in err and "mailbot login" in err
    finally:
        w.close()


# -- limits and TLS -----------------------------------------------------------------------------
def test_daily_recipient_limit_holds_sends_beside_the_per_minute_rate(
    tmp_path, db_url, monkeypatch
):
    w = GraphWorld(tmp_path, db_url, monkeypatch)
    try:
        w.data["mailbox"]["daily_recipient_limit"] = 3  # each first response: customer + support
        w.settings = config.parse(w.data, base=tmp_path)
        w.restart()
        for n in ("2611230010001111", "2611230010002222"):
            w.fake.deliver(CUSTOMER, f"Problem - TrackingID#{n}", "hello", cc=helpers.SUPPORT)
        w.tick()
        w.approve_all()
        w.at(berlin(2026, 11, 30, 10)).tick()
        w.at(berlin(2026, 11, 30, 10, 30)).tick()
        assert w.fake.count("POST", "/send") == 1  # the second would make 4 in 24 hours
        w.at(berlin(2026, 12, 1, 10, 5)).tick()  # a day later there is room again
        assert w.fake.count("POST", "/send") == 2
    finally:
        w.close()


def test_ca_bundle_wins_over_the_environments_ca_variables(tmp_path, db_url, monkeypatch):
    ca = corporate_ca_variables(tmp_path, monkeypatch)
    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "s3cret-value")
    data = graph_config(tmp_path, db_url)
    data["mailbox"]["graph"]["ca_bundle"] = str(ca)
    w = RemoteWorld(tmp_path, data, FakeGraph(helpers.ENGINEER))
    try:
        w.tick()
        assert verified_against(w.rsps) == {str(ca)}  # sign-in and Graph alike
    finally:
        w.close()


def test_the_token_store_falls_back_to_an_owner_only_file_and_reads_an_older_one(tmp_path):
    """Where the OS has no encrypted store (a server, this machine: no libsecret), the
    cache is an owner-only file; a plain file an older mailbot wrote is still read."""
    from mailbot.mailbox.token_store import TokenStore

    path = tmp_path / "data" / "graph-token-cache.json"
    path.parent.mkdir()
    path.write_text('{"AccessToken": {}}')  # what an older mailbot left
    store = TokenStore(path)
    assert store.load() == '{"AccessToken": {}}'
    store.save('{"RefreshToken": {}}')
    again = TokenStore(path)
    assert again.load() == '{"RefreshToken": {}}'
    if again.kind == "owner-only file":
        assert path.stat().st_mode & 0o077 == 0
