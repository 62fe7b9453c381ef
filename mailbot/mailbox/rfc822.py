"""Exchange messages (Graph JSON, EWS items) as RFC 5322 text for the ingest filter chain.

Exchange hands out a message's internet headers and a text rendering of its body, not
the MIME it arrived as. The body mailbot reads is that text, so the original's
Content-* headers (a base64 or quoted-printable transfer encoding, a multipart
boundary) must not describe it: they are dropped and one plain-text Content-Type is
written instead. Categories become a Keywords header (engineer signals), and the outbox
key, kept by Exchange as a named property, becomes the key header.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.message import Message

from mailbot.mailbox.port import KEY_HEADER

BODY_HEADERS = ("content-", "mime-version")
# What a sender writes in these is never believed: categories come from the mailbox's
# own item properties, the key from mailbot's named property.
SENDERS_CANNOT_SET = ("keywords", "x-mailbot-")


def header_lines(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Unfolded ``Name: value`` lines, without the headers that describe the original body
    and without the ones only the mailbox itself may say (Keywords, X-Mailbot-*)."""
    return [
        f"{name}: {' '.join(str(value or '').split())}"
        for name, value in headers
        if name and not name.lower().startswith(BODY_HEADERS + SENDERS_CANNOT_SET)
    ]


def without_sender_headers(data: bytes) -> bytes:
    """``data`` without the header fields only the mailbox itself may say (Keywords,
    X-Mailbot-*), continuation lines included: for mail that came in from outside,
    whose sender could write them (every mail mailbot sends carries its key)."""
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\n\r\n")) if i >= 0]
    end = min(ends) + 1 if ends else len(data)
    head = data[:end]
    lowered = head.lower()
    if not any(name.encode() in lowered for name in SENDERS_CANNOT_SET):
        return data
    kept, dropping = [], False
    for line in head.split(b"\n"):
        if line[:1] not in (b" ", b"\t"):
            name = line.split(b":", 1)[0].strip().lower().decode("latin-1")
            dropping = b":" in line and name.startswith(SENDERS_CANNOT_SET)
        if not dropping:
            kept.append(line)
    return b"\n".join(kept) + data[end:]


def recipients(msg: Message) -> list[str]:
    """The addresses in To, Cc and Bcc that can be delivered to (``local@domain``): what
    is left after an engineer's edit may be empty or mangled."""
    from email.utils import getaddresses

    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in msg.get_all(name, [])]
    return [addr for _, addr in getaddresses(fields) if "@" in addr.strip("@")]


def recipients_of(data: bytes) -> list[str]:
    """:func:`recipients` of a message's bytes (its headers only are parsed)."""
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    return recipients(BytesHeaderParser(policy=compat32).parsebytes(data))


def assemble(lines: list[str], key: str | None, categories: Iterable[str], text: str) -> bytes:
    """Headers, our key and categories, then the text body."""
    out = list(lines)
    if key:
        out.append(f"{KEY_HEADER}: {key}")
    categories = list(categories or [])
    if categories:
        out.append(f"Keywords: {', '.join(categories)}")
    out.append("Content-Type: text/plain; charset=utf-8")
    return ("\n".join(out) + "\n\n" + text).encode("utf-8", "replace")


NOTE_MARK = "[mailbot] This draft was not sent"


def with_note(data: bytes, note: str) -> bytes:
    """The message with ``note`` as the first paragraph of each text part (plain and
    HTML), for a draft taken out of the approval folders. A message that already carries
    a mailbot note is returned as it is, so a retried move never stacks two notes."""
    from email import message_from_bytes
    from email.policy import default

    if NOTE_MARK.encode() in data:
        return data
    msg = message_from_bytes(data, policy=default.clone(max_line_length=998))
    changed = False
    for part in msg.walk():
        if part.get_content_maintype() != "text" or part.is_attachment():
            continue
        subtype = part.get_content_subtype()
        if subtype not in ("plain", "html"):
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            continue
        if subtype == "plain":
            content = f"{note}\n\n{content}"
        else:
            import html

            block = f'<p style="color:#8a6d3b"><b>{html.escape(note)}</b></p>'
            lower = content.lower()
            at = lower.find(">", lower.find("<body")) + 1 if "<body" in lower else 0
            content = content[:at] + block + content[at:]
        part.set_content(content, subtype=subtype, charset="utf-8")
        changed = True
    return msg.as_bytes() if changed else data
