"""The composed message against what the ``email`` package's legacy classes wrote from
the same headers and text (how drafts were composed before they were assembled
directly): the same header lines byte for byte, the same decoded parts, and for drafts
as the templates write them the same bytes."""

from __future__ import annotations

import string
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.charset import QP, Charset
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.config import Engineer
from mailbot.domain.kinds import MailKind
from mailbot.outbound.compose import (
    _COMPOSE_POLICY,
    Rendered,
    build_message,
    case_subject,
    envelope,
    render,
    serialise,
)
from tests.unit.test_compose import DATA, ENG

WHEN = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _legacy(rendered: Rendered, headers: list[tuple[str, Any]], boundary: str) -> bytes:
    """The message through MIMEText / MIMEMultipart and the compat32 generator."""
    utf8 = Charset("utf-8")
    utf8.body_encoding = QP
    text = MIMEText(rendered.text, "plain", utf8)
    if rendered.html:
        msg = MIMEMultipart("alternative", boundary=boundary)
        msg.attach(text)
        msg.attach(MIMEText(rendered.html, "html", utf8))
    else:
        msg = text
    for name, value in headers:
        msg[name] = value
    return msg.as_bytes(policy=_COMPOSE_POLICY)


def _head_lines(data: bytes) -> list[bytes]:
    """Every header line of the message and of its parts, in order."""
    lines, in_head = [], True
    for line in data.split(b"\n"):
        if line.startswith(b"--=_mailbot_"):
            in_head = True
        elif not line:
            in_head = False
        elif in_head:
            lines.append(line)
    return lines


def _parts(data: bytes) -> list[tuple[str, bytes]]:
    msg = message_from_bytes(data, policy=compat32)
    return [
        (p.get_content_type(), p.get_payload(decode=True))
        for p in msg.walk()
        if not p.is_multipart()
    ]


def _same(rendered: Rendered, **fields: Any) -> tuple[bytes, bytes]:
    """(ours, legacy) from the same headers; both carry one Message-ID."""
    key = fields["key"]
    headers = envelope(rendered.subject, **fields)
    ours = serialise(rendered, headers, f"=_mailbot_{key}")
    legacy = _legacy(rendered, headers, f"=_mailbot_{key}")
    assert _head_lines(ours) == _head_lines(legacy)
    assert _parts(ours) == _parts(legacy)
    return ours, legacy


def _fields(kind: MailKind, **over: Any) -> dict[str, Any]:
    return {
        "key": uuid.uuid4().hex,
        "kind": kind,
        "case_number": "2611230010001234",
        "sender": ENG,
        "to": [ENG.email] if kind.value.startswith("remind") else ["maria@fabrikam.example"],
        "cc": [] if kind.value.startswith("remind") else ["support@servicedesk.example"],
        "in_reply_to": None if kind.value.startswith("remind") else "<a1.b2@fabrikam.example>",
        "references": "<a0@fabrikam.example>",
        "when": WHEN,
        **over,
    }


NAMES = ["Maria", "Zoë Ångström-Łukasiewicz", "李小龙", "O'Brien, Jr. <b>"]
ISSUES = [
    "Pipeline fails",
    "Copy activity – timeout after 2h; see “run 42” = failed",
    "x" * 300,
    "Échec du pipeline: données manquantes (€)",
]


@pytest.mark.parametrize("kind", list(MailKind))
@pytest.mark.parametrize("n", range(len(NAMES)))
def test_drafts_as_the_templates_write_them_are_the_same_bytes(kind, n):
    note = {"name": "Cause", "text": ISSUES[n], "source": ""}
    data = DATA | {"customer_name": NAMES[n], "issue": ISSUES[n], "notes": [note], "where": "x"}
    subject = case_subject(f"AW: {ISSUES[n]}", "2611230010001234", kind)
    rendered = render(kind, ENG, data, subject)
    ours, legacy = _same(rendered, **_fields(kind))
    assert ours == legacy


