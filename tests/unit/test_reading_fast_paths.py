"""The shortcuts in reading a message give what the slow way gives, on every input: the
header fields (against the email package's parser) and where quoted history starts
(against the reply parser run as its authors meant, on the whole skeleton, with its
signature and disclaimer search). Inputs: the labelled corpus, the benchmarks'
generated mail and mailbox, and generated texts made of what these readers look for."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailparser_reply import EmailReplyParser

from bench.corpus import make_corpus
from bench.hostile import crafted
from bench.mailbox import generate
from mailbot.ingest import body
from mailbot.ingest.message import BODY_BYTES, HEAD_BYTES, raw_header_items
from tests import helpers
from tests.corpus.evaluate import CORPUS, read

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def mails(tmp_path_factory) -> list[bytes]:
    tmp = tmp_path_factory.mktemp("mail")
    found = [p.read_bytes() for p in sorted((CORPUS / "mail").glob("*.eml"))]
    found += [p.read_bytes() for p in make_corpus(tmp / "corpus", 300)]
    generate(tmp / "box", 300)
    for root, _, files in os.walk(tmp / "box"):
        found += [Path(root, f).read_bytes() for f in sorted(files)]
    found += list(crafted().values())
    return [m[:BODY_BYTES] for m in found]


def _parser_items(head: bytes) -> list[tuple[str, str]]:
    return list(BytesHeaderParser(policy=compat32).parsebytes(head).raw_items())


def _head(raw: bytes) -> bytes:
    end = raw.find(b"\n\n")
    return raw[:HEAD_BYTES] if end < 0 else raw[: end + 1]


def test_header_fields_are_the_parsers_on_every_mail(mails):
    for raw in mails:
        assert raw_header_items(_head(raw)) == _parser_items(_head(raw))


_HEADER_PIECES = st.sampled_from(
    [
        "Subject: ", "From:", "X-A:", "To:\t", "Name :", "a", "ü", " ", "\t", "\n", "\n ",
        "\n\t", "\r\n", "\r", "\x0b", ":", "x@y.example", "=?utf-8?q?x?=", "From x", "\n\n",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_HEADER_PIECES, max_size=30), st.binary(max_size=3))
def test_header_fields_are_the_parsers_on_any_header_block(pieces, tail):
    head = "".join(pieces).encode("utf-8") + tail
    assert raw_header_items(head) == _parser_items(head)


def _reference_cut(lines: list[str], languages: tuple[str, ...]) -> list[str]:
    """Where the reply parser, run whole on the skeleton, says the second reply starts."""
    skeleton, index = body._skeleton(lines)
    if not skeleton.strip():
        return lines
    replies = EmailReplyParser(languages=list(languages)).read(skeleton).replies
    if len(replies) < 2 or not replies[1].headers:
        return lines
    first = replies[1].headers.split("\n")[0].strip()
    for pos, line in enumerate(skeleton.split("\n")):
        if first and line.startswith(first[: body.PARSE_LINE_CHARS]):
            return lines[: index[pos]] if pos < len(index) else lines
    return lines


def _lines(text: str) -> list[str]:
    return body._first_pass(text[: body.MAX_TEXT * 2].replace("\r\n", "\n").split("\n"))


def test_quoted_history_is_cut_where_the_whole_reply_parser_cuts_it(mails):
    cut = 0
    for raw in mails:
        lines = _lines(body._full_text(raw))
        for languages in (body.PARSER_LANGUAGES, (*body.PARSER_LANGUAGES, "pl")):
            expected = _reference_cut(lines, languages)
            assert body._reply_parser_cut(lines, languages) == expected
            cut += expected != lines
    assert cut > 100  # the corpora do hold reply headers


_REPLY_PIECES = st.sampled_from(
    [
        "From: Ana", "Sent: Monday", "To: x@y.example", "Subject: RE: x", "Von: A",
        "Gesendet: Montag", "De : B", "Envoyé : lundi", "Objet : x", "De: C", "Enviado: x",
        "Da: D", "Inviato: x", "Van: E", "Verzonden: x", "Od: F", "Wysłano: x", "Data: x",
        "On Mon, 5 Oct 2026, Ana wrote:", "Am 5. Okt. schrieb Ana:", "Le 5 oct., Ana a écrit :",
        "El 5 oct, Ana escribió:", "Il 5 ott, Ana ha scritto:", "Op 5 okt, Ana schreef:",
        "W dniu 5 paź Ana napisał(a):", "-----Original Message-----", "----- ORIGINAL MESSAGE",
        "—" * 40, "-" * 40, "_" * 40, "", " ", "*From:* Ana", "> From: Ana", "Hello,",
        "the job fails: timeout", "Thanks", "Regards", "Sent from my phone", "x" * 200,
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_REPLY_PIECES, max_size=25), st.booleans())
def test_quoted_history_is_cut_as_the_whole_reply_parser_cuts_it_in_any_text(pieces, polish):
    languages = (*body.PARSER_LANGUAGES, "pl") if polish else body.PARSER_LANGUAGES
    lines = _lines("\n".join(pieces))
    assert body._reply_parser_cut(lines, languages) == _reference_cut(lines, languages)


@settings(max_examples=300, deadline=None)
@given(st.lists(_REPLY_PIECES, max_size=3), st.sampled_from(["", ":", " :", ": ", "x"]))
def test_a_wrote_line_ends_in_its_colon(pieces, end):
    line = (" ".join(pieces) + end).strip()[: body.PARSE_LINE_CHARS]
    if body._WROTE_LINE.search(line):
        assert line.endswith(":")


@pytest.mark.parametrize(
    ("sender", "text", "reason"),
    [
        # SMTP wording and automatic wording in the body of case mail: two weak signals
        (
            helpers.CUSTOMER,
            "This is an automated message. 550 5.1.1 user unknown",
            "auto-generated: SMTP status wording + says it is automatic",
        ),
        (
            helpers.CUSTOMER,
            "550 5.1.1 user unknown, and it was read on Monday",
            "read receipt: SMTP status wording + read-receipt wording",
        ),
        (helpers.CUSTOMER, "550 5.1.1 user unknown", None),
        (helpers.CUSTOMER, "This is an automated message.", None),
        # one weak header signal: one weak body signal makes two
        (
            f"IT <no-reply@{helpers.CUSTOMER.split('@')[1]}>",
            "Your message was read on Monday.",
            "read receipt: no-reply sender + read-receipt wording",
        ),
        (
            f"IT <no-reply@{helpers.CUSTOMER.split('@')[1]}>",
            "550 user unknown",
            "auto-generated: no-reply sender + SMTP status wording",
        ),
    ],
)
def test_weak_body_signals_decide_together(sender, text, reason, tmp_path):
    cfg = helpers.settings(tmp_path, "sqlite:///x.db")
    raw = helpers.mail(sender=sender, body=text).as_bytes()
    assert read(cfg, raw, NOW).automatic == reason


def _all_name_fields(raw: bytes) -> list[tuple[int, int]]:
    return [m.span() for m in body._ATTACHMENT_NAME.finditer(raw)]


def test_attachment_names_are_found_where_the_pattern_finds_them(mails):
    for raw in mails:
        fields = [m.span() for m in body._attachment_name_fields(raw)]
        assert fields == _all_name_fields(raw)


_NAME_PIECES = st.sampled_from(
    [
        "name", "NAME", "Name", "filename", "FileName", "file", "fi", "le", "na", "me", "=",
        " = ", '"', "'", "*", "*0*", "*1", "x", "a.pdf", ";", "\n", " ", "\t", "ü", "utf-8''a%20b",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_NAME_PIECES, max_size=30))
def test_attachment_names_are_found_where_the_pattern_finds_them_in_any_bytes(pieces):
    raw = "".join(pieces).encode("utf-8")
    assert [m.span() for m in body._attachment_name_fields(raw)] == _all_name_fields(raw)


@pytest.mark.parametrize("size", [0, 1, HEAD_BYTES - 1, HEAD_BYTES, HEAD_BYTES + 1, BODY_BYTES + 7])
@pytest.mark.parametrize("folder", ["INBOX", "Sent Items"])
@pytest.mark.parametrize("sender_headers", [False, True])
def test_a_head_that_is_the_whole_file_is_the_body_read_again(
    tmp_path, size, folder, sender_headers
):
    """sync uses the head read as the body where it was the whole file: exactly then the
    second read gives the same bytes (Keywords / X-Mailbot-* of incoming mail dropped
    from both), and a longer file is read again."""
    from unittest import mock

    from mailbot.ingest.sync import _read
    from mailbot.mailbox.maildir import MaildirMailbox
    from mailbot.mailbox.port import ItemRef

    box = MaildirMailbox(
        tmp_path, ["INBOX", "Sent Items"], "Sent Items", "INBOX", lambda data, key: None
    )
    box.ensure_folders()
    head = b"From: a@example.com\nSubject: hi\n"
    if sender_headers:
        head += b"Keywords: Mailbot: Solution delivered\nX-Mailbot-Key: k1\n"
    data = (head + b"\n" + b"x" * max(0, size))[: max(size, len(head) + 1)]
    name = "1700000000.M1P1.host:2,S"
    (box.path(folder) / "cur" / name).write_bytes(data)
    ref = ItemRef(folder, "1700000000.M1P1.host", f"cur/{name}")
    prefix, whole = box.read_prefix(ref, HEAD_BYTES)
    assert prefix == box.read(ref, HEAD_BYTES)
    assert whole == (len(data) < HEAD_BYTES)
    if whole:
        assert prefix == box.read(ref, BODY_BYTES)
    app = mock.Mock(mailbox=box)
    msg = _read(app, ref, NOW)
    assert msg.raw_body == box.read(ref, BODY_BYTES)


_SUBJECT_PIECES = [
    "RE: ", "AW: ", "Automatic reply: ", "[Case 12345678]", "(Case 12345678)", "(ticket #1)",
    "Case #123456789", "TrackingID#2401010000001234", " ", "\n", "\t", "\u00a0", "\u2003",
    ":", "-", "–", "|", ",", "]", ")", "[", "(", "1", "12345678", "١٢٣٤٥٦٧٨٩", "Out of office",
]  # fmt: skip


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.sampled_from(_SUBJECT_PIECES), st.text(max_size=3)), max_size=12))
def test_the_subject_core_is_the_patterns_on_any_subject(pieces):
    """The trailing case label is looked for only where the subject ends in "]", ")" or a
    digit: the same core as both patterns run on every subject."""
    from mailbot.ingest import auto_words

    subject = "".join(pieces)
    core = auto_words._LEADING.sub("", subject[:300])
    assert auto_words.subject_core(subject) == auto_words._TRAILING.sub("", core).strip()


def test_lazy_patterns_are_the_patterns_compiled_on_first_use():
    """Patterns a typical tick never needs are compiled on first use: the same source
    and flags, so the same matches."""
    import re

    from mailbot.ingest import auto_words, command_secrets, intent_words, secret_rules
    from mailbot.ingest.lazy_pattern import LazyPattern

    lazy = [
        p
        for module in (auto_words, command_secrets, intent_words, secret_rules)
        for p in vars(module).values()
        if isinstance(p, LazyPattern)
    ]
    assert len(lazy) >= 19
    text = (
        "This is an automated message. Your message was read on Monday. I'll test it on "
        "12/15 and get back to you then. -----BEGIN RSA PRIVATE KEY----- Bearer "
        "abcdefghijklmnop0123 ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8 sig=abcdefghijklmnop1234"
        " Your message has been quarantined. mysql -u root -pS3cret! db; sshpass -p Pw1x! ssh h"
        " curl -u me:Pw2y! https://x --db-password=Pw3z! PGPASSWORD=Pw4q!"
    )
    for p in lazy:
        plain = re.compile(p._source, p._flags)
        assert [m.span() for m in p.finditer(text)] == [m.span() for m in plain.finditer(text)]
        assert p.compiled() is p.compiled()
        assert (p.pattern, p.flags) == (plain.pattern, plain.flags)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.sampled_from(["RE: login failed", "pw: Geheim!1", "Case 12345678", "x"]), max_size=6
    )
)
def test_a_subject_scanned_before_is_masked_as_scan_masks_it(subjects):
    """Subjects the secret scan found nothing in are remembered (never one with a
    secret): each message's subject is what scan makes of it, whatever came before."""
    from mailbot.ingest import message
    from mailbot.ingest.secrets import scan
    from mailbot.mailbox.port import ItemRef

    for subject in subjects:
        head = f"From: a@example.com\nSubject: {subject}\n\n".encode()
        msg = message.IncomingMessage.from_head(ItemRef("INBOX", "k", "cur/k"), head, bytes, NOW)
        assert msg._subject_scan == scan(subject)
        assert all(not scan(s)[1] for s in message._SUBJECTS_WITHOUT_SECRETS)
