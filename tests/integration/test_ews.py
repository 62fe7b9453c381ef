"""The whole loop over EWS: the real exchangelib against a stateful fake of the SOAP
operations (tests/integration/fake_ews.py), the real engine and database."""

from __future__ import annotations

import pytest
import responses
from sqlalchemy import select

from mailbot import cli, config
from mailbot.cycle import sync_step
from mailbot.domain.kinds import OutboxState
from mailbot.mailbox.port import MailboxError
from mailbot.store.models import Case, MailItem
from tests import helpers
from tests.integration.fake_ews import ENDPOINT, KEY, FakeEws
from tests.integration.remote_world import (
    RemoteWorld,
    corporate_ca_variables,
    signed_in_cache,
    verified_against,
)
from tests.integration.world import berlin

CUSTOMER = f"Maria Lopez <{helpers.CUSTOMER}>"
SUBJECT = f"Pipeline fails with timeout - TrackingID#{helpers.CASE}"
AWAITING, APPROVED, REJECTED = "Mailbot/Awaiting Approval", "Mailbot/Approved", "Mailbot/Rejected"


def ews_config(tmp_path, db_url, **ews) -> dict:
    data = helpers.config_dict(tmp_path, db_url)
    data["mailbox"] = {
        "kind": "ews",
        "ews": {
            "email": helpers.ENGINEER,
            "service_endpoint": ENDPOINT,
            "version": "2016",
            "auth": "basic",
            "username": "CONTOSO\\sam",
            "password_env": "MAILBOT_TEST_EWS_PASSWORD",
            **ews,
        },
    }
    return data


class EwsWorld(RemoteWorld):
    def __init__(self, tmp_path, db_url, monkeypatch, summary: bool = False, **ews) -> None:
        monkeypatch.setenv("MAILBOT_TEST_EWS_PASSWORD", "pa55word")
        monkeypatch.setenv("MAILBOT_TEST_EWS_SECRET", "s3cret-value")
        data = ews_config(tmp_path, db_url, **ews)
        data["summary"] = {"enabled": summary}
        super().__init__(tmp_path, data, FakeEws(helpers.ENGINEER))

    def quiet(self, app) -> None:  # type: ignore[no-untyped-def]
        app.mailbox.call.sleep = self.sleeps.append

    def box(self, name: str) -> list[dict]:
        return self.fake.in_folder(self.fake.folder(name))

    def approve_all(self) -> int:
        drafts = self.box(AWAITING)
        for item in drafts:
            self.fake.move(item["id"], self.fake.folder(APPROVED))
        return len(drafts)

    def sent(self) -> list[dict]:
        return self.box("sentitems")


@pytest.fixture
def ew(tmp_path, db_url, monkeypatch):
    w = EwsWorld(tmp_path, db_url, monkeypatch)
    yield w
    w.close()


def test_ews_whole_loop_draft_threaded_approve_edited_version_sent_once(ew):
    original = ew.fake.deliver(
        CUSTOMER, SUBJECT, "Our nightly pipeline fails with a timeout.", cc=helpers.SUPPORT
    )
    ew.tick()
    (draft,) = ew.box(AWAITING)
    mime = ew.fake.parsed(draft["id"])
    assert draft["draft"] and draft["categories"] == ["Mailbot"] and draft["props"][KEY]
    assert mime["In-Reply-To"] == ew.fake.parsed(original)["Message-ID"]  # Outlook threads it
    assert ew.fake.parsed(original)["Message-ID"] in mime["References"]
    assert helpers.CASE in mime["Subject"]
    assert [a.addr_spec for a in mime["Cc"].addresses] == [helpers.SUPPORT]  # R02
    html = mime.get_body(("html",)).get_content()
    assert "Alex Rivera" in html  # R24 signature, HTML body
    assert ew.sent() == []  # nothing before approval
    ew.fake.edit(draft["id"], "Alex Rivera", "Alex Rivera (edited)")
    ew.approve_all()
    ew.at(berlin(2026, 11, 30, 10)).tick()
    (sent,) = ew.sent()
    assert "Alex Rivera (edited)" in ew.fake.parsed(sent["id"]).get_body(("html",)).get_content()
    assert sent["props"][KEY] == draft["props"][KEY] and not sent["draft"]
    ew.tick()
    ew.at(berlin(2026, 11, 30, 11)).tick()
    assert ew.fake.count("SendItem") == 1 and ew.box(APPROVED) == []
    assert [r.state for r in ew.rows()] == [OutboxState.SENT]
    with ew.app.sessions() as s:  # the Sent Items copy is filed as mailbot's own mail
        own = s.scalars(select(MailItem).where(MailItem.folder == "Sent Items")).all()
        assert len(own) == 1 and own[0].automatic == "mailbot's own mail"


