"""Each ingest filter alone (R01, R03, R07, R15, R17, R21, R27)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot import config
from mailbot.domain.kinds import Direction
from mailbot.ingest import automatic, pipeline
from mailbot.ingest.context import IngestContext
from mailbot.ingest.intent import read_intent
from mailbot.ingest.language import reading_languages
from mailbot.ingest.message import IncomingMessage, UnreadableMessage
from mailbot.ingest.return_date import return_date
from mailbot.ingest.secrets import secret_kind
from mailbot.mailbox.port import ItemRef
from tests import helpers

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return helpers.settings(tmp_path_factory.mktemp("cfg"), "sqlite:///x.db")


def run(
    settings, raw: bytes, known_numbers=(), thread_case=None, folder="INBOX"
) -> IncomingMessage:
    msg = IncomingMessage.from_head(ItemRef(folder, "k", "new/k"), raw, lambda: raw, NOW)
    ctx = IngestContext(
        settings, lambda ids: thread_case, lambda n: 7 if n in known_numbers else None, NOW
    )
    return pipeline.run(msg, ctx)


def test_r01_case_number_and_support_cc_make_a_new_case(settings):
    m = run(settings, helpers.mail().as_bytes())
    assert m.case_number == helpers.CASE and m.has_support_cc and m.case_id is None
    assert m.direction == Direction.CUSTOMER and m.automatic is None


def test_r01_plain_16_digit_number_and_trackingid_form(settings):
    m = run(settings, helpers.mail(subject="Case 2611230010009999 still open").as_bytes())
    assert m.case_number == "2611230010009999"
    m = run(
        settings, helpers.mail(subject="Order 12345678901234567 is late").as_bytes()
    )  # 17 digits: no case
    assert m.case_number is None


def test_r01_number_without_support_cc_is_left_alone_unless_the_case_is_known(settings):
    m = run(settings, helpers.mail(cc=None).as_bytes())
    assert m.case_number is None and "support address" in m.facts["not_a_case"]
    m = run(settings, helpers.mail(cc=None).as_bytes(), known_numbers=[helpers.CASE])
    assert m.case_id == 7


def test_r01_reply_that_lost_number_and_cc_joins_through_headers(settings):
    raw = helpers.mail(subject="RE: your question", cc=None, in_reply_to="<abc@x>").as_bytes()
    m = run(settings, raw, thread_case=42)
    assert m.case_id == 42 and m.facts["joined_by"] == "reply headers"


def test_r01_message_without_case_number_is_not_a_case(settings):
    m = run(settings, helpers.mail(subject="Lunch on Friday?").as_bytes())
    assert m.case_number is None and m.case_id is None


@pytest.mark.parametrize(
    ("headers", "subject", "kind", "signal"),
    [
        (
            {"Auto-Submitted": "auto-replied"},
            "Automatic reply: Pipeline - TrackingID#2611230010001234",
            "out-of-office",
            "Auto-Submitted: auto-replied",
        ),
        ({"Auto-Submitted": "auto-generated"}, "Status", "auto-generated", "Auto-Submitted"),
        ({}, "Automatische Antwort: Pipeline", "out-of-office", "subject"),
        ({}, "Réponse automatique : absent", "out-of-office", "subject"),
        ({"Precedence": "bulk"}, "News", "bulk mail", "Precedence: bulk"),
        ({"List-Id": "<x.list>"}, "News", "mailing list", "List-Id"),
        ({"Return-Path": "<>"}, "Hello", "auto-generated", "null Return-Path"),
        ({"X-Mailbot-Key": "abc"}, "RE: x", None, ""),  # a customer's: never mailbot's own
        ({}, "Undeliverable: Pipeline", "delivery report", "subject"),
        (
            {"X-MS-Exchange-Generated-Message-Source": "Mailbox Rules Agent"},
            "Hello",
            "auto-generated",
            "X-MS-Exchange-Generated-Message-Source",
        ),
        (
            {"X-MS-Exchange-Inbox-Rules-Loop": "m@fabrikam.example"},
            "Hi",
            "auto-generated",
            "Rules-Loop",
        ),
        (
            {"X-Auto-Response-Suppress": "All"},
            "Hello",
            None,
            "",
        ),  # alone it is a CRM add-in on a person's mail, never enough
    ],
)
def test_r03_automatic_mail_is_recognised_with_its_signal(settings, headers, subject, kind, signal):
    m = run(settings, helpers.mail(subject=subject, headers=headers).as_bytes())
    reason = automatic.classify(m)
    assert automatic.kind_of(reason) == kind
    assert signal in (reason or "")
    if kind:
        assert m.facts["automatic_kind"] == kind and len(reason) <= automatic.REASON_CHARS


def test_mailbots_key_marks_its_own_mail_from_the_engineers_address(settings):
    own = helpers.mail(sender=helpers.ENGINEER, headers={"X-Mailbot-Key": "abc"})
    assert automatic.kind_of(automatic.classify(run(settings, own.as_bytes()))) == automatic.OWN


def test_r03_weak_signals_count_only_together(settings):
    raw = helpers.mail(
        sender="postmaster@fabrikam.example", headers={"X-Auto-Response-Suppress": "All"}
    ).as_bytes()
    assert automatic.kind_of(run(settings, raw).automatic) == "delivery report"
    person = helpers.mail(sender="Pat Postmaster <postmaster@fabrikam.example>").as_bytes()
    assert run(settings, person).automatic is None


def test_r03_bounce_by_sender_and_report_type(settings):
    m = run(settings, helpers.mail(sender="MAILER-DAEMON@mx.fabrikam.example").as_bytes())
    assert m.automatic == "delivery report: sender mailer-daemon"
    raw = (
        helpers.mail()
        .as_bytes()
        .replace(
            b"Content-Type: text/plain",
            b"Content-Type: multipart/report; report-type=delivery-status",
        )
    )
    assert run(settings, raw).automatic == "delivery report: multipart/report delivery-status"


def test_r03_a_person_writing_is_not_automatic(settings):
    assert (
        run(
            settings,
            helpers.mail(
                subject="RE: out of the box config - TrackingID#2611230010001234"
            ).as_bytes(),
        ).automatic
        is None
    )


def test_direction_engineer_colleague_and_service_desk(settings):
    mine = helpers.mail(sender=helpers.ENGINEER).as_bytes()
    assert run(settings, mine, folder="Sent Items").direction == Direction.ENGINEER
    # the engineer is the mailbox: their address on mail in the Inbox proves nothing
    assert run(settings, mine).direction == Direction.OTHER
    assert (
        run(settings, helpers.mail(sender="kim@contoso.example").as_bytes()).direction
        == Direction.OTHER
    )
    assert (
        run(settings, helpers.mail(sender=helpers.SUPPORT).as_bytes()).direction == Direction.OTHER
    )


@pytest.mark.parametrize(
    ("text", "first_day_back"),
    [
        ("I am out of the office and back on 7 December 2026.", "2026-12-07"),
        ("Ich bin bis 11.12.2026 nicht im Büro.", "2026-12-14"),  # Fri away, back Mon
        ("Je suis absent, de retour le 9 décembre 2026.", "2026-12-09"),
        ("Estoy fuera de la oficina. Regreso el 10 de diciembre de 2026.", "2026-12-10"),
        ("Out of office until Monday 30 Nov.", "2026-12-01"),
        ("Thanks for your mail.", None),
    ],
)
def test_r15_out_of_office_first_day_back(text, first_day_back):
    found = return_date(text, NOW, ["en", "de", "fr", "es"])
    assert (found.first_day_back.isoformat() if found else None) == first_day_back


def test_r15_ooo_reply_gets_its_return_date_as_a_fact(settings):
    raw = helpers.mail(
        subject=f"Automatic reply: TrackingID#{helpers.CASE}",
        body="Back on 7 December 2026.",
        headers={"Auto-Submitted": "auto-replied"},
    ).as_bytes()
    m = run(settings, raw, known_numbers=[helpers.CASE])
    assert m.facts["out_of_office"] and m.facts["ooo_until"].startswith("2026-12-07")
    assert "intent" not in m.facts  # automatic mail is never read as the customer speaking (R03)


def test_r15_ooo_in_the_customers_own_language_from_content_language(settings):
    msg = helpers.mail(
        subject=f"Risposta automatica: TrackingID#{helpers.CASE}",
        body="Sono fuori ufficio. Rientro il 7 dicembre 2026.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    msg["Content-Language"] = "it-IT"  # set_content() drops Content-* headers set before it
    m = run(settings, msg.as_bytes(), known_numbers=[helpers.CASE])
    assert m.facts["ooo_until"] == "2026-12-07"
    del msg["Content-Language"]  # without it, the reply's own words say it is Italian
    msg.set_content("Sono fuori ufficio per ferie. Rientro il 7 dicembre, grazie.")
    assert (
        run(settings, msg.as_bytes(), known_numbers=[helpers.CASE]).facts["ooo_until"]
        == "2026-12-07"
    )
    assert reading_languages("it-IT", ("en", "de"), "") == ["it", "en", "de"]
    assert reading_languages("", ("en", "de"), "") == ["en", "de"]
    assert reading_languages("de-AT, en", ("en", "de"), "") == ["de", "en"]
    assert (
        reading_languages("", ("en",), "Ik ben met vakantie en niet op kantoor tot maandag")[0]
        == "nl"
    )


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Hi, that worked, thanks! You can close the case.", "confirmed"),
        ("The issue is resolved now.", "confirmed"),
        ("We found the problem ourselves: a firewall rule.", "resolved_by_customer"),
        ("I fixed it myself by restarting the node.", "resolved_by_customer"),
        ("Unfortunately it still fails with the same error.", "not_working"),
        ("I tried it but it did not work.", "not_working"),
        ("Es funktioniert jetzt, danke!", "confirmed"),
        ("Ça fonctionne, merci.", "confirmed"),
        ("Ya funciona, gracias.", "confirmed"),
        ("Here are the logs you asked for.", None),
    ],
)
def test_r17_r21_intent_with_the_words_that_triggered_it(text, intent):
    found, words = read_intent(text)
    assert found == intent
    if intent:
        assert words and words.lower() in text.lower()


def test_r17_quoted_history_is_not_read_as_the_customer(settings):
    body = "Thanks, I will look at it.\n\nOn Mon, 30 Nov 2026 Alex wrote:\n> the fix is to restart; that worked for others"
    m = run(settings, helpers.mail(body=body).as_bytes(), known_numbers=[helpers.CASE])
    assert "intent" not in m.facts


def test_r07_customer_named_date_is_found(settings):
    m = run(
        settings,
        helpers.mail(body="I will test this and get back to you on Thursday.", when=NOW).as_bytes(),
        known_numbers=[helpers.CASE],
    )
    assert m.facts["named_date"] == "2026-12-03"
    assert "Thursday" in m.facts["named_date_words"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("our password: Winter2026!x", "password"),
        ("Passwort ist Geheim123", "password"),
        ("key AKIAABCDEFGHIJKLMNOP", "cloud access key"),
        (
            "DefaultEndpointsProtocol=https;AccountKey=abcdefghijklmnopqrstuvwxyz012345==",
            "storage account key",
        ),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "private key"),
        ("We reset the password last week.", None),
    ],
)
def test_r27_secret_kinds(text, kind):
    assert secret_kind(text) == kind


def test_r27_secret_is_a_fact_of_kind_never_of_value(settings):
    m = run(
        settings,
        helpers.mail(body="password: Hunter2Hunter2").as_bytes(),
        known_numbers=[helpers.CASE],
    )
    assert m.facts["secret_kind"] == "password"
    assert "Hunter2" not in repr(m.facts) and "Hunter2" not in m.body


@pytest.mark.parametrize("raw", [b"", b"garbage without headers", b"\x00\x01\x02" * 10])
def test_unreadable_bytes_raise_for_quarantine(raw):
    with pytest.raises(UnreadableMessage):
        IncomingMessage.from_head(ItemRef("INBOX", "k", "x"), raw, lambda: raw, NOW)


def test_non_utf8_headers_and_missing_date_are_survivable(settings):
    raw = (
        b"From: =?iso-8859-1?q?J=FCrgen?= <j@fabrikam.example>\nTo: alex.rivera@contoso.example\n"
        b"Cc: support@servicedesk.example\nSubject: Caf\xe9 problem TrackingID#2611230010001234\n\nbody\n"
    )
    m = run(settings, raw)
    assert m.case_number == "2611230010001234" and m.sender[0] == "Jürgen"
    assert m.date is None and m.when == NOW


def test_body_html_only(tmp_path: Path, settings):
    msg = helpers.mail(body="x")
    msg.set_content("<p>It works now &amp; thanks</p>", subtype="html")
    m = run(settings, msg.as_bytes(), known_numbers=[helpers.CASE])
    assert m.facts.get("intent") == "confirmed"


def test_category_names_are_configurable(tmp_path):
    data = helpers.config_dict(tmp_path, "sqlite:///x.db")
    data["categories"] = {"pause": "On hold", "solution_delivered": "Fix sent"}
    custom = config.parse(data, base=tmp_path)
    mine = helpers.mail(
        sender=f"Alex Rivera <{helpers.ENGINEER}>",
        to=helpers.CUSTOMER,
        subject=f"RE: TrackingID#{helpers.CASE}",
        body="Talk soon.",
        headers={"Keywords": "On hold, Fix sent"},
    ).as_bytes()
    m = run(custom, mine, known_numbers=[helpers.CASE], folder="Sent Items")
    assert m.facts["signals"] == ["solution_delivered", "pause"]
    plain = run(custom, mine.replace(b"On hold, Fix sent", b"Pause"), folder="Sent Items")
    assert "signals" not in plain.facts
    data["categories"] = {"nap": "Nap"}
    with pytest.raises(config.ConfigError, match="unknown signal"):
        config.parse(data, base=tmp_path)


@pytest.mark.parametrize(
    ("sender", "subject", "body"),
    [
        (
            "postmaster@fabrikam.example",
            f"Message quarantined: RE: Pipeline fails - TrackingID#{helpers.CASE}",
            "Your message to kim@fabrikam.example could not be released to the recipient.",
        ),
        (
            "IT Security <postmaster@fabrikam.example>",
            f"RE: Pipeline fails - TrackingID#{helpers.CASE}",
            "Your message to kim@fabrikam.example has been quarantined by the content policy.",
        ),
        (
            "no-reply@gateway.fabrikam.example",
            f"RE: Pipeline fails - TrackingID#{helpers.CASE}",
            "Ihre Nachricht an kim@fabrikam.example wurde in Quarantäne verschoben.",
        ),
    ],
)
def test_r03_a_gateways_quarantine_notice_is_not_the_customer_answering(
    settings, sender, subject, body
):
    m = run(settings, helpers.mail(sender=sender, subject=subject, body=body).as_bytes())
    assert m.automatic and "quarantine notice wording" in m.automatic
    assert automatic.kind_of(m.automatic) in ("delivery report", "auto-generated")


def test_r03_a_customer_saying_mail_was_quarantined_is_still_the_customer(settings):
    body = "Your attachment was quarantined by our scanner, could you send it as a link?"
    m = run(settings, helpers.mail(body=body).as_bytes())
    assert m.automatic is None
    person = helpers.mail(sender="Pat Postmaster <postmaster@fabrikam.example>", body="Thanks!")
    assert run(settings, person.as_bytes()).automatic is None
