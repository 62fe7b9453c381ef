"""Render templates into messages.

Customer text (names, subjects) only ever enters as template *data*: nothing from a
message is used as template source. HTML is autoescaped; headers are built from
single-line values, so CR/LF cannot be smuggled into them (R02, R24, R25).
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

from mailbot.config import Engineer
from mailbot.domain.kinds import ENGINEER_KINDS, MailKind
from mailbot.mailbox.port import KEY_HEADER

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Template markers and unfilled slots that must never reach a customer (R25).
TEMPLATE_MARKERS = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|#\}|\[(?:customer|name|case|date|signature|support engineer)[^\]\n]{0,30}\]|<(?:customer|name|case number)>|xxx-xxx|\bUndefined\b",
    re.IGNORECASE,
)
ENGINEER_SLOT = re.compile(r"\[\[[^\]\n]{0,200}\]\]")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|wg|fw|fwd|tr|rv|sv|antw)\s*:\s*)+", re.IGNORECASE)


class PlaceholderLeft(Exception):
    """A rendered email still contains a template marker or an unfilled slot (R25)."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(value: str) -> str:
    """Header-safe: no CR/LF or other control characters."""
    return " ".join(_CONTROL.sub(" ", value).split())


# IGNORECASE matches these to ASCII letters that ``str.lower`` does not give (see
# mailbot.ingest.secret_rules.FOLDS_TO_ASCII); with one in the text, the pattern runs.
_FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"
# A literal every match of TEMPLATE_MARKERS holds (lower-cased where it ignores case).
_MARKER_BRACES = ("{{", "}}", "{%", "%}", "{#", "#}")
_MARKER_WORDS = ("[customer", "[name", "[case", "[date", "[signature", "[support engineer",
                 "<customer>", "<name>", "<case number>", "xxx-xxx", "undefined")  # fmt: skip


def _may_hold_markers(text: str) -> bool:
    """False when TEMPLATE_MARKERS cannot match ``text``: the pattern, tried at every
    position of a draft's HTML, was a tenth of drafting; these checks are a fraction."""
    if any(b in text for b in _MARKER_BRACES) or any(c in text for c in _FOLDS_TO_ASCII):
        return True
    lowered = text.lower()
    return any(w in lowered for w in _MARKER_WORDS)


def find_placeholders(text: str, allow_slots: bool = False) -> list[str]:
    found = [m.group(0) for m in TEMPLATE_MARKERS.finditer(text)] if _may_hold_markers(text) else []
    if not allow_slots and "[[" in text:
        found += [m.group(0) for m in ENGINEER_SLOT.finditer(text)]
    return found


@lru_cache(maxsize=4)
def environment(root: str = str(TEMPLATES)):  # type: ignore[no-untyped-def]
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(root),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        # the templates are the package's own files, replaced only with the code (and a
        # restart): no modification-time check on every draft's three templates
        auto_reload=False,
    )


def case_subject(subject: str, number: str, kind: MailKind) -> str:
    """The reply subject, always carrying the case number (R02)."""
    base = one_line(_REPLY_PREFIX.sub("", subject or "")).strip()
    if kind in ENGINEER_KINDS:
        return one_line(
            f"[mailbot] {kind.value.replace('remind_', '').replace('_', ' ')} - case {number}"
        )
    if number not in base:
        base = f"{base} - TrackingID#{number}" if base else f"Case TrackingID#{number}"
    return f"RE: {base}"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def render(
    kind: MailKind,
    engineer: Engineer,
    data: dict[str, Any],
    subject: str,
    templates: str = str(TEMPLATES),
) -> Rendered:
    """The email of ``kind`` with ``data``. R25, exactly: a marker the *template* left
    unfilled raises :class:`PlaceholderLeft`; what the customer wrote (a subject with
    ``{{``, a name in brackets) is data, appears literally and is never evaluated."""
    out = _render(kind, engineer, data, subject, templates)
    if kind in ENGINEER_KINDS or not _markers(out):
        return out
    # Markers in the output: were they in the data, or did the template leave them?
    neutral = {k: ("x" if isinstance(v, str) and v else v) for k, v in data.items()}
    own = _markers(_render(kind, engineer, neutral, "x", templates))
    if own:
        raise PlaceholderLeft(f"template {kind.value} left {own[0]!r}")
    return out


def _markers(r: Rendered) -> list[str]:
    return find_placeholders(r.text, allow_slots=True) + find_placeholders(
        r.html or "", allow_slots=True
    )


@lru_cache(maxsize=256)
def _template(templates: str, name: str):  # type: ignore[no-untyped-def]
    """The compiled template (the environment never reloads; asking it by name each time,
    three times a draft, was a tenth of rendering)."""
    return environment(templates).get_template(name)