def test_ews_idle_poll_costs_one_request_per_watched_folder(ew):
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    ew.tick()
    before = len(ew.fake.requests)
    sync_step(ew.app)
    assert ew.fake.requests[before:] == ["SyncFolderItems", "SyncFolderItems"]


def test_ews_new_mail_is_fetched_in_batches_not_one_request_per_item(ew):
    for i in range(250):
        ew.fake.deliver(
            f"Cust {i} <c{i}@fabrikam.example>",
            f"Problem {i} - TrackingID#26113000100{i:05d}",
            "help",
            cc=helpers.SUPPORT,
        )
    before = len(ew.fake.requests)
    report = sync_step(ew.app)
    used = ew.fake.requests[before:]
    assert report.new_messages == 250
    assert used.count("GetItem") == 3  # 100 ids a request
    assert used.count("SyncFolderItems") == 2  # one page of up to 512 each for Inbox and Sent


def test_ews_sync_pages_through_more_changes_than_one_call_returns(ew, monkeypatch):
    monkeypatch.setattr("mailbot.mailbox.ews.adapter.SYNC_PAGE", 40)
    for i in range(90):
        ew.fake.deliver(f"C <c{i}@fabrikam.example>", f"P {i} - TrackingID#26113000200{i:05d}", "x")
    report = sync_step(ew.app)
    assert report.new_messages == 90
    assert sync_step(ew.app).new_messages == 0  # the state stored is the last page's


def test_r03_r27_reminder_lands_in_the_inbox_as_a_message_not_a_draft(ew):
    ew.fake.deliver(CUSTOMER, SUBJECT, "our password: Winter2026!Secret", cc=helpers.SUPPORT)
    ew.tick()
    reminders = [i for i in ew.box("inbox") if i["categories"] == ["Mailbot"]]
    assert len(reminders) == 1 and reminders[0]["draft"] is False
    assert ew.fake.parsed(reminders[0]["id"])["To"] == helpers.ENGINEER  # never to the customer
    ew.tick()  # synced back from the Inbox and recognised as mailbot's own mail
    with ew.app.sessions() as s:
        item = s.scalar(select(MailItem).where(MailItem.item_key == reminders[0]["id"]))
        assert item.automatic == "mailbot's own mail"


def test_ews_server_busy_and_http_throttling_are_honoured_and_bounded(ew):
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    ew.fake.busy = 1
    ew.fake.http_errors = [(503, "7"), (429, "3")]
    ew.tick()
    assert ew.sleeps == [7.0, 3.0, 2.0]  # Retry-After and BackOffMilliseconds honoured
    assert len(ew.box(AWAITING)) == 1
    ew.fake.busy = 1000
    with pytest.raises(MailboxError, match="still busy"):
        sync_step(ew.app)
    assert len(ew.sleeps) == 3 + 5  # gave up after 5 retries, no endless loop


def test_ews_refused_sync_state_resyncs_and_files_nothing_twice(ew):
    ew.fake.deliver(CUSTOMER, SUBJECT, "first", cc=helpers.SUPPORT)
    ew.tick()
    ew.fake.deliver(CUSTOMER, "RE: " + SUBJECT, "second", cc=helpers.SUPPORT)
    ew.fake.expire_sync = True
    ew.tick()
    ew.tick()
    with ew.app.sessions() as s:
        inbox = s.scalars(select(MailItem).where(MailItem.folder == "INBOX")).all()
        customer = sorted(i.subject for i in inbox if i.direction == "customer")
        assert customer == sorted([SUBJECT, "RE: " + SUBJECT])