_TEXT = st.text(
    alphabet=st.sampled_from(string.printable + "äöüßéèà€“”–😀\u00a0\u0085\u2028."), max_size=600
)
_LINE = st.text(alphabet=st.sampled_from(string.printable + "äöü€😀 "), max_size=120)
_ADDRESS = st.from_regex(r"[a-z0-9._%+-]{1,30}@[a-z0-9-]{1,20}\.example", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    text=_TEXT,
    html=st.one_of(st.none(), _TEXT),
    subject=_LINE,
    name=_LINE,
    to=st.lists(st.one_of(_ADDRESS, _LINE), max_size=4),
    cc=st.lists(_ADDRESS, max_size=6),
    reply=st.one_of(st.none(), _LINE),
    references=st.one_of(st.none(), _LINE),
    kind=st.sampled_from(list(MailKind)),
    minutes=st.integers(min_value=0, max_value=10**6),
)
def test_any_text_and_headers_give_the_same_header_lines_and_decoded_parts(
    text, html, subject, name, to, cc, reply, references, kind, minutes
):
    sender = Engineer(name or "A", "alex@contoso.example", "", "", "", "", "", "")
    _same(
        Rendered(subject, text, html),
        **_fields(
            kind,
            sender=sender,
            to=to,
            cc=cc,
            in_reply_to=reply,
            references=references,
            when=WHEN + timedelta(minutes=minutes),
        ),
    )


def test_build_message_is_the_envelope_serialised():
    rendered = render(MailKind.STRIKE_1, ENG, DATA, "RE: x - TrackingID#2611230010001234")
    fields = _fields(MailKind.STRIKE_1)
    data = build_message(rendered, **fields).as_bytes()
    msg = message_from_bytes(data, policy=compat32)
    assert msg["X-Mailbot-Key"] == fields["key"]
    assert f"mailbot.{fields['key']}@contoso.example" in msg["Message-ID"]
    assert msg.get_boundary() == f"=_mailbot_{fields['key']}"
    expected = envelope(rendered.subject, **fields)
    assert [n for n, _ in expected] == [n for n, _ in msg.items()][2:]


def test_a_boundary_that_would_need_escaping_is_refused():
    rendered = Rendered("s", "t\n", "<p>t</p>\n")
    with pytest.raises(ValueError, match="boundary"):
        serialise(rendered, [], '=_mailbot_a"b')


_FOLDABLE = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + ' \t;,;,  <>@.="-_x'),
    max_size=300,
)


@settings(max_examples=400, deadline=None)
@given(
    name=st.sampled_from(["Subject", "Message-ID", "Content-Type", "X-Mailbot-Box", "References"]),
    value=_FOLDABLE,
    other=st.randoms(use_true_random=False),
)
def test_a_header_folded_by_its_shape_is_folded_as_compat32_folds_it(name, value, other):
    """The same value, and another of the same shape (the cached fold put to use)."""
    alike = "".join(c if c in " \t;," else other.choice("aZ9<>@.=x-") for c in value)
    for v in (value, alike):
        assert _COMPOSE_POLICY.fold(name, v) == compat32.fold(name, v)


def test_long_tokens_of_every_length_fold_as_compat32_folds_them():
    for n in range(60, 260):
        for value in ("<" + "7" * (n - 2) + ">", "a" * n, f"{'b' * (n // 2)} {'c' * (n // 2)}"):
            assert _COMPOSE_POLICY.fold("Message-ID", value) == compat32.fold("Message-ID", value)


_WORD = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + '<>@.="-_', min_size=1, max_size=12),
    st.text(alphabet=string.ascii_letters + string.digits + "<>@.-", min_size=60, max_size=160),
)


@settings(max_examples=600, deadline=None)
@given(
    name=st.one_of(
        st.sampled_from(["Subject", "References", "In-Reply-To", "To", "X-Mailbot-Case"]),
        st.text(alphabet=string.ascii_letters + "-", min_size=1, max_size=80),
    ),
    words=st.lists(_WORD, min_size=1, max_size=30),
)
def test_words_between_single_spaces_fold_as_compat32_folds_them(name, words):
    """The direct fold of words between single spaces (_fold_spaced), at every length:
    short, around the limit, a first word too long for the first line, long words."""
    value = " ".join(words)
    assert _COMPOSE_POLICY.fold(name, value) == compat32.fold(name, value)
    assert _COMPOSE_POLICY.fold_binary(name, value) == compat32.fold_binary(name, value)
