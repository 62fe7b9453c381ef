"""Get the readable, newly written text out of a message body.

Only customer messages of a case get here. The body is read capped (see
``BODY_BYTES``), parsed with the lenient compat32 parser, and cut at the first line that
starts quoted history, so words the engineer wrote earlier are not taken as the
customer's.
"""

from __future__ import annotations

import html
import re
from email import message_from_bytes
from email.policy import compat32

_QUOTE_STARTS = re.compile(
    r"^(?:>|-{2,}\s*original message|_{5,}|from:\s|von:\s|de\s?:\s|on .{4,200} wrote:|am .{4,200} schrieb|le .{4,200} a écrit|el .{4,200} escribió)",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
MAX_TEXT = 20000


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


def extract_text(raw: bytes) -> str:
    msg = message_from_bytes(raw, policy=compat32)
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
    text = plain if plain is not None else html_to_text(html_part or "")
    kept = []
    for line in text[: MAX_TEXT * 2].splitlines():
        if _QUOTE_STARTS.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept)[:MAX_TEXT]