def test_ews_deleted_or_rejected_draft_is_recorded_as_rejected(ew):
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    ew.tick()
    (draft,) = ew.box(AWAITING)
    ew.fake.move(draft["id"], ew.fake.folder(REJECTED))
    ew.tick()
    assert [r.state for r in ew.rows()] == [OutboxState.REJECTED]
    assert ew.fake.count("SendItem") == 0


class Killed(BaseException):
    pass


def _approved_and_due(ew) -> None:
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    ew.tick()
    ew.approve_all()
    ew.at(berlin(2026, 11, 30, 10))


def test_r26_ews_crash_after_send_is_found_in_sent_items(ew, monkeypatch):
    _approved_and_due(ew)
    real_send = ew.app.mailbox.send

    def send_then_die(ref, key):
        real_send(ref, key)
        raise Killed()

    monkeypatch.setattr(ew.app.mailbox, "send", send_then_die)
    with pytest.raises(Killed):
        ew.tick()
    ew.restart()
    ew.at(berlin(2026, 11, 30, 10, 5)).tick()
    ew.tick()
    assert ew.fake.count("SendItem") == 1 and len(ew.sent()) == 1
    assert ew.rows()[0].state == OutboxState.SENT


def test_r26_ews_crash_before_send_sends_once_after_restart(ew, monkeypatch):
    _approved_and_due(ew)
    monkeypatch.setattr(ew.app.mailbox, "send", lambda ref, key: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        ew.tick()
    ew.restart()
    ew.at(berlin(2026, 11, 30, 10, 5)).tick()
    ew.tick()
    assert ew.fake.count("SendItem") == 1 and len(ew.sent()) == 1  # still in Approved: unsent


def test_r26_ews_draft_gone_from_approved_and_not_in_sent_is_never_resent(ew, monkeypatch):
    _approved_and_due(ew)
    monkeypatch.setattr(ew.app.mailbox, "send", lambda ref, key: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        ew.tick()
    (approved,) = ew.box(APPROVED)
    ew.fake.move(approved["id"], ew.fake.folder("outbox"))  # in transit: it may leave any moment
    ew.restart()
    ew.at(berlin(2026, 11, 30, 10, 5)).tick()
    assert ew.fake.count("SendItem") == 0
    assert ew.rows()[0].state == OutboxState.FAILED


def test_r26_ews_answer_lost_after_the_send_is_settled_from_sent_items_not_resent(ew):
    _approved_and_due(ew)
    ew.fake.drop_after = {"SendItem"}  # Exchange sent it, the connection dropped before the answer
    ew.tick()
    assert ew.fake.count("SendItem") == 1 and len(ew.sent()) == 1
    ew.at(berlin(2026, 11, 30, 10, 5)).tick()
    ew.at(berlin(2026, 11, 30, 11)).tick()
    assert ew.fake.count("SendItem") == 1  # found in Sent Items: never twice
    assert ew.rows()[0].state == OutboxState.SENT


def test_ews_draft_creation_is_idempotent_after_a_crash(ew, monkeypatch):
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    real_create = ew.app.mailbox._create
    calls = {"n": 0}

    def create_then_die(*args, **kw):
        calls["n"] += 1
        real_create(*args, **kw)
        if calls["n"] == 1:
            raise Killed()

    monkeypatch.setattr(ew.app.mailbox, "_create", create_then_die)
    with pytest.raises(Killed):
        ew.tick()  # the draft exists in Exchange; the outbox row does not know yet
    ew.restart()
    ew.tick()
    assert len(ew.box(AWAITING)) == 1 and ew.fake.count("CreateItem") == 1


def test_r26_ews_send_rate_limit_from_config(tmp_path, db_url, monkeypatch):
    w = EwsWorld(tmp_path, db_url, monkeypatch)
    try:
        w.settings = config.parse({**w.data, "policy": {"rate_limit_per_minute": 1}}, base=tmp_path)
        w.restart()
        for n in ("2611230010001111", "2611230010002222"):
            w.fake.deliver(CUSTOMER, f"Problem - TrackingID#{n}", "hello", cc=helpers.SUPPORT)
        w.tick()
        assert w.approve_all() == 2
        w.at(berlin(2026, 11, 30, 10)).tick()
        assert w.fake.count("SendItem") == 1  # the second waits for the next minute
        w.at(berlin(2026, 11, 30, 10, 2)).tick()
        assert w.fake.count("SendItem") == 2
    finally:
        w.close()


def _solution_delivered(w, at=(10, 35)) -> None:  # type: ignore[no-untyped-def]
    """The engineer's answer in Sent Items, categorised as delivering the solution."""
    from email.message import EmailMessage

    w.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    w.tick()
    reply = EmailMessage()
    reply["From"] = helpers.ENGINEER
    reply["To"] = helpers.CUSTOMER
    reply["Cc"] = helpers.SUPPORT
    reply["Subject"] = "RE: " + SUBJECT
    reply.set_content("Please raise the timeout to 300 seconds.")
    w.fake._put(w.fake.folder("sentitems"), reply.as_bytes(), headers=False)
    (mine,) = w.sent()
    w.fake.categorise(mine["id"], "Mailbot: Solution delivered")
    w.at(berlin(2026, 11, 30, *at)).tick()


def test_r10_outlook_category_on_the_engineers_sent_mail_is_a_signal(ew):
    _solution_delivered(ew, at=(10, 5))
    with ew.app.sessions() as s:
        case = s.scalar(select(Case).where(Case.number == helpers.CASE))
        assert case.state == "solution_delivered"


def test_r29_weekly_summary_over_ews_carries_its_chart_inline(tmp_path, db_url, monkeypatch):
    w = EwsWorld(tmp_path, db_url, monkeypatch, summary=True)
    try:
        w.tick()
        w.at(berlin(2026, 11, 30, 9, 35)).tick()
        (summary,) = [
            i for i in w.sent() if "Weekly case summary" in w.fake.parsed(i["id"])["Subject"]
        ]
        mime = w.fake.parsed(summary["id"])
        (image,) = [p for p in mime.walk() if p.get_content_type() == "image/png"]
        assert f"cid:{image['Content-ID'].strip('<>')}" in mime.get_body(("html",)).get_content()
        assert mime["To"] == "sam.okafor@contoso.example"
    finally:
        w.close()


# -- connecting --------------------------------------------------------------------------
def _check(world, tmp_path, capsys) -> tuple[int, str]:
    ews = world.data["mailbox"]["ews"]
    world.data["mailbox"]["ews"] = {k: v for k, v in ews.items() if v is not None}
    path = helpers.write_toml(tmp_path / "ews.toml", world.data)
    code = cli.main(["check", "--config", str(path)])
    return code, capsys.readouterr().err


def test_check_names_a_refused_password_and_does_not_loop(ew, tmp_path, capsys):
    ew.fake.password = "changed"
    before = len(ew.fake.requests)
    code, err = _check(ew, tmp_path, capsys)
    assert code == 2 and "sign-in refused (401)" in err
    assert "pa55word" not in err and "Traceback" not in err
    assert len(ew.fake.requests) - before <= 1  # a 401 is not retried


def test_check_names_an_unreachable_server(ew, tmp_path, capsys, monkeypatch):
    ew.data["mailbox"]["ews"]["service_endpoint"] = "https://ews.nowhere.invalid/EWS/Exchange.asmx"
    code, err = _check(ew, tmp_path, capsys)
    assert code == 2 and "cannot reach the server" in err and "nowhere.invalid" in err


def test_check_names_a_certificate_that_does_not_verify(ew, tmp_path, capsys):
    ew.fake.tls_error = True
    code, err = _check(ew, tmp_path, capsys)
    assert code == 2 and "TLS verification failed" in err and "ca_bundle" in err


def app_only_world(tmp_path, db_url, monkeypatch) -> EwsWorld:  # type: ignore[no-untyped-def]
    return EwsWorld(
        tmp_path,
        db_url,
        monkeypatch,
        auth="oauth-app",
        username=None,
        password_env=None,
        tenant_id="contoso-tenant",
        client_id="11111111-2222-3333-4444-555555555555",
        client_secret_env="MAILBOT_TEST_EWS_SECRET",
    )


def test_ews_app_only_oauth_impersonates_the_mailbox(tmp_path, db_url, monkeypatch):
    w = app_only_world(tmp_path, db_url, monkeypatch)
    try:
        w.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
        w.tick()
        assert len(w.box(AWAITING)) == 1 and w.fake.login.tokens_issued == 1
        assert w.fake.impersonated  # every call names the engineer's mailbox
    finally:
        w.close()


def test_check_names_missing_impersonation_rights(tmp_path, db_url, monkeypatch, capsys):
    w = EwsWorld(tmp_path, db_url, monkeypatch, access="impersonation")
    try:
        w.fake.impersonation_denied = True
        code, err = _check(w, tmp_path, capsys)
        assert code == 2 and "permission missing" in err and "impersonate" in err
    finally:
        w.close()


def test_ews_config_errors_are_clear(tmp_path, monkeypatch):
    data = ews_config(tmp_path, "sqlite:///x.db")
    with pytest.raises(config.ConfigError, match="MAILBOT_TEST_EWS_PASSWORD is not set"):
        config.parse(data, base=tmp_path)
    monkeypatch.setenv("MAILBOT_TEST_EWS_PASSWORD", "pa55-secret-value")
    for key, value, match in (
        ("version", "2003", "2010"),
        ("version", "banana", "not an Exchange version"),
        ("auth", "kerberos", "must be one of"),
        ("service_endpoint", "http://mail.contoso.example/EWS/Exchange.asmx", "https"),
        ("autodiscover", True, "either service_endpoint or autodiscover"),
    ):
        bad = ews_config(tmp_path, "sqlite:///x.db", **{key: value})
        with pytest.raises(config.ConfigError, match=match):
            config.parse(bad, base=tmp_path)
    del data["mailbox"]["ews"]["service_endpoint"]
    with pytest.raises(config.ConfigError, match="service_endpoint"):
        config.parse(data, base=tmp_path)
    ok = config.parse(ews_config(tmp_path, "sqlite:///x.db", version="15.1.2507.6"), base=tmp_path)
    assert ok.mailbox.ews.version == "15.1.2507.6" and "pa55-secret" not in repr(ok.mailbox.ews)


def test_ews_delegated_oauth_uses_the_signed_in_token_and_renews_it(tmp_path, db_url, monkeypatch):
    signed_in_cache(
        tmp_path / "ews-cache.json", "https://outlook.office365.com/EWS.AccessAsUser.All"
    )
    w = EwsWorld(
        tmp_path,
        db_url,
        monkeypatch,
        auth="oauth-delegated",
        username=None,
        password_env=None,
        tenant_id="contoso-tenant",
        client_id="11111111-2222-3333-4444-555555555555",
        token_cache=str(tmp_path / "ews-cache.json"),
    )
    try:
        assert w.fake.login.tokens_issued == 1  # refreshed from the cached refresh token
        assert not w.fake.impersonated  # delegated: the engineer's own mailbox
        assert (tmp_path / "ews-cache.json").stat().st_mode & 0o777 == 0o600
        w.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
        w.at(berlin(2026, 11, 30, 13)).tick()  # hours later the access token has run out
        assert w.fake.login.tokens_issued == 2 and len(w.box(AWAITING)) == 1
    finally:
        w.close()


def test_login_refuses_a_config_without_delegated_oauth(ew, tmp_path, capsys):
    path = helpers.write_toml(tmp_path / "ews.toml", ew.data)
    assert cli.main(["login", "--config", str(path)]) == 2
    assert "oauth-delegated" in capsys.readouterr().err


def test_ews_cli_tick_and_check_run_the_loop_from_the_config_file(ew, tmp_path, capsys):
    ew.fake.deliver(CUSTOMER, SUBJECT, "Our nightly pipeline fails.", cc=helpers.SUPPORT)
    path = helpers.write_toml(tmp_path / "ews.toml", ew.data)
    assert cli.main(["check", "--config", str(path)]) == 0
    assert f"ews {helpers.ENGINEER} at {ENDPOINT} (basic, delegate)" in capsys.readouterr().out
    assert cli.main(["tick", "--config", str(path)]) == 0
    assert "1 new messages" in capsys.readouterr().out
    assert len(ew.box(AWAITING)) == 1


def test_check_names_a_failed_autodiscover(tmp_path, db_url, monkeypatch, capsys):
    monkeypatch.setenv("MAILBOT_TEST_EWS_PASSWORD", "pa55word")
    data = ews_config(tmp_path, db_url, autodiscover=True)
    del data["mailbox"]["ews"]["service_endpoint"]
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing answers
        path = helpers.write_toml(tmp_path / "ad.toml", data)
        code = cli.main(["check", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "autodiscover failed" in err and "service_endpoint" in err


def test_r26_ews_send_answered_503_is_settled_from_the_mailbox_not_repeated_blindly(ew):
    _approved_and_due(ew)
    ew.fake.http_errors = [(503, "1", "SendItem")]  # the front end answers the send with 503
    ew.tick()
    assert ew.sleeps == [] and ew.fake.count("SendItem") == 1 and ew.sent() == []
    ew.at(berlin(2026, 11, 30, 10, 5)).tick()  # still in Approved: provably unsent, sent now
    ew.at(berlin(2026, 11, 30, 10, 10)).tick()
    assert ew.fake.count("SendItem") == 2 and len(ew.sent()) == 1
    assert ew.rows()[0].state == OutboxState.SENT


def test_r19_ews_a_draft_gone_stale_in_approved_moves_to_not_sent_with_a_note(ew):
    ew.fake.deliver(CUSTOMER, SUBJECT, "Our nightly pipeline fails.", cc=helpers.SUPPORT)
    ew.tick()
    ew.at(berlin(2026, 11, 30, 18)).approve_all()  # after hours: it waits for the morning
    ew.tick()
    ew.at(berlin(2026, 11, 30, 20))
    ew.fake.deliver(CUSTOMER, "RE: " + SUBJECT, "One more detail.", cc=helpers.SUPPORT)
    ew.tick()
    assert ew.box(APPROVED) == [] and ew.box(AWAITING) != []  # a fresh draft replaces it
    (moved,) = ew.box("Mailbot/Not sent")
    text = ew.fake.parsed(moved["id"]).get_body(("plain",)).get_content()
    assert "not sent and will not be" in text and "the customer wrote after" in text
    assert moved["props"][KEY] == ew.rows()[0].key  # the same draft, found by its key
    ew.at(berlin(2026, 12, 1, 9, 30)).tick()
    assert ew.fake.count("SendItem") == 0 and len(ew.box("Mailbot/Not sent")) == 1


def test_an_http_500_page_is_one_line_naming_it_and_exit_3(ew, tmp_path, capsys):
    """Not a traceback, and not "DNS": the server answered, with an error page."""
    page = "<html><body><h1>500 - Internal server error.</h1></body></html>"
    ew.fake.http_errors = [(500, None, "SyncFolderItems", page)] * 10  # folder ids are known
    path = helpers.write_toml(tmp_path / "ews.toml", ew.data)
    assert cli.main(["tick", "--config", str(path)]) == 3
    lines = capsys.readouterr().err.strip().splitlines()
    err = "\n".join(line for line in lines if not line.startswith("{"))  # not the JSON logs
    assert len(err.splitlines()) == 1 and "HTTP 500" in err
    assert "DNS" not in err and "Traceback" not in err


# -- across processes: folder ids, approval folders and tokens kept --------------------------
def test_ews_an_idle_cron_tick_is_one_sync_per_watched_folder(ew):
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    ew.tick()
    ew.restart()  # a cron tick is a new process
    before = len(ew.fake.requests)
    ew.tick()  # idle, one draft pending: Inbox, Sent Items, Approved, Awaiting, Rejected
    assert ew.fake.requests[before:] == ["SyncFolderItems"] * 5
    ew.approve_all()
    ew.fake.requests.clear()
    ew.restart()
    ew.tick()  # the approval is read from the syncs: no listing, no folder lookup
    assert "FindItem" not in ew.fake.requests and "FindFolder" not in ew.fake.requests
    assert [r.state for r in ew.rows()] == [OutboxState.SENT]
    ew.tick()  # files the Sent Items copy
    ew.restart()
    before = len(ew.fake.requests)
    ew.tick()  # nothing pending any more
    assert ew.fake.requests[before:] == ["SyncFolderItems", "SyncFolderItems"]


def test_ews_approval_is_read_even_when_the_sync_carries_no_properties(ew):
    ew.fake.bare_sync = True  # a server that answers SyncFolderItems with ids only
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    ew.tick()
    ew.approve_all()
    ew.at(berlin(2026, 11, 30, 10)).tick()
    assert [r.state for r in ew.rows()] == [OutboxState.SENT]  # keys asked for by GetItem


def test_ews_folder_renamed_or_deleted_is_found_again_and_logged(ew, capsys):
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    ew.tick()
    old = ew.fake.folder(AWAITING)
    ew.fake.rename_folder(old, "Old drafts")
    ew.fake.delete_folder(ew.fake.folder(APPROVED))  # into Deleted Items
    ew.restart()
    capsys.readouterr()
    ew.fake.deliver(
        "Other <o@fabrikam.example>",
        "Broken - TrackingID#2611230010005555",
        "x",
        cc=helpers.SUPPORT,
    )
    ew.tick()
    logs = "".join(capsys.readouterr())
    assert "found again" in logs and "renamed to 'Old drafts'" in logs and "moved" in logs
    assert ew.fake.folder(AWAITING) != old and len(ew.box(AWAITING)) == 1
    ew.approve_all()  # into the new Approved
    ew.at(berlin(2026, 11, 30, 10)).tick()
    assert ew.fake.count("SendItem") == 1


def test_ews_a_hard_deleted_watched_folder_is_created_again(ew, capsys):
    ew.tick()
    ew.fake.delete_folder(ew.fake.folder(REJECTED), hard=True)
    ew.fake.deliver(CUSTOMER, SUBJECT, "hello", cc=helpers.SUPPORT)
    ew.restart()
    ew.tick()
    (draft,) = ew.box(AWAITING)
    ew.fake.move(draft["id"], ew.fake.folder(REJECTED))  # found again (created) before
    ew.tick()
    assert [r.state for r in ew.rows()] == [OutboxState.REJECTED]


@pytest.mark.parametrize("version", ["2016", "2010"])
def test_ews_reminder_is_flagged_for_follow_up_and_completed_when_the_call_is_logged(
    tmp_path, db_url, monkeypatch, version
):
    from mailbot import signals

    w = EwsWorld(tmp_path, db_url, monkeypatch, version=version)
    if version == "2010":
        w.fake.server_version = (14, 3, 123, 4)
    try:
        _solution_delivered(w)
        w.at(berlin(2026, 12, 1, 10, 40)).tick()  # 24 hours after the solution (R10)
        (reminder,) = [i for i in w.box("inbox") if i["categories"] == ["Mailbot"]]
        assert reminder["reminder"] is True and reminder["reminder_due"].startswith(
            "2026-12-01T09:40"
        )
        if version == "2016":
            assert reminder["flag"]["FlagStatus"] == "Flagged"
            assert reminder["flag"]["DueDate"].startswith("2026-12-01T09:40")
        else:  # Exchange 2010 has no Flag element: PidTagFlagStatus
            assert reminder["props"]["tag:4240"] == "2"
        signals.add(w.app, helpers.CASE, "called-reached", berlin(2026, 12, 1, 11))
        w.at(berlin(2026, 12, 1, 11, 5)).tick()
        assert reminder["reminder"] is False
        if version == "2016":
            assert reminder["flag"]["FlagStatus"] == "Complete"
        else:
            assert reminder["props"]["tag:4240"] == "1"
        w.at(berlin(2026, 12, 1, 11, 10)).tick()
        assert w.fake.count("UpdateItem") == 1
    finally:
        w.close()


# -- permissions -----------------------------------------------------------------------------
def test_check_names_folder_rights_the_account_lacks(ew, tmp_path, capsys):
    ew.fake.rights[ew.fake.folder(AWAITING)] = {"CreateContents", "Delete"}
    code, err = _check(ew, tmp_path, capsys)
    assert code == 2
    assert f"permission missing on {AWAITING!r}: create_contents, delete" in err
    assert "FullAccess" in err


def test_check_names_a_missing_full_access_as_app(tmp_path, db_url, monkeypatch, capsys):
    w = app_only_world(tmp_path, db_url, monkeypatch)
    try:
        w.fake.login.roles = ("Mail.ReadWrite",)
        code, err = _check(w, tmp_path, capsys)
        assert code == 2 and "full_access_as_app" in err and "admin consent" in err
    finally:
        w.close()


def test_ews_app_only_token_is_reused_by_the_next_process(tmp_path, db_url, monkeypatch):
    w = app_only_world(tmp_path, db_url, monkeypatch)
    try:
        w.tick()
        w.restart()
        w.tick()
        assert w.fake.login.tokens_issued == 1 and w.fake.login.login_requests == [
            "metadata",
            "token",
        ]
        cache = w.settings.mailbox.ews.token_cache
        assert cache.stat().st_mode & 0o777 == 0o600
        w.at(berlin(2026, 11, 30, 11)).restart()  # an hour and a half later: expired
        w.tick()
        assert w.fake.login.tokens_issued == 2
    finally:
        w.close()


def test_ews_ca_bundle_wins_over_the_environments_ca_variables(tmp_path, db_url, monkeypatch):
    ca = corporate_ca_variables(tmp_path, monkeypatch)
    w = EwsWorld(tmp_path, db_url, monkeypatch, ca_bundle=str(ca))
    try:
        w.tick()
        assert verified_against(w.rsps) == {str(ca)}
    finally:
        w.close()


def test_check_says_which_ca_it_verifies_against(tmp_path, db_url, monkeypatch, capsys):
    ca = tmp_path / "corp-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/other.pem")
    w = EwsWorld(tmp_path, db_url, monkeypatch, ca_bundle=str(ca))
    try:
        path = helpers.write_toml(tmp_path / "ews.toml", w.data)
        assert cli.main(["check", "--config", str(path)]) == 0
        out = capsys.readouterr().out
        assert "REQUESTS_CA_BUNDLE=/etc/ssl/other.pem is set" in out and str(ca) in out
    finally:
        w.close()


def test_daemon_metrics_count_ews_requests_by_operation(ew):
    """The metrics server a daemon runs counts what the adapter asked Exchange for."""
    import socket
    import urllib.request

    from mailbot import metrics
    from mailbot.views import status

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stop = metrics.serve(f"127.0.0.1:{port}", lambda: status.figures(ew.app), lambda: (True, "ok"))
    try:
        ew.fake.deliver(CUSTOMER, SUBJECT, "Our nightly pipeline fails.", cc=helpers.SUPPORT)
        ew.tick()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=600) as resp:
            text = resp.read().decode()
    finally:
        stop()
    assert 'mailbot_mailbox_requests_total{operation="SyncFolderItems"}' in text
    assert 'mailbot_mailbox_requests_total{operation="GetItem"}' in text
    assert 'mailbot_mailbox_requests_total{operation="CreateItem"}' in text
    assert 'mailbot_outbox{kind="first_response",state="drafted"} 1.0' in text