def _render(
    kind: MailKind, engineer: Engineer, data: dict[str, Any], subject: str, templates: str
) -> Rendered:
    subject = one_line(subject)
    context = {"engineer": engineer, **data}
    text = _template(templates, f"{kind.value}.txt.j2").render(context).strip() + "\n"
    if kind in ENGINEER_KINDS:
        return Rendered(subject, text, None)
    signature = _template(templates, "_signature.txt.j2").render(context)
    full_text = f"{text}\n{signature}"
    paragraphs = [p.splitlines() for p in re.split(r"\n\s*\n", text.strip())]
    html = _template(templates, "layout.html.j2").render(
        context | {"paragraphs": paragraphs, "subject": subject}
    )
    return Rendered(subject, full_text, html)


def markers_in_rendered(r: Rendered) -> list[str]:
    """:func:`markers_in_message` of the message ``r`` becomes, read from its parts."""
    from mailbot.mailbox.text import html_to_text

    found = find_placeholders(one_line(r.subject)) + find_placeholders(r.text)
    if r.html:
        found += find_placeholders(html_to_text(r.html))
    return found


def markers_in_message(data: bytes) -> list[str]:
    """Every template marker or unfilled slot in a message as it would leave: subject
    and text parts (HTML read as text). The same reading at drafting and at sending, so
    what the customer wrote can be told from what was left (R25)."""
    from email import message_from_bytes
    from email.policy import compat32

    from mailbot.mailbox.text import html_to_text

    msg = message_from_bytes(data, policy=compat32)
    found: list[str] = find_placeholders(str(msg.get("Subject", "")))
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        try:
            text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        except LookupError:
            text = payload.decode("utf-8", "replace")
        if part.get_content_type() == "text/html":
            text = html_to_text(text)
        found += find_placeholders(text)
    return found


class OutgoingMessage:
    """A composed email as the bytes that will be saved or sent, with the lookups the
    mailbox adapters make (headers, ``get_body``, ``walk``) answered by parsing those
    bytes on first use. Composing through the ``email`` package's legacy (compat32)
    classes costs a third of the modern API, and Maildir and EWS need only the bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._parsed: EmailMessage | None = None

    def as_bytes(self) -> bytes:
        return self._data

    def _message(self) -> EmailMessage:
        if self._parsed is None:
            from email import message_from_bytes
            from email.policy import default

            self._parsed = message_from_bytes(self._data, policy=default)  # type: ignore[assignment]
        return self._parsed  # type: ignore[return-value]

    def __getitem__(self, name: str) -> Any:
        return self._message()[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._message().get(name, default)

    def get_body(self, preferencelist: tuple[str, ...] = ("related", "html", "plain")) -> Any:
        return self._message().get_body(preferencelist)

    def walk(self) -> Any:
        return self._message().walk()


# compat32 folds an ASCII value by the lengths of its runs between spaces and tabs and by
# whether a run ends in ";" or ","; every other character is alike to it (its shape).
_FOLD_ALIKE = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in ";,")
_TO_SHAPE = str.maketrans(_FOLD_ALIKE, "x" * len(_FOLD_ALIKE))
_RUN = re.compile(r"[^ \t;,]+")
_SHAPE_RUN = re.compile(r"x+")


class _ShortLinesAsThey(type(compat32)):  # type: ignore[misc]
    """compat32, except that a short ASCII header is written as it is, and a long one is
    folded once per shape (a Message-ID, a boundary, a subject of the same word lengths)
    with its own characters put back: the Header folding machinery was most of the cost
    of composing a message."""

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if not (isinstance(value, str) and value.isascii()):
            return super()._fold(name, value, sanitize)
        if len(name) + len(value) < 76:
            return f"{name}: {value}{self.linesep}"
        if not value.replace("\t", " ").isprintable():
            return super()._fold(name, value, sanitize)
        if _SPACED.fullmatch(value):
            return f"{name}: {_fold_spaced(len(name) + 2, value)}{self.linesep}"
        prefix = f"{name}: "
        folded = self._fold_shape(name, value.translate(_TO_SHAPE))[len(prefix) :]
        gaps = _SHAPE_RUN.split(folded)
        runs = _RUN.findall(value)
        if len(gaps) != len(runs) + 1:  # never expected: fold the value itself
            return super()._fold(name, value, sanitize)
        return prefix + "".join(g + r for g, r in zip(gaps, [*runs, ""], strict=True))

    @lru_cache(maxsize=512)  # noqa: B019 - the module's one policy object lives for ever
    def _fold_shape(self, name: str, shape: str) -> str:
        return super()._fold(name, shape, True)


_COMPOSE_POLICY = _ShortLinesAsThey()
# Words (no ";", ",", tab) between single spaces: a subject, a list of Message-IDs.
_SPACED = re.compile(r"[^ \t;,]+(?: [^ \t;,]+)*")


def _fold_spaced(headerlen: int, value: str) -> str:
    """compat32's fold (``email.header``'s ``_ValueFormatter`` at 78 columns) of a value
    that :data:`_SPACED` matches, worked out directly: its only split point is before a
    word, so a line takes words until one would pass the limit, which then starts the
    next line after a space; a first word too long for the first line goes to the
    second, the first left empty. Most folds missed the per-shape cache (the word
    lengths of every subject and References chain differ), a tenth of composing. A
    hypothesis property compares it with compat32's own fold."""
    words = value.split(" ")
    lines: list[str] = []
    prefix, line, size = "", [words[0]], headerlen + len(words[0])
    if size > _MAX_LINE:
        lines.append("")
        prefix, size = " ", 1 + len(words[0])
    for word in words[1:]:
        size += 1 + len(word)
        if size > _MAX_LINE:
            lines.append(prefix + " ".join(line))
            prefix, line, size = " ", [word], 1 + len(word)
        else:
            line.append(word)
    lines.append(prefix + " ".join(line))
    return "\n".join(lines)


