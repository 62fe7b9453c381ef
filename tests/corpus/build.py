"""Build mailbot's labelled reading corpus: tests/corpus/mail/*.eml and labels.json.

Every message here was written for the project (no third-party text; see LICENSE.md in
this folder). Run ``python -m tests.corpus.build`` after changing it; the test suite
checks that the committed files are what this script writes. Deterministic: fixed
dates, fixed Message-IDs, no randomness.

Categories: automatic mail of every kind, human look-alikes, out-of-office replies with
the first day back they imply (and date-less ones) in eight languages, named-date
sentences, intents, secrets, phone and wording. Expected values are written out here,
not computed by mailbot.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from email import message_from_string
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).parent
ENGINEER = "alex.rivera@contoso.example"
SUPPORT = "support@servicedesk.example"
CASE = "2611230010001234"
SUBJECT = f"Pipeline fails with timeout - TrackingID#{CASE}"
# Mon 30 Nov, Wed 2 Dec, Fri 4 Dec, Wed 23 Dec 2026 (the last crosses the year)
BASES = (
    datetime(2026, 11, 30, 9, 15, tzinfo=UTC),
    datetime(2026, 12, 2, 14, 0, tzinfo=UTC),
    datetime(2026, 12, 4, 8, 30, tzinfo=UTC),
    datetime(2026, 12, 23, 16, 0, tzinfo=UTC),
)
PEOPLE = {
    "en": ("Maria Lopez", "maria.lopez@fabrikam.example"),
    "de": ("Jürgen Weber", "juergen.weber@fabrikam.example"),
    "fr": ("Camille Martin", "camille.martin@fabrikam.example"),
    "es": ("Lucía García", "lucia.garcia@fabrikam.example"),
    "it": ("Giulia Rossi", "giulia.rossi@fabrikam.example"),
    "nl": ("Daan de Vries", "daan.devries@fabrikam.example"),
    "pt": ("João Silva", "joao.silva@fabrikam.example"),
    "pl": ("Anna Kowalska", "anna.kowalska@fabrikam.example"),
}
MONTH_NAMES = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
}
DAY_NAMES = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "es": "lunes martes miércoles jueves viernes sábado domingo",
    "it": "lunedì martedì mercoledì giovedì venerdì sabato domenica",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
    "pt": "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo",
    "pl": "poniedziałek wtorek środa czwartek piątek sobota niedziela",
}
AUTO_REPLY_PREFIX = {
    "en": "Automatic reply",
    "de": "Automatische Antwort",
    "fr": "Réponse automatique",
    "es": "Respuesta automática",
    "it": "Risposta automatica",
    "nl": "Automatisch antwoord",
    "pt": "Resposta automática",
    "pl": "Odpowiedź automatyczna",
}
CONTENT_LANGUAGE = {
    "en": "en-US",
    "de": "de-DE",
    "fr": "fr-FR",
    "es": "es-ES",
    "it": "it-IT",
    "nl": "nl-NL",
    "pt": "pt-PT",
    "pl": "pl-PL",
}


def month(lang: str, d: date) -> str:
    return MONTH_NAMES[lang].split()[d.month - 1]


def day_name(lang: str, d: date) -> str:
    return DAY_NAMES[lang].split()[d.weekday()]


def next_weekday_after(d: date) -> date:
    d += timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def next_named_weekday(base: date, weekday: int) -> date:
    """The next such weekday strictly after ``base``."""
    d = base + timedelta(days=1)
    while d.weekday() != weekday:
        d += timedelta(days=1)
    return d


# -- out-of-office templates: (text, first day back) from (base day, target day) ---------
# "R" templates name the first day back; "U" templates the last day away.


def _ooo_templates() -> dict[str, list]:
    def dm(d: date) -> str:
        return f"{d.day:02d}.{d.month:02d}."

    return {
        "en": [
            ("R", lambda b, t: f"Thank you for your message. I am out of the office and will be back on {t.day} {month('en', t)} {t.year}."),
            ("U", lambda b, t: f"I'm out of the office until {day_name('en', t)} {t.day} {month('en', t)[:3]}. I will have limited access to e-mail."),
            ("U", lambda b, t: f"I am on annual leave from {b.day} {month('en', b)} to {t.day} {month('en', t)} and will reply when I return."),
            ("U", lambda b, t: f"I am out of the office until {t.day} {month('en', t)} {t.year} with limited access to e-mail."),
            ("R", lambda b, t: f"I will return on {day_name('en', t)}, {month('en', t)} {t.day}, {t.year}. For urgent matters please call the service desk."),
        ],
        "de": [
            ("U", lambda b, t: f"Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {day_name('de', t)}, {t.day}.{t.month}.{t.year} nicht im Büro."),
            ("U", lambda b, t: f"Ich bin vom {dm(b)} bis {dm(t)}{t.year} abwesend. In dringenden Fällen wenden Sie sich bitte an den Service Desk."),
            ("U", lambda b, t: f"Ich bin vom {dm(b)}–{dm(t)}{t.year} im Urlaub und lese keine E-Mails."),
            ("R", lambda b, t: f"Ich bin nicht im Büro. Ab dem {t.day}. {month('de', t)} bin ich wieder im Büro."),
            ("R", lambda b, t: f"Danke für Ihre E-Mail. Am {day_name('de', t)}, den {t.day}.{t.month}. bin ich wieder erreichbar."),
        ],
        "fr": [
            ("U", lambda b, t: f"Bonjour, je suis absent du bureau jusqu'au {day_name('fr', t)} {t.day} {month('fr', t)} inclus."),
            ("U", lambda b, t: f"Je suis en congés du {b.day} {month('fr', b)} au {t.day} {month('fr', t)} {t.year}. Merci de votre compréhension."),
            ("R", lambda b, t: f"Merci pour votre message. Je serai de retour le {t.day} {month('fr', t)} {t.year}."),
            ("R", lambda b, t: f"Je suis absente. De retour le {t.day:02d}/{t.month:02d}/{t.year}."),
            ("R", lambda b, t: f"Je suis en déplacement, accès limité aux e-mails. Retour le {day_name('fr', t)} {t.day} {month('fr', t)}."),
        ],
        "es": [
            ("U", lambda b, t: f"Gracias por su mensaje. Estoy fuera de la oficina hasta el {t.day} de {month('es', t)} de {t.year}."),
            ("R", lambda b, t: f"Estoy de viaje. Estaré de vuelta el {day_name('es', t)} {t.day}."),
            ("U", lambda b, t: f"Estoy de vacaciones del {b.day} de {month('es', b)} al {t.day} de {month('es', t)}."),
            ("R", lambda b, t: f"Estoy fuera de la oficina. Regreso el {t.day:02d}/{t.month:02d}/{t.year}."),
            ("R", lambda b, t: f"Me encuentro ausente. Me reincorporo el {day_name('es', t)} {t.day} de {month('es', t)}."),
        ],
        "it": [
            ("R", lambda b, t: f"Grazie per il messaggio. Sono fuori ufficio. Rientro il {t.day} {month('it', t)} {t.year}."),
            ("U", lambda b, t: f"Sono in ferie fino al {t.day} {month('it', t)} compreso, con accesso limitato alla posta."),
            ("R", lambda b, t: f"Sono fuori sede. Rientro {t.day:02d}/{t.month:02d}."),
            ("U", lambda b, t: f"Sarò assente dal {b.day}/{b.month} al {t.day}/{t.month}. Per urgenze contattare il service desk."),
            ("R", lambda b, t: f"Sono assente per lavoro, tornerò in ufficio il {day_name('it', t)} {t.day} {month('it', t)}."),
        ],
        "nl": [
            ("U", lambda b, t: f"Bedankt voor uw bericht. Ik ben afwezig t/m {day_name('nl', t)} {t.day}."),
            ("U", lambda b, t: f"Ik ben tot {t.day} {month('nl', t)} afwezig en lees mijn e-mail niet."),
            ("R", lambda b, t: f"Ik ben met vakantie. Vanaf {day_name('nl', t)} {t.day} {month('nl', t)} ben ik weer aanwezig."),
            ("U", lambda b, t: f"Ik ben met verlof van {b.day}-{b.month} tot en met {t.day}-{t.month}-{t.year}."),
            ("R", lambda b, t: f"Ik ben niet op kantoor. Ik ben terug op {t.day} {month('nl', t)} {t.year}."),
        ],
        "pt": [
            ("U", lambda b, t: f"Obrigado pela sua mensagem. Estou ausente do escritório até {t.day} de {month('pt', t)} de {t.year}."),
            ("R", lambda b, t: f"Estou de férias. Regresso a {t.day} de {month('pt', t)}."),
            ("R", lambda b, t: f"Estou fora do escritório. Estarei de volta em {t.day:02d}/{t.month:02d}/{t.year}."),
            ("U", lambda b, t: f"Estou fora do escritório de {b.day}/{b.month} a {t.day}/{t.month}."),
            ("R", lambda b, t: f"Encontro-me ausente, com acesso limitado ao e-mail. Volto no dia {t.day} de {month('pt', t)}."),
        ],
        "pl": [
            ("U", lambda b, t: f"Dziękuję za wiadomość. Jestem na urlopie do {t.day} {month('pl', t)} {t.year} r."),
            ("R", lambda b, t: f"Jestem poza biurem. Wracam {t.day} {month('pl', t)}."),
            ("U", lambda b, t: f"Jestem nieobecny od {b.day:02d}.{b.month:02d} do {t.day:02d}.{t.month:02d}.{t.year}."),
            ("U", lambda b, t: f"Jestem nieobecna do {t.day:02d}.{t.month:02d}.{t.year}. W pilnych sprawach proszę o kontakt z działem wsparcia."),
            ("R", lambda b, t: f"Przebywam na urlopie. Wracam dnia {t.day} {month('pl', t)} {t.year} r."),
        ],
    }  # fmt: skip


# Targets: days after the base (chosen to land on working days and on Fridays).
TARGET_OFFSETS = (4, 9, 14)


def _target(base: date, offset: int, kind: str) -> date:
    t = base + timedelta(days=offset)
    while t.weekday() >= 5:  # a return on a weekend is written rarely; keep weekdays
        t += timedelta(days=1)
    return t


DATELESS_OOO = {
    "en": ["Thank you for your e-mail. I am away from the office and will reply as soon as possible.", "I am currently out of the office with limited access to e-mail.", "I'm on parental leave. Your message will not be forwarded."],
    "de": ["Danke für Ihre Nachricht. Ich bin außer Haus und antworte nach meiner Rückkehr.", "Ich bin zurzeit nicht im Büro und habe nur eingeschränkt Zugriff auf E-Mails.", "Ich bin im Urlaub. Ihre Nachricht wird nicht weitergeleitet."],
    "fr": ["Merci pour votre message. Je suis hors du bureau et répondrai dès mon retour.", "Je suis actuellement absent du bureau avec un accès limité à mes e-mails.", "Je suis en congé. Votre message ne sera pas transféré."],
    "es": ["Gracias por su mensaje. Estoy ausente y responderé a mi regreso.", "Actualmente estoy fuera de la oficina con acceso limitado al correo.", "Estoy de vacaciones. Su mensaje no será reenviado."],
    "it": ["Grazie per il messaggio. Sono assente e risponderò al mio rientro.", "Sono attualmente fuori ufficio con accesso limitato alla posta.", "Sono in ferie. Il suo messaggio non verrà inoltrato."],
    "nl": ["Bedankt voor uw bericht. Ik ben niet op kantoor en reageer na terugkomst.", "Ik ben momenteel afwezig en heb beperkt toegang tot mijn e-mail.", "Ik ben met vakantie. Uw bericht wordt niet doorgestuurd."],
    "pt": ["Obrigado pela mensagem. Estou ausente e responderei no regresso.", "Estou fora do escritório com acesso limitado ao e-mail.", "Estou de férias. A sua mensagem não será reencaminhada."],
    "pl": ["Dziękuję za wiadomość. Jestem nieobecny i odpowiem po powrocie.", "Jestem obecnie poza biurem i mam ograniczony dostęp do poczty.", "Jestem na urlopie. Wiadomość nie zostanie przekazana."],
}  # fmt: skip


def _ooo_headers(i: int, lang: str, with_language: bool) -> tuple[str, dict[str, str]]:
    """Rotate the ways Exchange, Outlook and other servers mark an out-of-office reply."""
    prefix = AUTO_REPLY_PREFIX[lang]
    headers: dict[str, str] = {}
    if with_language:
        headers["Content-Language"] = CONTENT_LANGUAGE[lang]
    variant = i % 4
    if variant == 0:  # Exchange Online OOF
        headers |= {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
        return f"{prefix}: {SUBJECT}", headers
    if variant == 1:  # an inbox rule's reply
        headers |= {"X-MS-Exchange-Generated-Message-Source": "Mailbox Rules Agent"}
        return f"{prefix}: {SUBJECT}", headers
    if variant == 2:  # RFC 3834 vacation responder
        headers |= {"Auto-Submitted": "auto-replied", "Precedence": "auto_reply"}
        return f"Re: {SUBJECT}", headers
    headers |= {"X-MS-Exchange-Inbox-Rules-Loop": PEOPLE[lang][1]}  # rule loop header only
    return f"{prefix}: {SUBJECT}", headers


# -- automatic mail other than out-of-office -----------------------------------------------

BOUNCE_SUBJECTS = {
    "en": "Undeliverable: ",
    "de": "Unzustellbar: ",
    "fr": "Non remis : ",
    "es": "No se puede entregar: ",
    "it": "Non recapitabile: ",
    "nl": "Onbestelbaar: ",
    "pt": "Não é possível entregar: ",
    "pl": "Niedostarczalne: ",
}


def _dsn(subject: str, sender: str, report_type: str = "delivery-status") -> EmailMessage:
    """A multipart/report (RFC 6522) with a human-readable part and a machine part."""
    if report_type == "delivery-status":
        machine = "Reporting-MTA: dns; mx.fabrikam.example\n\nFinal-Recipient: rfc822; old@fabrikam.example\nAction: failed\nStatus: 5.1.1\n"
        text = "This is the mail system at host mx.fabrikam.example.\n\nI'm sorry to have to inform you that your message could not be delivered."
    elif report_type == "disposition-notification":
        machine = "Reporting-UA: mail.fabrikam.example\nFinal-Recipient: rfc822;reader@fabrikam.example\nDisposition: manual-action/MDN-sent-manually; displayed\n"
        text = "Your message was read on Monday."
    else:
        machine = "Feedback-Type: abuse\nUser-Agent: FabFeedback/1.0\nVersion: 1\n"
        text = "This is an abuse report for a message received from your network."
    raw = (
        f"From: {sender}\nSubject: {subject}\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="rpt"\n\n'
        f"--rpt\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\n"
        f"--rpt\nContent-Type: message/{report_type}\n\n{machine}\n--rpt--\n"
    )
    return message_from_string(raw, policy=default)  # type: ignore[return-value]


def automatic_cases() -> list[tuple[str, EmailMessage, dict]]:
    """(name, message, expected) for automatic mail that is not an out-of-office reply."""
    out: list[tuple[str, EmailMessage, dict]] = []

    def plain(sender: str, subject: str, body: str, headers: dict[str, str]) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["Subject"] = subject
        for k, v in headers.items():
            msg[k] = v
        msg.set_content(body)
        return msg

    for lang, prefix in BOUNCE_SUBJECTS.items():
        out.append(
            (
                f"dsn-report-{lang}",
                _dsn(prefix + SUBJECT, "Mail Delivery System <MAILER-DAEMON@mx.fabrikam.example>"),
                {"kind": "delivery report", "lang": lang},
            )
        )
        out.append(
            (
                f"ndr-exchange-{lang}",
                plain(
                    "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@fabrikam.example>",
                    prefix + SUBJECT,
                    "Delivery has failed to these recipients or groups:\n\nold@fabrikam.example\nThe email address you entered couldn't be found.",
                    {"X-MS-Exchange-Message-Is-Ndr": ""},
                ),
                {"kind": "delivery report", "lang": lang},
            )
        )
        out.append(
            (
                f"bounce-subject-only-{lang}",
                plain(
                    "Postmaster <postmaster@fabrikam.example>",
                    prefix + SUBJECT,
                    "Your message did not reach some or all of the intended recipients.",
                    {},
                ),
                {"kind": "delivery report", "lang": lang},
            )
        )
        out.append(
            (
                f"read-receipt-{lang}",
                _dsn(f"Read: {SUBJECT}", PEOPLE[lang][1], "disposition-notification"),
                {"kind": "read receipt", "lang": lang},
            )
        )
        out.append(
            (
                f"ticket-ack-{lang}",
                plain(
                    "Fabrikam IT <it-helpdesk@fabrikam.example>",
                    f"[FAB-{len(out)}] {SUBJECT}",
                    "Your request has been received and a ticket was created.",
                    {"Auto-Submitted": "auto-replied"},
                ),
                {"kind": "auto-reply", "lang": lang},
            )
        )
    variants = [
        ("gmail-dsn", "Mail Delivery Subsystem <mailer-daemon@googlemail.com>", f"Delivery Status Notification (Failure) - TrackingID#{CASE}", "Delivery to the following recipient failed permanently:\n\n     old@fabrikam.example", {}, "delivery report"),
        ("qmail-failure", "MAILER-DAEMON@mail.fabrikam.example", f"failure notice - TrackingID#{CASE}", "Hi. This is the qmail-send program at mail.fabrikam.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.", {}, "delivery report"),
        ("exim-failed", "Mail Delivery System <Mailer-Daemon@mx2.fabrikam.example>", f"Mail delivery failed: returning message to sender - TrackingID#{CASE}", "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its recipients.", {}, "delivery report"),
        ("sendmail-returned", "Mail Delivery Subsystem <MAILER-DAEMON@smtp.fabrikam.example>", f"Returned mail: see transcript for details - TrackingID#{CASE}", "The original message was received at Mon, 30 Nov 2026 10:00:00 +0100\n\n   ----- The following addresses had permanent fatal errors -----", {"Return-Path": "<>"}, "delivery report"),
        ("kddi-style", "Postmaster <postmaster@ezweb.fabrikam.example>", f"Mail System Error - Returned Mail - TrackingID#{CASE}", "Your mail sent on: Mon, 30 Nov 2026 10:00:00 +0900\nCould not be delivered to the following recipients.", {}, "delivery report"),
        ("lotus-domino", "Postmaster@notes.fabrikam.example", f"DELIVERY FAILURE: User old (old@fabrikam.example) not listed - TrackingID#{CASE}", "Your message\n\n  Subject: Pipeline fails\n\nwas not delivered to:\n\n  old@fabrikam.example", {}, "delivery report"),
        ("gateway-rewritten", PEOPLE["en"][1], f"RE: {SUBJECT}", "This is the mail system at host relay.fabrikam.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.", {}, "delivery report"),
        ("mailing-list", "Data Platform Users <dp-users@lists.fabrikam.example>", f"[dp-users] {SUBJECT}", "A new post in the forum.", {"List-Id": "<dp-users.lists.fabrikam.example>", "List-Post": "<mailto:dp-users@lists.fabrikam.example>"}, "mailing list"),
        ("mailman", "dp-users-bounces@lists.fabrikam.example", f"Digest - TrackingID#{CASE}", "Today's topics:", {"X-Mailman-Version": "2.1.39", "Precedence": "list"}, "mailing list"),
        ("bulk", "Fabrikam News <news@fabrikam.example>", f"Monthly update - TrackingID#{CASE}", "News of the month.", {"Precedence": "bulk"}, "bulk mail"),
        ("junk", "Offers <offers@fabrikam.example>", f"Special offer - TrackingID#{CASE}", "Offers.", {"Precedence": "junk"}, "bulk mail"),
        ("auto-generated-notice", "Monitoring <monitor@fabrikam.example>", f"Alert resolved - TrackingID#{CASE}", "The alert was resolved automatically.", {"Auto-Submitted": "auto-generated"}, "auto-generated"),
        ("auto-notified", "Scheduler <jobs@fabrikam.example>", f"Job finished - TrackingID#{CASE}", "Job 42 finished.", {"Auto-Submitted": "auto-notified"}, "auto-generated"),
        ("exchange-generated", PEOPLE["en"][1], f"FW: {SUBJECT}", "Forwarded by a transport rule.", {"X-MS-Exchange-Generated-Message-Source": "Transport Rule Agent"}, "auto-generated"),
        ("rules-loop-forward", PEOPLE["de"][1], f"WG: {SUBJECT}", "Automatically forwarded.", {"X-MS-Exchange-Inbox-Rules-Loop": PEOPLE["de"][1]}, "auto-generated"),
        ("null-return-path", "Fabrikam Portal <portal@fabrikam.example>", f"Status change - TrackingID#{CASE}", "The status of your request changed.", {"Return-Path": "<>"}, "auto-generated"),
        ("x-autoreply", PEOPLE["fr"][1], f"Re: {SUBJECT}", "Votre message a bien été reçu.", {"X-Autoreply": "yes"}, "auto-reply"),
        ("x-autorespond", PEOPLE["es"][1], f"Re: {SUBJECT}", "Hemos recibido su mensaje.", {"X-Autorespond": "yes"}, "auto-reply"),
        ("autoreply-subject", PEOPLE["en"][1], f"Auto-Reply: {SUBJECT}", "Thanks, we received your message.", {}, "auto-reply"),
        ("lotus-auto", PEOPLE["en"][1], "AUTO: Maria Lopez is out of the office (returning 14.12.2026)", "I am out of the office until 11.12.2026.\n\nI will respond to your message when I return.", {}, "out-of-office"),
        ("weak-pair", "postmaster@fabrikam.example", f"Notice - TrackingID#{CASE}", "Message held for review.", {"X-Auto-Response-Suppress": "All"}, "delivery report"),
        ("read-receipt-weak-pair", PEOPLE["nl"][1], f"Gelezen: {SUBJECT}", "Uw bericht is gelezen.", {"X-Auto-Response-Suppress": "All"}, "read receipt"),
        ("noreply-weak-pair", "no-reply@portal.fabrikam.example", f"Update - TrackingID#{CASE}", "Your case was updated.", {"X-Auto-Response-Suppress": "OOF, AutoReply", "Feedback-ID": "1:portal"}, "auto-generated"),
        ("apple-vacation", PEOPLE["en"][1], f"Re: {SUBJECT}", "I'm away.", {"X-Apple-Action": "VACATION"}, "out-of-office"),
    ]  # fmt: skip
    for name, sender, subject, body, headers, kind in variants:
        out.append((name, plain(sender, subject, body, headers), {"kind": kind, "lang": "en"}))
    arf = _dsn(f"Abuse report - TrackingID#{CASE}", "abuse@fabrikam.example", "feedback-report")
    out.append(("arf-feedback", arf, {"kind": "feedback report", "lang": "en"}))
    return out


HUMANS = [
    ("postmaster-person", "Pat Grant <postmaster@fabrikam.example>", SUBJECT, "Hello, I look after our mail servers. The pipeline owner is on leave, so I am answering: the job still fails every night.", {}),
    ("crm-addin", PEOPLE["en"][1], SUBJECT, "Hi Alex, thanks for the call today. I attached the run ID you asked for.", {"X-Auto-Response-Suppress": "All", "X-Mailer": "Microsoft Dynamics 365"}),
    ("crm-addin-de", PEOPLE["de"][1], SUBJECT, "Hallo, anbei die Protokolle wie besprochen.", {"X-Auto-Response-Suppress": "DR, RN, NRN, OOF, AutoReply"}),
    ("auto-submitted-no", PEOPLE["fr"][1], SUBJECT, "Bonjour, voici les journaux demandés.", {"Auto-Submitted": "no"}),
    ("re-automatic-reply", PEOPLE["en"][1], f"RE: Automatic reply: {SUBJECT}", "Sorry, that was my colleague's out-of-office. I am here and can help.", {}),
    ("out-of-the-box", PEOPLE["en"][1], f"RE: out of the box config - TrackingID#{CASE}", "We use the out of the box configuration.", {}),
    ("undeliverable-topic", PEOPLE["en"][1], f"Undeliverable emails from our tenant - TrackingID#{CASE}", "Since Monday our notification mails bounce.", {}),
    ("forwarded-bounce", PEOPLE["en"][1], f"FW: Undeliverable: {SUBJECT}", "Hi, see the bounce below; what does it mean?\n\n-----Original Message-----\nFrom: Microsoft Outlook\nSubject: Undeliverable", {}),
    ("list-unsubscribe-only", PEOPLE["es"][1], SUBJECT, "Hola, le envío los datos solicitados.", {"List-Unsubscribe": "<mailto:unsubscribe@fabrikam.example>"}),
    ("human-will-be-away", PEOPLE["en"][1], SUBJECT, "Thanks! I will be out of the office next week, my colleague Tom will test it.", {}),
    ("read-subject-only", PEOPLE["nl"][1], f"Read: the logs you asked for - TrackingID#{CASE}", "Hierbij de logbestanden.", {}),
    ("noreply-name", "Team Mailbox <team-noreply-info@fabrikam.example>", SUBJECT, "Hi, this shared mailbox is read by people; the error is still there.", {}),
    ("human-it", PEOPLE["it"][1], SUBJECT, "Buongiorno, vi invio i log richiesti.", {}),
    ("human-pt", PEOPLE["pt"][1], SUBJECT, "Bom dia, segue o ficheiro de registo.", {}),
    ("human-pl", PEOPLE["pl"][1], SUBJECT, "Dzień dobry, w załączniku przesyłam logi.", {}),
    ("human-mentions-bounce", PEOPLE["de"][1], SUBJECT, "Hallo, wir bekommen seit gestern Meldungen 'Unzustellbar' von Ihrem System.", {}),
    ("human-precedence-normal", PEOPLE["fr"][1], SUBJECT, "Bonjour, le problème persiste.", {"Precedence": "normal"}),
    ("human-postmaster-display", "Postmaster Team <mailteam@fabrikam.example>", SUBJECT, "Hello, we changed the MX record, please check again.", {}),
    ("human-auto-in-name", "Auto Parts Desk <autoparts@fabrikam.example>", f"Auto parts order failed - TrackingID#{CASE}", "Our order job failed again.", {}),
    ("human-absence-word", PEOPLE["nl"][1], f"Absence of logs - TrackingID#{CASE}", "The logs are missing since the update.", {}),
]  # fmt: skip


# Ordinary letters in each language: a person writing, with past dates and words that
# automatic mail also uses ("out of office", "Abwesenheit", "undeliverable").
LETTERS = {
    "en": [
        "Hello Alex, the job failed again on Monday night. I attached the run ID.",
        "Hi, our out of office policy blocks external replies, could that be related?",
        "Thanks for your reply. The mail to our vendor was undeliverable last week, but that is a separate topic.",
        "Good morning, I checked the settings as you suggested. Nothing changed in the logs.",
    ],
    "de": [
        "Hallo Alex, der Job ist am Montag wieder fehlgeschlagen. Die Lauf-ID liegt bei.",
        "Guten Morgen, wegen der Abwesenheit meines Kollegen übernehme ich den Fall.",
        "Vielen Dank für die schnelle Antwort. Ich habe die Einstellungen geprüft.",
        "Anbei der Export vom 27.11., wie besprochen.",
    ],
    "fr": [
        "Bonjour Alex, le traitement a encore échoué lundi soir. Je joins l'identifiant.",
        "Merci pour votre retour. Mon collègue absent m'a transmis le dossier.",
        "Voici le fichier de configuration que vous avez demandé.",
        "Le message de notification était non remis la semaine dernière, mais c'est un autre sujet.",
    ],
    "es": [
        "Hola Alex, el proceso volvió a fallar el lunes por la noche. Adjunto el identificador.",
        "Gracias por la respuesta. Mi compañero está ausente y llevo yo el caso.",
        "Le envío la configuración que pidió.",
        "Buenos días, revisé los ajustes como sugirió.",
    ],
    "it": [
        "Ciao Alex, il job è fallito di nuovo lunedì sera. Allego l'ID.",
        "Grazie della risposta. Il collega è assente, seguo io il caso.",
        "Vi mando il file di configurazione richiesto.",
        "Buongiorno, ho controllato le impostazioni come suggerito.",
    ],
    "nl": [
        "Hallo Alex, de taak is maandagavond weer mislukt. Het run-ID zit in de bijlage.",
        "Bedankt voor uw antwoord. Mijn collega is afwezig, ik neem de zaak over.",
        "Hierbij het configuratiebestand dat u vroeg.",
        "Goedemorgen, ik heb de instellingen gecontroleerd zoals voorgesteld.",
    ],
    "pt": [
        "Olá Alex, a tarefa voltou a falhar na segunda à noite. Segue o ID.",
        "Obrigado pela resposta. O meu colega está ausente, fico eu com o caso.",
        "Envio o ficheiro de configuração pedido.",
        "Bom dia, verifiquei as definições como sugerido.",
    ],
    "pl": [
        "Cześć Alex, zadanie znowu nie powiodło się w poniedziałek wieczorem. Załączam ID.",
        "Dziękuję za odpowiedź. Mój kolega jest nieobecny, przejmuję sprawę.",
        "Przesyłam plik konfiguracyjny, o który Pan prosił.",
        "Dzień dobry, sprawdziłem ustawienia zgodnie z sugestią.",
    ],
}  # fmt: skip


# -- customer sentences: named dates, intents, secrets, phone, wording ------------------------


def named_date_cases(base: date) -> list[tuple[str, str, str | None]]:
    """(lang, sentence, expected named date) relative to ``base`` (Mon 30 Nov 2026)."""
    thu = next_named_weekday(base, 3)
    d18 = date(2026, 12, 18)
    d9 = date(2026, 12, 9)
    return [
        ("en", f"Our change window is fixed, so I can only send it on {month('en', d18)} {d18.day}. I'll get back to you then.", d18.isoformat()),
        ("en", "I will test this and get back to you on Thursday.", thu.isoformat()),
        ("en", f"We will deploy the fix on {d9.day} {month('en', d9)} and confirm afterwards.", d9.isoformat()),
        ("en", "I'll try it tomorrow and let you know.", (base + timedelta(days=1)).isoformat()),
        ("en", "The error started on Thursday last week.", None),
        ("en", "We will apply the change next week and report back.", next_named_weekday(base, 0).isoformat()),
        ("en", "I'll check again in 2 weeks.", (base + timedelta(days=14)).isoformat()),
        ("de", "Ich melde mich nächste Woche mit den Ergebnissen.", next_named_weekday(base, 0).isoformat()),
        ("en", "It has been failing since Monday.", None),
        ("de", f"Ich teste das am {d9.day}.{d9.month}. und melde mich dann.", d9.isoformat()),
        ("de", "Ich kann erst am Donnerstag testen und gebe Ihnen dann Bescheid.", thu.isoformat()),
        ("de", f"Wir spielen das Update am {d18.day}. {month('de', d18)} ein.", d18.isoformat()),
        ("de", "Der Fehler tritt seit Montag auf.", None),
        ("fr", f"Je teste le {d9.day} {month('fr', d9)} et je reviens vers vous.", d9.isoformat()),
        ("fr", "Je vous enverrai les journaux jeudi.", thu.isoformat()),
        ("fr", f"Nous allons installer le correctif le {d18.day} {month('fr', d18)}.", d18.isoformat()),
        ("fr", "Le problème existe depuis lundi.", None),
        ("es", f"Probaré el cambio el {d9.day} de {month('es', d9)} y le aviso.", d9.isoformat()),
        ("es", "Le envío los registros el jueves.", thu.isoformat()),
        ("es", f"Vamos a aplicar la corrección el {d18.day} de {month('es', d18)}.", d18.isoformat()),
        ("es", "El error ocurre desde el lunes.", None),
        ("it", f"Proverò la modifica il {d9.day} {month('it', d9)} e le farò sapere.", d9.isoformat()),
        ("it", "Le invio i log giovedì.", thu.isoformat()),
        ("it", f"Potremo installare la patch il {d18.day} {month('it', d18)}.", d18.isoformat()),
        ("it", "L'errore si verifica da lunedì scorso.", None),
        ("nl", f"Ik test het op {d9.day} {month('nl', d9)} en laat het weten.", d9.isoformat()),
        ("nl", "Ik stuur de logbestanden donderdag.", thu.isoformat()),
        ("nl", f"We zullen de patch op {d18.day} {month('nl', d18)} installeren.", d18.isoformat()),
        ("nl", "De fout treedt sinds maandag op.", None),
        ("pt", f"Vou testar no dia {d9.day} de {month('pt', d9)} e aviso.", d9.isoformat()),
        ("pt", "Envio os registos na quinta-feira.", thu.isoformat()),
        ("pt", f"Vamos aplicar a correção a {d18.day} de {month('pt', d18)}.", d18.isoformat()),
        ("pt", "O erro acontece desde segunda-feira.", None),
        ("pl", f"Przetestuję to {d9.day} {month('pl', d9)} i dam znać.", d9.isoformat()),
        ("pl", "Wyślę logi w czwartek.", thu.isoformat()),
        ("pl", f"Wdrożymy poprawkę {d18.day} {month('pl', d18)}.", d18.isoformat()),
        ("pl", "Błąd występuje od poniedziałku.", None),
    ]  # fmt: skip


INTENTS = [
    ("en", "the trigger fires now. Please close the case.", "confirmed"),
    ("en", "Hi, that worked, thanks! You can close the case.", "confirmed"),
    ("en", "The issue is resolved now.", "confirmed"),
    ("en", "we found it ourselves: a missing firewall rule. After we added it, it works.", "resolved_by_customer"),
    ("en", "I fixed it myself by restarting the node.", "resolved_by_customer"),
    ("en", "Unfortunately it still fails with the same error.", "not_working"),
    ("en", "I tried it but it did not work.", "not_working"),
    ("en", "It failed at first, but after the restart it works now.", "confirmed"),
    ("en", "If it works tomorrow I will tell you.", None),
    ("en", "Does it work for other customers?", None),
    ("en", "Here are the logs you asked for.", None),
    ("de", "Es funktioniert jetzt, danke!", "confirmed"),
    ("de", "Das Ticket kann geschlossen werden.", "confirmed"),
    ("de", "Wir haben das Problem selbst gelöst.", "resolved_by_customer"),
    ("de", "Leider funktioniert es immer noch nicht.", "not_working"),
    ("de", "Anbei die gewünschten Protokolle.", None),
    ("fr", "Ça fonctionne, merci.", "confirmed"),
    ("fr", "Vous pouvez clôturer le ticket.", "confirmed"),
    ("fr", "Nous avons trouvé la cause nous-mêmes.", "resolved_by_customer"),
    ("fr", "Ça ne marche toujours pas.", "not_working"),
    ("fr", "Voici les journaux demandés.", None),
    ("es", "Ya funciona, gracias.", "confirmed"),
    ("es", "Pueden cerrar el caso.", "confirmed"),
    ("es", "Lo hemos resuelto nosotros mismos.", "resolved_by_customer"),
    ("es", "Sigue sin funcionar.", "not_working"),
    ("es", "Le envío los registros.", None),
    ("it", "Ora funziona, grazie.", "confirmed"),
    ("it", "Potete chiudere il caso.", "confirmed"),
    ("it", "Abbiamo risolto il problema da soli.", "resolved_by_customer"),
    ("it", "Non funziona ancora.", "not_working"),
    ("it", "Vi invio i log richiesti.", None),
    ("nl", "Het werkt nu, bedankt.", "confirmed"),
    ("nl", "U kunt het ticket sluiten.", "confirmed"),
    ("nl", "We hebben het zelf opgelost.", "resolved_by_customer"),
    ("nl", "Het werkt nog steeds niet.", "not_working"),
    ("nl", "Hierbij de logbestanden.", None),
    ("pt", "Já funciona, obrigado.", "confirmed"),
    ("pt", "Podem fechar o caso.", "confirmed"),
    ("pt", "Resolvemos o problema sozinhos.", "resolved_by_customer"),
    ("pt", "Ainda não funciona.", "not_working"),
    ("pt", "Segue o ficheiro de registo.", None),
    ("pl", "Teraz działa, dziękuję.", "confirmed"),
    ("pl", "Można zamknąć zgłoszenie.", "confirmed"),
    ("pl", "Sami rozwiązaliśmy problem.", "resolved_by_customer"),
    ("pl", "Nadal nie działa.", "not_working"),
    ("pl", "W załączniku przesyłam logi.", None),
]  # fmt: skip

_B64 = "Kq7" + "".join(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 37) % 64]
    for i in range(83)
)
STORAGE_KEY = _B64 + "=="  # 86 characters and "==": the shape of an Azure storage key
SECRETS = [
    ("en", f"Our storage account key is {STORAGE_KEY}", STORAGE_KEY, "storage account key"),
    ("en", "the password for the admin account is Sommer2026!x", "Sommer2026!x", "password"),
    ("en", "pw: Qx7!tr9Lm", "Qx7!tr9Lm", "password"),
    ("en", "Login: admin / Zebra#2026", "Zebra#2026", "password"),
    ("en", "credentials are admin / pw Falcon77!", "Falcon77!", "password"),
    ("en", "key AKIAQWERTYUIOPASDFGH and secret access key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAQWERTYUIOPASDFGH", "cloud access key"),
    ("en", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "cloud access key"),
    ("en", f"DefaultEndpointsProtocol=https;AccountName=fabdata;AccountKey={STORAGE_KEY};EndpointSuffix=core.windows.net", STORAGE_KEY, "storage account key"),
    ("en", "https://fabdata.blob.core.windows.net/logs?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-31T00:00:00Z&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D", "shared access signature"),
    ("en", "Server=tcp:fab.database.windows.net,1433;Database=app;User ID=sa;Password=Blue Sky 42!;Encrypt=True;", "Blue Sky 42!", "connection string"),
    ("en", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", "private key"),
    ("en", "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkZhYiJ9.c2lnbmF0dXJlX2hlcmVfMTIzNDU2", "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkZhYiJ9", "security token"),
    ("en", "our GitHub token ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6", "ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6", "security token"),
    ("en", "client secret: Xy18Q~abcdEFGHijklMNOPqrstUVWXyz0123456_", "Xy18Q~abcdEFGHijklMNOPqrstUVWXyz0123456_", "client secret"),
    ("de", "Das Passwort für den Admin lautet Winter2026!", "Winter2026!", "password"),
    ("de", "Kennwort: Ap9$kLz2", "Ap9$kLz2", "password"),
    ("fr", "Le mot de passe est Soleil2026#", "Soleil2026#", "password"),
    ("fr", "identifiants : admin / Lune!8842", "Lune!8842", "password"),
    ("es", "La contraseña es Verano2026$", "Verano2026$", "password"),
    ("es", "usuario: admin / Playa#771", "Playa#771", "password"),
    ("it", "La password è Estate2026!", "Estate2026!", "password"),
    ("it", "credenziali: admin / Mare@5510", "Mare@5510", "password"),
    ("nl", "Het wachtwoord is Zomer2026!", "Zomer2026!", "password"),
    ("nl", "wachtwoord: Tulp#9931", "Tulp#9931", "password"),
    ("pt", "A senha é Verao2026!", "Verao2026!", "password"),
    ("pt", "senha: Praia#4471", "Praia#4471", "password"),
    ("pl", "Hasło: Lato2026!", "Lato2026!", "password"),
    ("pl", "Hasło do konta admin to Jesien#2026", "Jesien#2026", "password"),
    ("en", "We reset the password last week, it is fine now.", None, None),
    ("de", "Das Passwort ist abgelaufen.", None, None),
    ("en", "The key point is that the job fails at night.", None, None),
]  # fmt: skip
SUBJECT_SECRETS = [
    ("en", f"Password: Tiger!2026 - TrackingID#{CASE}", "Tiger!2026", "password"),
    ("de", f"Zugang admin / Kiwi#3321 - TrackingID#{CASE}", "Kiwi#3321", "password"),
    ("en", f"AccountKey={STORAGE_KEY} - TrackingID#{CASE}", STORAGE_KEY, "storage account key"),
]  # fmt: skip
WORDING = [
    ("en", "Please call me, I prefer the phone.", "prefers_phone"),
    ("de", "Rufen Sie mich bitte an.", "prefers_phone"),
    ("fr", "Merci de m'appeler.", "prefers_phone"),
    ("es", "Prefiero una llamada.", "prefers_phone"),
    ("it", "Potete chiamarmi domani mattina?", "prefers_phone"),
    ("nl", "Kunt u mij bellen?", "prefers_phone"),
    ("pt", "Pode me ligar?", "prefers_phone"),
    ("pl", "Proszę zadzwonić.", "prefers_phone"),
    ("en", "This is unacceptable, I want to speak to your manager.", "upset_words"),
    ("de", "Wir sind sehr enttäuscht.", "upset_words"),
    ("fr", "C'est inacceptable.", "upset_words"),
    ("es", "Estamos muy decepcionados.", "upset_words"),
    ("it", "È inaccettabile.", "upset_words"),
    ("nl", "Dit is onacceptabel.", "upset_words"),
    ("pt", "Isto é inaceitável.", "upset_words"),
    ("pl", "To jest nie do przyjęcia.", "upset_words"),
]  # fmt: skip


# -- writing -----------------------------------------------------------------------------------


def _finish(msg: EmailMessage, name: str, when: datetime, sender: str | None = None) -> bytes:
    if sender and not msg["From"]:
        msg["From"] = sender
    if not msg["Subject"]:
        msg["Subject"] = SUBJECT
    msg["To"] = ENGINEER
    msg["Cc"] = SUPPORT
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{name}@corpus.mailbot.example>"
    return msg.as_bytes()


def _letter(
    lang: str,
    body: str,
    subject: str = SUBJECT,
    headers: dict[str, str] | None = None,
    html: bool = False,
) -> EmailMessage:
    msg = EmailMessage()
    name, addr = PEOPLE[lang]
    msg["From"] = f"{name} <{addr}>"
    msg["Subject"] = subject
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body, subtype="html" if html else "plain")
    if headers and "Content-Language" in headers:  # set_content drops Content-* headers
        del msg["Content-Language"]
        msg["Content-Language"] = headers["Content-Language"]
    return msg


def build() -> tuple[dict[str, bytes], dict[str, dict]]:
    files: dict[str, bytes] = {}
    labels: dict[str, dict] = {}

    def add(name: str, msg: EmailMessage, when: datetime, label: dict) -> None:
        files[f"{name}.eml"] = _finish(msg, name, when)
        labels[f"{name}.eml"] = {"date": when.isoformat(), **label}

    n = 0
    for lang, templates in _ooo_templates().items():
        for ti, (kind, template) in enumerate(templates):
            for bi, base in enumerate(BASES[: len(TARGET_OFFSETS)] if ti % 2 else BASES[1:]):
                offset = TARGET_OFFSETS[(ti + bi) % len(TARGET_OFFSETS)]
                target = _target(base.date(), offset, kind)
                expected = target if kind == "R" else next_weekday_after(target)
                subject, headers = _ooo_headers(n, lang, with_language=n % 5 != 4)
                msg = _letter(lang, template(base.date(), target), subject, headers)
                add(
                    f"ooo-{lang}-{ti}-{bi}",
                    msg,
                    base,
                    {"category": "ooo", "lang": lang, "ooo_until": expected.isoformat()},
                )
                n += 1
        for di, text in enumerate(DATELESS_OOO[lang]):
            subject, headers = _ooo_headers(n, lang, with_language=di == 0)
            add(
                f"ooo-nodate-{lang}-{di}",
                _letter(lang, text, subject, headers),
                BASES[di],
                {"category": "ooo", "lang": lang, "ooo_until": None},
            )
            n += 1
    # Plain English and the special shapes the issue names
    base = BASES[0]
    specials = [
        ("ooo-en-gb-numeric", "en", "I am out of the office and back on 02/12.", {"Content-Language": "en-GB", "Auto-Submitted": "auto-replied"}, "2026-12-02"),
        ("ooo-en-us-numeric", "en", "I'm out of the office until 12/04/2026.", {"Content-Language": "en-US", "Auto-Submitted": "auto-replied"}, "2026-12-07"),
        ("ooo-en-next-monday", "en", "I'm away at a conference. I'll be back next Monday.", {"Auto-Submitted": "auto-replied"}, "2026-12-07"),
        ("ooo-en-back-monday", "en", "Out today, back Monday.", {"Auto-Submitted": "auto-replied"}, "2026-12-07"),
        ("ooo-en-until-monday-30", "en", "Out of office until Monday 30 Nov.", {"Auto-Submitted": "auto-replied"}, "2026-12-01"),
        ("ooo-de-weekday", "de", "Ich bin bis Freitag nicht erreichbar.", {"Auto-Submitted": "auto-replied"}, "2026-12-07"),
        ("ooo-es-next", "es", "Estoy de viaje. Vuelvo el próximo lunes.", {"Auto-Submitted": "auto-replied"}, "2026-12-07"),
        ("ooo-fr-prochain", "fr", "Je suis absent. De retour lundi prochain.", {"Auto-Submitted": "auto-replied"}, "2026-12-07"),
        ("ooo-nl-terug", "nl", "Ik ben afwezig, maandag ben ik weer terug.", {"Auto-Submitted": "auto-replied"}, "2026-12-07"),
        ("ooo-pl-weekday", "pl", "Jestem na urlopie. Wracam w poniedziałek.", {"Auto-Submitted": "auto-replied"}, "2026-12-07"),
    ]  # fmt: skip
    for name, lang, text, headers, expected in specials:
        add(
            name,
            _letter(lang, text, f"{AUTO_REPLY_PREFIX[lang]}: {SUBJECT}", headers),
            base,
            {"category": "ooo", "lang": lang, "ooo_until": expected},
        )
    html_cases = [
        ("ooo-html-de", "de", "<html><body><p>Ich bin bis <b>Frei</b>tag, 4.<span>12.</span></p><p>nicht im B&uuml;ro.</p></body></html>", "2026-12-07"),
        ("ooo-html-en", "en", "<div>I am out of the office.</div><div>Back on <span style='color:red'>Wednesday</span>, 9 December.</div>", "2026-12-09"),
        ("ooo-html-it", "it", "<p>Sono fuori ufficio.<br>Rientro il <strong>10</strong>/12.</p>", "2026-12-10"),
    ]  # fmt: skip
    for name, lang, markup, expected in html_cases:
        add(
            name,
            _letter(
                lang,
                markup,
                f"{AUTO_REPLY_PREFIX[lang]}: {SUBJECT}",
                {"Auto-Submitted": "auto-replied"},
                html=True,
            ),
            base,
            {"category": "ooo", "lang": lang, "ooo_until": expected},
        )

    for name, msg, expected in automatic_cases():
        label = {"category": "automatic", "lang": expected["lang"], "kind": expected["kind"]}
        if not msg["To"]:
            pass
        add(f"auto-{name}", msg, base, label)
    for name, sender, subject, body, headers in HUMANS:
        msg = EmailMessage()
        msg["From"] = sender
        msg["Subject"] = subject
        for k, v in headers.items():
            msg[k] = v
        msg.set_content(body)
        add(f"human-{name}", msg, base, {"category": "human", "lang": "en"})

    for lang, texts in LETTERS.items():
        for i, text in enumerate(texts):
            add(
                f"human-letter-{lang}-{i}",
                _letter(lang, text),
                BASES[i % 3],
                {"category": "human", "lang": lang},
            )
    for i, (lang, sentence, expected) in enumerate(named_date_cases(base.date())):
        add(
            f"named-{lang}-{i}",
            _letter(lang, f"{sentence}\n\n{PEOPLE[lang][0]}"),
            base,
            {"category": "named_date", "lang": lang, "named_date": expected},
        )
    for i, (lang, sentence, expected) in enumerate(INTENTS):
        add(
            f"intent-{lang}-{i}",
            _letter(lang, sentence),
            base,
            {"category": "intent", "lang": lang, "intent": expected},
        )
    for i, (lang, sentence, value, kind) in enumerate(SECRETS):
        add(
            f"secret-{lang}-{i}",
            _letter(lang, f"Hello,\n\n{sentence}\n\nThanks"),
            base,
            {"category": "secret", "lang": lang, "secret": value, "secret_kind": kind},
        )
    for i, (lang, subject, value, kind) in enumerate(SUBJECT_SECRETS):
        add(
            f"secret-subject-{lang}-{i}",
            _letter(lang, "See the subject.", subject),
            base,
            {"category": "secret", "lang": lang, "secret": value, "secret_kind": kind},
        )
    attachment = _letter("en", "The config is attached.")
    attachment.add_attachment(
        b"x", maintype="application", subtype="octet-stream", filename="password=Orca#7712.txt"
    )
    attachment.set_boundary("corpus-boundary")  # deterministic
    add(
        "secret-attachment-name",
        attachment,
        base,
        {"category": "secret", "lang": "en", "secret": "Orca#7712", "secret_kind": "password"},
    )
    for i, (lang, sentence, fact) in enumerate(WORDING):
        add(
            f"wording-{lang}-{i}",
            _letter(lang, sentence),
            base,
            {"category": "wording", "lang": lang, "fact": fact},
        )
    return files, labels


def write(target: Path = HERE) -> int:
    files, labels = build()
    mail = target / "mail"
    mail.mkdir(parents=True, exist_ok=True)
    for old in mail.glob("*.eml"):
        if old.name not in files:
            old.unlink()
    for name, data in files.items():
        (mail / name).write_bytes(data)
    (target / "labels.json").write_text(
        json.dumps(labels, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    return len(files)


if __name__ == "__main__":
    count = write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"{count} messages written")
