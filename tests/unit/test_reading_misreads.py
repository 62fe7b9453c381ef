"""Messages an independent check read wrongly (issue 12), written for the project: each
case names the general cause that was fixed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailbot.ingest import intent, secrets
from mailbot.ingest.return_date import return_date
from tests import helpers
from tests.corpus.evaluate import read

MON = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
WED = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
SUBJECT = f"Pipeline fails with timeout - TrackingID#{helpers.CASE}"


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    return helpers.settings(tmp_path_factory.mktemp("cfg"), "sqlite:///x.db")


def _raw(subject: str, body: str, sender: str, **headers: str) -> bytes:
    lines = {
        "From": sender,
        "To": helpers.ENGINEER,
        "Cc": helpers.SUPPORT,
        "Subject": subject,
        "Date": "Mon, 30 Nov 2026 09:15:00 +0000",
        "Message-ID": "<misread@test.example>",
        "Content-Type": "text/plain; charset=utf-8",
        **headers,
    }
    head = "".join(f"{k}: {v}\r\n" for k, v in lines.items())
    return (head + "\r\n" + body).encode()


@pytest.mark.parametrize(
    ("subject", "body", "sender", "automatic"),
    [
        # an 8-bit UTF-8 subject (RFC 6532) was read as mojibake, so no prefix matched
        (
            f"Não é possível entregar: {SUBJECT}",
            "A entrega falhou para estes destinatários ou grupos:",
            "postmaster@fabrikam.example",
            True,
        ),
        # a notice that says it is automatic, from a no-reply sender
        (
            f"[Request received] {SUBJECT}",
            "This is an automated message to confirm that your request has been received.",
            "IT <no-reply@fabrikam.example>",
            True,
        ),
        # a read receipt as text: "Read:" and "was read on"
        (
            f"Read: {SUBJECT}",
            "Your message was read on Monday, November 30, 2026 10:20 AM.",
            helpers.CUSTOMER,
            True,
        ),
        # a person who quotes an automatic line is one weak signal only: a person
        (
            SUBJECT,
            "Your portal says 'this is an automated message' and then nothing happens.",
            helpers.CUSTOMER,
            False,
        ),
    ],
)
def test_automatic_mail(cfg, subject, body, sender, automatic):
    msg = read(cfg, _raw(subject, body, sender), MON)
    assert (msg.automatic is not None) == automatic, msg.automatic


def test_raw_8bit_subject_is_decoded(cfg):
    msg = read(
        cfg,
        _raw(f"Überprüfung fehlgeschlagen - TrackingID#{helpers.CASE}", "x", "a@b.example"),
        MON,
    )
    assert msg.subject.startswith("Überprüfung fehlgeschlagen")


@pytest.mark.parametrize(
    ("text", "base", "first_day_back"),
    [
        ("Out of office 7–11 December, back 14 December.", MON, "2026-12-14"),  # bare-day range
        ("Ich bin vom 7. bis 11. Dezember im Urlaub.", MON, "2026-12-14"),
        ("Sarò in ferie dal 7 all'11 dicembre.", MON, "2026-12-14"),  # elided "all'"
        ("Jestem na urlopie od 7 do 11 grudnia.", MON, "2026-12-14"),
        ("I will not return until 12/07/2026.", MON, "2026-12-07"),  # Lotus: X is the return
        ("I'm on leave and won't be back until Monday the 14th of December.", MON, "2026-12-14"),
        ("Je suis absente et je reviendrai le 15 décembre.", MON, "2026-12-15"),
        ("Sono fuori sede, sarò nuovamente in ufficio dal 9 dicembre.", MON, "2026-12-09"),
        ("Estou ausente. Voltarei a 9 de dezembro.", MON, "2026-12-09"),
        ("Ik ben afwezig. Maandag ben ik weer op kantoor.", WED, "2026-12-07"),
    ],
)
def test_return_date_forms(text, base, first_day_back):
    found = return_date(text, base, ["en", "de", "fr", "es", "it", "nl", "pt", "pl"], "either")
    assert (found.first_day_back.isoformat() if found else None) == first_day_back


def test_a_label_and_its_value_in_table_cells_read_as_one(cfg):
    body = "<table><tr><td>Abwesend bis:</td><td>Freitag, 11.12.2026</td></tr></table>"
    raw = _raw(
        f"Automatische Antwort: {SUBJECT}",
        body,
        helpers.CUSTOMER,
        **{"Auto-Submitted": "auto-replied", "Content-Type": "text/html; charset=utf-8"},
    )
    assert read(cfg, raw, MON).facts["ooo_until"] == "2026-12-14"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("I'm on site until Thursday, so I can test the patch on Friday 4 December.", "2026-12-04"),
        ("We have a maintenance window on 12/15, I'll apply the fix then.", "2026-12-15"),
        ("Our change freeze ends on January 11th; we'll deploy it after that.", "2027-01-11"),
        ("Lo verificheremo giovedì 3 dicembre.", "2026-12-03"),
        ("We verwachten de logs op 9 december te kunnen sturen.", "2026-12-09"),
        ("We can't restart before 12/10, I will run the test that day.", "2026-12-10"),
        ("Version 4.12 is installed and we will test it.", None),  # a version, not a date
        ("Pero el error apareció el 18 de noviembre.", None),  # "però"/past: no commitment
    ],
)
def test_named_dates(text, named):
    found = intent.named_date(text, MON, ["en", "de", "fr", "es", "it", "nl"], "either")
    assert (found[0].isoformat() if found else None) == named


def test_intents_and_phone():
    assert intent.read_intent("Já está a funcionar, obrigado. Podem fechar o pedido.")[0] == (
        "confirmed"
    )
    from mailbot.ingest.intent_words import PHONE

    assert PHONE.search("can we have a quick call to go through this?")


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("user admin\npassword Qw3rty!Zx", "password", "Qw3rty!Zx"),  # no cue at all
        ("We use the password S3cr3t-Pa55 for it.", "password", "S3cr3t-Pa55"),
        (
            "Server=tcp:x.example,1433;User ID=sa;Password=P@ssw0rd123;Encrypt=True;",
            "connection string",
            "P@ssw0rd123",
        ),
        ("The password policy requires SHA256 hashes.", None, None),
        ("Please reset the password Monday.", None, None),
    ],
)
def test_secrets(text, kind, value):
    masked, kinds = secrets.scan(text)
    assert (kinds[0] if kinds else None) == kind
    if value:
        assert value not in masked