_MAX_LINE = 78


def _header(value: str) -> Any:
    """A header value safe for the legacy generator: RFC 2047-encoded when not ASCII."""
    from email.header import Header

    value = one_line(value)
    return value if value.isascii() else Header(value, "utf-8")


_NEWLINES = re.compile(r"\r\n?")
# What the legacy classes wrote for each part (parameter quoted, then the version line).
_PART_HEAD = {
    subtype: (
        f'Content-Type: text/{subtype}; charset="utf-8"\n'
        "MIME-Version: 1.0\n"
        "Content-Transfer-Encoding: quoted-printable\n"
    ).encode("ascii")
    for subtype in ("plain", "html")
}


def _part(subtype: str, text: str) -> bytes:
    """A text part in UTF-8, quoted-printable (readable in any client's source view, 7-bit
    safe). ``binascii`` encodes in C what ``email.quoprimime`` did in Python, a fifth of
    drafting; the decoded text is the same, and for drafts as mailbot writes them so are
    the bytes (they differ only in where a soft break falls beside a trailing space and
    in a lone "." line, which binascii also encodes). Line ends become LF first, as the
    ``email`` generator made them."""
    body = binascii.b2a_qp(_NEWLINES.sub("\n", text).encode("utf-8"), istext=True)
    return _PART_HEAD[subtype] + b"\n" + body


def envelope(
    subject: str,
    *,
    key: str,
    kind: MailKind,
    case_number: str,
    sender: Engineer,
    to: list[str],
    cc: list[str],
    in_reply_to: str | None,
    references: str | None,
    when,  # noqa: ANN001 - a datetime
) -> list[tuple[str, Any]]:
    """The message's own headers, in order: single-line text, or a :class:`Header` that
    RFC 2047-encodes what is not ASCII."""
    domain = sender.email.rsplit("@", 1)[-1]
    is_reminder = kind in ENGINEER_KINDS
    name = one_line("mailbot for " + sender.name if is_reminder else sender.name)
    headers: list[tuple[str, Any]] = [
        ("From", formataddr((name, sender.email), charset="utf-8")),
        ("To", _header(", ".join(one_line(a) for a in to))),
    ]
    if cc:
        headers.append(("Cc", _header(", ".join(one_line(a) for a in cc))))
    headers += [
        ("Subject", _header(subject)),
        ("Date", format_datetime(when)),
        ("Message-ID", make_msgid(idstring=f"mailbot.{key}", domain=domain)),
    ]
    if in_reply_to:
        chain = list(dict.fromkeys(f"{references or ''} {in_reply_to}".split()))
        headers += [
            ("In-Reply-To", _header(in_reply_to)),
            ("References", _header(" ".join(chain[-10:]))),
        ]
    headers += [
        (KEY_HEADER, one_line(key)),
        ("X-Mailbot-Kind", kind.value),
        ("X-Mailbot-Case", _header(case_number)),
    ]
    if is_reminder:
        headers += [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All")]
    return headers


def serialise(rendered: Rendered, headers: list[tuple[str, Any]], boundary: str) -> bytes:
    """The message as the ``email`` package's compat32 generator wrote it from MIMEText
    and MIMEMultipart (the part headers first, then ``headers``), assembled directly:
    building those objects and walking them was most of composing a draft. Every header
    is still folded by the policy, so a long or non-ASCII value is encoded as before."""
    fold = _COMPOSE_POLICY.fold_binary
    own = b"".join(fold(name, value) for name, value in headers)
    if not rendered.html:
        text = _part("plain", rendered.text)
        head, _, body = text.partition(b"\n\n")
        return head + b"\n" + own + b"\n" + body
    if '"' in boundary or "\\" in boundary:  # the parameter is written quoted
        raise ValueError("a MIME boundary of mailbot's is a single token")
    top = fold("Content-Type", f'multipart/alternative; boundary="{boundary}"')
    dash = f"--{boundary}".encode("ascii")
    return b"".join(
        [top, b"MIME-Version: 1.0\n", own, b"\n", dash, b"\n", _part("plain", rendered.text),
         b"\n", dash, b"\n", _part("html", rendered.html), b"\n", dash, b"--\n"]
    )  # fmt: skip


def build_message(rendered: Rendered, **fields: Any) -> OutgoingMessage:
    """The draft or reminder as bytes; ``fields`` are :func:`envelope`'s. A boundary of
    mailbot's own (the key is unknown to anyone who writes the text), so no part need be
    searched for a free one."""
    boundary = f"=_mailbot_{one_line(fields['key'])}"
    return OutgoingMessage(serialise(rendered, envelope(rendered.subject, **fields), boundary))
