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

from mailbot.mailbox.port import KEY_HEADER

BODY_HEADERS = ("content-", "mime-version")


def header_lines(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Unfolded ``Name: value`` lines, without the headers that describe the original body."""
    return [
        f"{name}: {' '.join(str(value or '').split())}"
        for name, value in headers
        if name and not name.lower().startswith(BODY_HEADERS)
    ]


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
