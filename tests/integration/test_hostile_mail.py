"""Nothing a customer writes stops mailbot: arbitrary subjects, bodies, names and headers
(template syntax, markers, control characters, huge or empty values, broken encodings)
go through ingest → plan → draft → approve → send. Every tick exits 0, and a normal
case beside the hostile one gets its first response all the same. Customer text
appears literally in the drafts and is never evaluated."""

from __future__ import annotations

import shutil
from email.header import Header
from email.utils import format_datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot import cli
from tests import helpers
from tests.integration.world import berlin

NASTY = [
    "{{",
    "}}",
    "{% for x in y %}",
    "{# c #}",
    "[Customer Name]",
    "[[ slot ]]",
    "<case number>",
    "xxx-xxx",
    "Undefined",
    "\x00",
    "\r\n",
    "\x1b[31m",
    "=?utf-8?q?=41?=",
    "=?bogus?x?zz?=",
    "<script>alert(1)</script>",
    "\u202e",
    "ä€𝄞",
    "%(x)s",
    "${x}",
]
text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=30)), max_size=12).map("".join)


def _raw(subject: str, name: str, body: str, extra: str, encode: bool, when) -> bytes:
    subject_value = Header(subject, "utf-8").encode() if encode else subject
    lines = [
        f"From: {name} <{helpers.CUSTOMER}>",
        f"To: {helpers.ENGINEER}",
        f"Cc: {helpers.SUPPORT}",
        f"Subject: {subject_value} TrackingID#2611230010009999",
        f"Date: {format_datetime(when)}",
        "Message-ID: <hostile@fabrikam.example>",
    ]
    if extra:
        lines.append(f"X-Extra: {extra}")
    head = "\n".join(line.replace("\r", " ").replace("\n", " ") for line in lines)
    data = (head + "\nContent-Type: text/plain; charset=utf-8\n\n" + body + "\n").encode(
        "utf-8", "surrogateescape"
    )
    return data


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    subject=text,
    name=text,
    body=st.one_of(text, st.just("{{" * 5000), st.just("")),
    extra=text,
    encode=st.booleans(),
)
def test_no_customer_text_stops_a_tick_or_another_case(
    tmp_path_factory, template_db, monkeypatch, subject, name, body, extra, encode
):
    tmp = tmp_path_factory.mktemp("hostile")
    shutil.copy(template_db, tmp / "mailbot.db")
    data = helpers.config_dict(tmp, f"sqlite:///{tmp / 'mailbot.db'}")
    cfg = helpers.write_toml(tmp / "mailbot.toml", data)
    maildir = tmp / "Maildir"
    when = berlin(2026, 11, 30, 9)
    helpers.deliver(maildir, _raw(subject, name, body, extra, encode, when), when=when)
    helpers.deliver(maildir, helpers.mail(when=when))  # a normal case beside it

    def tick(at) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setenv("MAILBOT_NOW", at.isoformat())
        assert cli.main(["tick", "--config", str(cfg)]) == 0

    tick(berlin(2026, 11, 30, 9, 30))
    helpers.approve_all(maildir, edit=False)
    tick(berlin(2026, 11, 30, 10))
    tick(berlin(2026, 11, 30, 10, 5))
    sent = [p.read_bytes() for p in (tmp / "outgoing").glob("*.eml")]
    assert any(helpers.CASE.encode() in m for m in sent)  # the normal case went on


def test_r25_template_syntax_from_the_customer_is_sent_literally(tmp_path, db_url):
    from tests.integration.world import World

    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        w.customer(
            subject=f"{{{{ 6*7 }}}} and [Customer Name] xxx-xxx fail - TrackingID#{helpers.CASE}"
        )
        w.tick()
        assert w.draft_kinds() == ["first_response"]
        w.approve()
        w.at(berlin(2026, 11, 30, 10)).tick()
        (msg,) = w.sent()
        text = msg.get_body(("plain",)).get_content()
        assert "{{ 6*7 }} and [Customer Name] xxx-xxx fail" in text and " 42 " not in text
        assert w.events("blocked") == []
    finally:
        w.close()


def test_a_customer_cannot_pass_their_mail_off_as_mailbots_own(tmp_path, db_url):
    """mailbot's key header in customer mail (forged, or copied from mail mailbot sent
    them) does not make it mailbot's own: the case opens and gets its first response."""
    from tests.integration.world import World

    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        w.customer(
            headers={
                "X-Mailbot-Key": "0123456789abcdef0123456789abcdef",
                "X-Mailbot-Kind": "first_response",
            }
        )
        w.tick()
        assert w.draft_kinds() == ["first_response"]
    finally:
        w.close()


def test_an_approved_draft_left_without_a_recipient_is_held_and_the_engineer_told(tmp_path, db_url):
    """The engineer emptied To and Cc (or left an address mangled) before approving: the
    draft is not handed to the MTA as if sent; it waits in Approved and they are told."""
    from tests.integration.world import World

    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        w.customer()
        w.tick()
        (draft,) = w.drafts()
        text = draft.read_text()
        text = text.replace(f"To: {helpers.CUSTOMER}", "To: <<<maria,,,")
        draft.write_text(text.replace(f"Cc: {helpers.SUPPORT}", "Cc: "))
        w.approve(edit=False)
        w.at(berlin(2026, 11, 30, 10)).tick()
        assert w.sent() == []
        (blocked,) = w.events("blocked")
        assert "no recipient" in blocked.reason
        assert "remind_blocked" in w.inbox_reminders()
    finally:
        w.close()
