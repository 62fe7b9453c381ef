"""Get the readable, newly written text out of a message body.

Only case messages get here. The body is read capped (see ``BODY_BYTES``), parsed with
the lenient compat32 parser, and cut where quoted history starts, so words the engineer
(or anyone earlier in the thread) wrote are not taken as the sender's:

1. our own fast pass cuts at the first quoted line (``>``), a forwarded or "original
   message" separator, or a reply header in a language the reply parser lacks (pt);
2. mail-parser-reply (a maintained, multi-language reply parser) then finds Outlook
   header blocks ("Von: … Gesendet: …", "De : … Envoyé : …") and "On … wrote:" lines.

The reply parser's regular expressions are superlinear on some inputs (long lines, long
runs of blank lines), so it is given a *skeleton* of the text: lines cut to
``PARSE_LINE_CHARS``, blank runs collapsed, at most ``PARSE_LINES`` lines. Its answer (where
the second message starts) is mapped back onto the original lines.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from functools import cache
from urllib.parse import unquote

from mailbot.mailbox.text import html_to_text

__all__ = ["Body", "extract_text", "html_to_text", "new_text", "read_body"]

MAX_TEXT = 20000
MULTIPART_BYTES = 24 * 1024
PARSE_LINE_CHARS = 160  # reply headers are short lines; longer ones are cut for the parser
PARSE_LINES = 400  # the new text sits at the top
# Reply parser languages whose header rules need two header lines ("From:" and "Sent:").
# Polish needs only one ("Do:", "Data:"), so it is used only for mail that says it is Polish.
PARSER_LANGUAGES = ("en", "de", "fr", "es", "it", "nl")

_QUOTE_STARTS = re.compile(
    r"^(?:>"
    r"|-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|message original|"
    r"mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|"
    r"wiadomość oryginalna|forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada|"
    r"przekazana wiadomość)"
    r"|begin forwarded message:|anfang der weitergeleiteten nachricht:|début du message réexpédié"
    r"|_{5,}\s*$"
    r"|em .{4,160} escreveu:\s*$|w dniu .{4,160} (?:pisze|napisał\(a\)|napisał|napisała):\s*$"
    r"|op .{4,160} schreef .{0,120}:\s*$|il giorno .{4,160} ha scritto:\s*$)",
    re.IGNORECASE,
)
# Lines that can be part of a reply header: "Name: value" header lines, "… wrote:" lines and
# separators. Every other line reaches the reply parser as "." (its rules cost time in
# the length of every line they try, and only these lines can match them).
_HEADER_LINE = re.compile(r"^[*\s]*[^\W\d_][\w-]{0,15}(?: [\w-]{1,12})?\s?:|^[-_=]{5,}|^\W*$")
WROTE_CANDIDATES = 20  # "… wrote:" lines passed to the reply parser (each costs in its length)
_WROTE_LINE = re.compile(
    r"(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef|napisał\(a\)|nadesłał|skrev|napsal\(a\))"
    r"[^:]{0,80}:$",
    re.IGNORECASE,
)
_ATTACHMENT_NAME = re.compile(
    rb'\b(?:file)?name(\*\d*\*?)?\s*=\s*(?:"([^"\r\n]{1,300})"|([^\s;"]{1,300}))', re.IGNORECASE
)


_CONTENT_TYPE = re.compile(rb"^content-type:\s*([\w/.+-]+)([^\n]*(?:\n[ \t][^\n]*)*)", re.MULTILINE)
_TRANSFER_ENCODING = re.compile(rb"^content-transfer-encoding:\s*([\w-]+)", re.MULTILINE)
_CHARSET = re.compile(rb'charset="?([\w.:-]+)')


@dataclass(frozen=True)
class Body:
    """What the content filters read of a message body."""

    text: str  # the new text, quoted history removed
    attachment_names: tuple[str, ...] = ()


def _part_text(part) -> str:  # type: ignore[no-untyped-def]
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _simple_text(raw: bytes) -> str | None:
    """A single-part text/plain or text/html message, decoded without the MIME parser."""
    end = raw.find(b"\n\n")
    sep = 2
    if end < 0:
        end, sep = raw.find(b"\r\n\r\n"), 4
    if end < 0:
        return None
    head = raw[:end].lower()
    ctype = _CONTENT_TYPE.search(head)
    kind = ctype.group(1) if ctype else b"text/plain"
    if kind not in (b"text/plain", b"text/html"):
        return None
    cte = _TRANSFER_ENCODING.search(head)
    encoding = cte.group(1) if cte else b"7bit"
    charset_match = _CHARSET.search(ctype.group(2)) if ctype else None
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


_last_parsed: tuple[bytes, Message] | None = None


def _parsed_head(raw: bytes) -> Message:
    """The compat32 parse of the first ``MULTIPART_BYTES`` of ``raw``, kept for the
    message last asked about: the automatic-mail check (:func:`part_types`) and the
    text reader (:func:`_full_text`) both need the parts of the same multipart body,
    and parsing it is most of what either costs. Neither changes the parsed message.
    Only one is kept (the same bytes object, by identity), so a body that
    ``forget_body`` dropped is held at most until the next message is read."""
    global _last_parsed
    last = _last_parsed  # read once: another thread may replace it
    if last is not None and last[0] is raw:
        return last[1]
    msg = message_from_bytes(raw[:MULTIPART_BYTES], policy=compat32)
    _last_parsed = (raw, msg)
    return msg


def _full_text(raw: bytes) -> str:
    """The first readable text of the message, quotes and all."""
    simple = _simple_text(raw)
    if simple is not None:
        return simple
    # The first text part sits near the top of a multipart message; what follows is
    # mostly attachments, which the parser would otherwise walk line by line.
    msg = _parsed_head(raw)
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
    return plain if plain is not None else html_to_text(html_part or "")


def part_types(raw: bytes) -> tuple[str, ...]:
    """The content types of the top-level parts of a multipart message (not of parts
    inside an attached message: a person forwarding a bounce attaches it whole)."""
    end = raw.find(b"\n\n")
    head = raw[: end if end >= 0 else 4096].lower()
    if b"multipart/" not in head:
        return ()
    msg = _parsed_head(raw)
    payload = msg.get_payload()
    if not isinstance(payload, list):
        return ()
    return tuple(part.get_content_type() for part in payload[:20])


def _decode_name(raw: bytes, extended: bool) -> str:
    text = raw.decode("utf-8", "replace")
    if extended and "''" in text:  # RFC 2231: charset'language'percent-encoded
        charset, _, value = text.partition("''")
        try:
            return unquote(value, encoding=charset.split("'")[0] or "utf-8", errors="replace")
        except LookupError:
            return unquote(value)
    if "=?" in text:
        try:
            return str(make_header(decode_header(text)))
        except (ValueError, LookupError, UnicodeError):
            return text
    return text


def _attachment_name_fields(raw: bytes) -> Iterator[re.Match[bytes]]:
    """``_ATTACHMENT_NAME.finditer(raw)``, the pattern tried only where a match can start:
    at each "name" (any case: bytes patterns fold ASCII only, as ``bytes.lower`` does)
    and four bytes before it ("filename"). Tried at every byte of a 60 KB base64
    attachment, the pattern cost more than the rest of reading the message. "name"
    cannot overlap itself, so the candidates come in order, as finditer tries them."""
    lowered = raw.lower()
    end = 0  # where the last match ended: matches do not overlap
    at = lowered.find(b"name")
    while at >= 0:
        for start in (at - 4, at):
            if start >= end and (found := _ATTACHMENT_NAME.match(raw, start)):
                yield found
                end = found.end()
        at = lowered.find(b"name", at + 1)


def attachment_names(raw: bytes) -> tuple[str, ...]:
    """The file names the message's parts declare (``filename=`` / ``name=``), from the
    capped raw bytes: attachment names can carry a secret too (R27)."""
    names: list[str] = []
    for found in _attachment_name_fields(raw):
        value = found.group(2) or found.group(3) or b""
        name = _decode_name(value, bool(found.group(1)))
        if name and name not in names:
            names.append(name)
        if len(names) >= 50:
            break
    return tuple(names)


def _first_pass(lines: list[str]) -> list[str]:
    """Lines up to the first one that starts quoted or forwarded history."""
    for i, line in enumerate(lines):
        if _QUOTE_STARTS.match(line.strip()):
            return lines[:i]
    return lines


def _skeleton(lines: list[str]) -> tuple[str, list[int]]:
    """The text the reply parser sees, and for each of its lines the original line index."""
    kept: list[str] = []
    index: list[int] = []
    wrote = 0
    for i, line in enumerate(lines):
        short = line.strip()[:PARSE_LINE_CHARS]
        if short and not _HEADER_LINE.match(short):
            # a "… wrote:" line ends in its colon (the pattern's "$"), most lines do not
            if wrote < WROTE_CANDIDATES and short[-1] == ":" and _WROTE_LINE.search(short):
                wrote += 1
            else:
                short = "."
        if not short and kept and not kept[-1]:
            continue  # a run of blank lines is one blank line to the parser
        kept.append(short)
        index.append(i)
        if len(kept) >= PARSE_LINES:
            break
    return "\n".join(kept), index


_HEADER_PATTERNS: dict[tuple[str, ...], tuple[list[str], re.Pattern[str]]] = {}


@cache
def _message_class():  # type: ignore[no-untyped-def]
    """The reply parser's message class, told not to look for signatures and
    disclaimers: it runs two more patterns over every reply for them, and only where
    the second reply starts is read here."""
    from mailparser_reply.parser import EmailMessage

    class HeadersOnly(EmailMessage):
        def _process_signatures_disclaimers(self, text: str) -> tuple[list[str], str]:
            return [], ""

    return HeadersOnly


def _reply_parser(languages: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """The reply parser's message class, and its languages and header pattern for
    ``languages``, built once per process (the parser builds its patterns again for
    every message: two thirds of its cost)."""
    from mailparser_reply import EmailReplyParser

    try:
        langs, header = _HEADER_PATTERNS[languages]
    except KeyError:
        langs = EmailReplyParser(languages=list(languages)).languages
        header = _message_class()(text="", languages=list(langs)).HEADER_REGEX
        _HEADER_PATTERNS[languages] = (langs, header)
    return _message_class(), langs, header


_COLON_FREE_HEADER = re.compile("original", re.IGNORECASE)


def _may_hold_reply_header(skeleton: str) -> bool:
    """Whether the reply parser could find a reply header in ``skeleton``: each of its
    header rules ("… wrote:", "From: … Sent: …" in every language) holds a colon,
    except its "-----Original Message-----" separator. Half of all mail has neither,
    and the parser costs more than the rest of reading a message."""
    return ":" in skeleton or _COLON_FREE_HEADER.search(skeleton) is not None


def _reply_parser_cut(lines: list[str], languages: tuple[str, ...]) -> list[str]:
    """Lines before the first reply header the reply parser finds."""
    skeleton, index = _skeleton(lines)
    if not skeleton.strip() or not _may_hold_reply_header(skeleton):
        return lines
    message_class, langs, header = _reply_parser(languages)
    message = message_class(text=skeleton, languages=list(langs))
    message._header_regex = header
    replies = message.read().replies
    if len(replies) < 2 or not replies[1].headers:
        return lines
    first = replies[1].headers.split("\n")[0].strip()
    for pos, line in enumerate(skeleton.split("\n")):
        if first and line.startswith(first[:PARSE_LINE_CHARS]):
            return lines[: index[pos]] if pos < len(index) else lines
    return lines


def new_text(text: str, content_language: str = "") -> str:
    """``text`` without quoted history, at most ``MAX_TEXT`` characters."""
    languages = PARSER_LANGUAGES
    if content_language.strip().lower().startswith("pl"):
        languages = (*PARSER_LANGUAGES, "pl")
    lines = _first_pass(text[: MAX_TEXT * 2].replace("\r\n", "\n").split("\n"))
    lines = _reply_parser_cut(lines, languages)
    return "\n".join(lines).strip()[:MAX_TEXT]


def read_body(raw: bytes, content_language: str = "") -> Body:
    """The new text of a message and the names of its attachments."""
    return Body(new_text(_full_text(raw), content_language), attachment_names(raw))


def extract_text(raw: bytes) -> str:
    """The new text of a message (kept for callers that need only the text)."""
    return new_text(_full_text(raw))
