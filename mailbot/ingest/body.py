"""Get the readable, newly written text out of a message body.

Only customer messages of a case get here. The body is read capped (see
``BODY_BYTES``), parsed with the lenient compat32 parser, and cut at the first line that
starts quoted history, so words the engineer wrote earlier are not taken as the
customer's.
"""

from __future__ import annotations

import base64
import html
import quopri
import re
from email import message_from_bytes
from email.policy import compat32

_QUOTE_STARTS = re.compile(
    r"^(?:>|-{2,}\s*original message|_{5,}|from:\s|von:\s|de\s?:\s|on .{4,200} wrote:|am .{4,200} schrieb|le .{4,200} a écrit|el .{4,200} escribió)",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
MAX_TEXT = 20000
MULTIPART_BYTES = 24 * 1024


def _part_text(part) -> str:  # type: ignore[no-untyped-def]
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def html_to_text(markup: str) -> str:
    markup = re.sub(r"<br\s*/?>|</p>|</div>|</tr>", "\n", markup, flags=re.IGNORECASE)
    return html.unescape(_TAGS.sub(" ", markup))


def _simple_text(raw: bytes) -> str | None:
    """A single-part text/plain or text/html message, decoded without the MIME parser."""
    end = raw.find(b"\n\n")
    sep = 2
    if end < 0:
        end, sep = raw.find(b"\r\n\r\n"), 4
    if end < 0:
        return None
    head = raw[:end].lower()
    ctype = re.search(
        rb"^content-type:\s*([\w/.+-]+)([^\n]*(?:\n[ \t][^\n]*)*)", head, re.MULTILINE
    )
    kind = ctype.group(1) if ctype else b"text/plain"
    if kind not in (b"text/plain", b"text/html"):
        return None
    cte = re.search(rb"^content-transfer-encoding:\s*([\w-]+)", head, re.MULTILINE)
    encoding = cte.group(1) if cte else b"7bit"
    charset_match = re.search(rb'charset="?([\w.:-]+)', ctype.group(2)) if ctype else None
    charset = charset_match.group(1).decode("ascii", "replace") if charset_match else "utf-8"
    body = raw[end + sep :]
    if encoding == b"quoted-printable":
        body = quopri.decodestring(body)
    elif encoding == b"base64":
        try:
            body = base64.b64decode(body, validate=False)
        except ValueError:
            return None
    elif encoding not in (b"7bit", b"8bit", b"binary"):
        return None
    try:
        text = body.decode(charset, "replace")
    except LookupError:
        text = body.decode("utf-8", "replace")
    return html_to_text(text) if kind == b"text/html" else text


def extract_text(raw: bytes) -> str:
    simple = _simple_text(raw)
    if simple is not None:
        return _strip_quotes(simple)
    # The first text part sits near the top of a multipart message; what follows is
    # mostly attachments, which the parser would otherwise walk line by line.
    msg = message_from_bytes(raw[:MULTIPART_BYTES], policy=compat32)
    plain = html_part = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        if (part.get("Content-Disposition") or "").lower().startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = _part_text(part)
        elif ctype == "text/html" and html_part is None:
            html_part = _part_text(part)
        if plain is not None:
            break
    return _strip_quotes(plain if plain is not None else html_to_text(html_part or ""))


def _strip_quotes(text: str) -> str:
    kept = []
    for line in text[: MAX_TEXT * 2].splitlines():
        if _QUOTE_STARTS.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept)[:MAX_TEXT]
