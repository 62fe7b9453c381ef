"""A message as the filters see it: headers decoded on demand, the body only when a
filter asks for it (most of the cost of email parsing is in bodies nobody reads)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, Generic, TypeVar

from mailbot.domain.timeline import mail_time
from mailbot.mailbox.port import ItemRef, UnreadableMessage

HEAD_BYTES = 16384  # headers beyond this are not ours to read
BODY_BYTES = 64 * 1024  # text worth reading sits at the top; a 30 MB attachment is not read
_MSGID = re.compile(r"<[^<>\s]+>")
_T = TypeVar("_T")


class cached_property(Generic[_T]):  # noqa: N801 - named as the one it stands in for
    """``functools.cached_property`` without the lock Python 3.11 takes on each first
    read (3.12 dropped it): a message asks some fifteen of these once each, and the lock
    was three quarters of that. Computed at most once per message but for a race
    between threads, which would compute the same value twice."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.attrname = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.attrname] = self.func(instance)
        return value


_ADDR = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+$")


def _clean(value: str) -> str:
    """Undo surrogate escapes from raw 8-bit header bytes (UTF-8 as RFC 6532 allows, else
    Windows-1252, what old clients send), and keep it on one line."""
    if value.isascii():  # most header values: the round trip below changes nothing
        return " ".join(value.split())
    data = value.encode("utf-8", "surrogateescape")
    try:
        value = data.decode("utf-8")
    except UnicodeDecodeError:
        value = data.decode("cp1252", "replace")
    return " ".join(value.split())


def _address(raw: str) -> str:
    """A plain addr-spec, lower-cased, or "" for anything that is not one."""
    addr = raw.strip().lower()
    return addr if _ADDR.match(addr) else ""


_ATOM_NAME = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~. -]*"
_QUOTED_NAME = r'"[^"\\\r\n]*"'
_ADDR_SPEC = r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_ITEM = re.compile(
    rf"[ \t]*(?:(?P<name>{_ATOM_NAME}|{_QUOTED_NAME})[ \t]*<(?P<angled>{_ADDR_SPEC})>"
    rf"|(?P<bare>{_ADDR_SPEC}))[ \t]*(?:,|$)"
)


def parse_addresses(values: list[str]) -> list[tuple[str, str]]:
    """``email.utils.getaddresses(values)``, with a fast path for the common shape
    ("Name <a@b>", "\"Name\" <a@b>", "a@b", comma-separated), where its character-by-
    character parser cost a tenth of reading a message. Anything else (comments, groups,
    routes, quoted local parts, odd spacing) goes to the standard parser, so the result
    is the same for every input."""
    joined = ", ".join(values)
    found: list[tuple[str, str]] = []
    pos, end = 0, len(joined)
    while pos < end:
        item = _PLAIN_ITEM.match(joined, pos)
        if item is None or item.end() == pos:
            return getaddresses(values)
        name = item.group("name")
        if name is None:
            found.append(("", item.group("bare")))
        elif name.startswith('"'):
            found.append((name[1:-1], item.group("angled")))
        else:
            found.append((" ".join(name.split()), item.group("angled")))
        pos = item.end()
    return found


# One "Name: value" field with its continuation lines: the name up to the first colon,
# the value without the blanks after the colon, up to its last line's "\n"
_FIELD = re.compile(r"([\041-\071\073-\176]+):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)\n?")
# splitlines() breaks lines at these too, as the feed parser does; "\r" is left to it
_ODD_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def raw_header_items(head: bytes) -> list[tuple[str, str]]:
    """``BytesHeaderParser(policy=compat32).parsebytes(head).raw_items()``, with a fast
    path for a well-formed header block (every line a "Name: value" line or a
    continuation, "\n" line ends): the feed parser cost as much again as the rest of
    reading a message's headers. Anything else (a continuation first, a Unix "From "
    line, a line that is not a header, CR or other line breaks) goes to the parser,
    so the result is the same for every input. One pattern match per field, not a
    Python loop per line: every message is read this way."""
    text = head.decode("ascii", "surrogateescape")
    if any(map(text.__contains__, _ODD_BREAKS)):
        return list(BytesHeaderParser(policy=compat32).parsebytes(head).raw_items())
    items: list[tuple[str, str]] = []
    pos, end = 0, len(text)
    match = _FIELD.match
    while pos < end:
        found = match(text, pos)
        if found is None:
            return list(BytesHeaderParser(policy=compat32).parsebytes(head).raw_items())
        items.append((found.group(1), found.group(2).rstrip("\r\n")))
        pos = found.end()
    return items


def _decode(raw: Any) -> str:
    if raw is None:
        return ""
    text = _clean(str(raw))
    if "=?" not in text:
        return text  # _clean of its own result is that result
    with contextlib.suppress(ValueError, LookupError, UnicodeError):
        text = str(make_header(decode_header(text)))
    return _clean(text)


# Subjects the secret scan found nothing in: the messages of a thread share theirs, and
# each message's subject is scanned (only these are kept, so no secret is held here).
SUBJECTS_REMEMBERED = 4096
SUBJECT_CHARS_REMEMBERED = 1000  # a crafted long subject is scanned each time, not kept
_SUBJECTS_WITHOUT_SECRETS: set[str] = set()


class _HeaderIndex:
    def __init__(self, by_name: dict[str, list[Any]]) -> None:
        self._by_name = by_name

    def get(self, name: str, default: Any = None) -> Any:
        values = self._by_name.get(name.lower())
        return values[0] if values else default


@dataclass
class IncomingMessage:
    """One message under filing, with the facts the filters found."""

    ref: ItemRef
    head: bytes
    load_body: Callable[[], bytes]
    seen_at: datetime  # when mailbot first read it
    delivered_at: datetime | None = None  # when the mailbox received (or sent) it, if known
    facts: dict[str, Any] = field(default_factory=dict)
    case_number: str | None = None
    case_id: int | None = None
    has_support_cc: bool = False
    direction: str | None = None
    automatic: str | None = None

    @classmethod
    def from_head(
        cls,
        ref: ItemRef,
        head: bytes,
        load_body: Callable[[], bytes],
        seen_at: datetime,
        delivered_at: datetime | None = None,
    ) -> IncomingMessage:
        end = head.find(b"\n\n")
        if end < 0:
            end = head.find(b"\r\n\r\n")
        if end < 0 and len(head) >= HEAD_BYTES:
            raise UnreadableMessage(f"no end of headers in the first {HEAD_BYTES} bytes")
        msg = cls(ref, head if end < 0 else head[: end + 1], load_body, seen_at, delivered_at)
        index = msg._by_name
        if not index:
            raise UnreadableMessage("no headers")
        # what compat32's get() would say: its value for an 8-bit header is a Header
        # object, always true, and such a value is never empty
        if not index.get("from", [""])[0] and not index.get("subject", [""])[0]:
            raise UnreadableMessage("neither From nor Subject")
        return msg

    def written_by(self, direction: str) -> bool:
        """Case mail that a person on ``direction``'s side wrote (not automatic mail):
        the only mail whose words the content filters read."""
        return (
            self.direction == direction
            and not self.automatic
            and (self.case_id is not None or bool(self.case_number))
        )

    @cached_property
    def headers(self) -> Message:
        return BytesHeaderParser(policy=compat32).parsebytes(self.head)

    @cached_property
    def _by_name(self) -> dict[str, list[Any]]:
        """The headers by lower-case name: the filters ask for some fifty, and the
        parser's own lookup walks every header each time."""
        index: dict[str, list[Any]] = {}
        # raw_items: compat32's items() wraps 8-bit values in a Header whose str() is
        # mojibake ("NÃ£o Ã© possÃ­vel entregar"); the raw value keeps the bytes.
        for name, value in raw_header_items(self.head):
            index.setdefault(name.lower(), []).append(value)
        return index

    @cached_property
    def raw_headers(self) -> _HeaderIndex:
        """Undecoded header values by name, for "is this header there" questions."""
        return _HeaderIndex(self._by_name)

    @cached_property
    def _decoded(self) -> dict[str, str]:
        return {}

    def header(self, name: str) -> str:
        key = name.lower()
        found = self._decoded.get(key)
        if found is None:
            values = self._by_name.get(key)
            # most of the headers asked for are absent: "" is what _decode(None) says
            found = self._decoded[key] = _decode(values[0]) if values else ""
        return found

    @cached_property
    def _subject_scan(self) -> tuple[str, tuple[str, ...]]:
        from mailbot.ingest.secrets import scan

        subject = self.header("Subject")
        if subject in _SUBJECTS_WITHOUT_SECRETS:
            return subject, ()  # what scan says of a text in which it finds nothing
        found = scan(subject)
        if not found[1] and len(subject) <= SUBJECT_CHARS_REMEMBERED:
            if len(_SUBJECTS_WITHOUT_SECRETS) >= SUBJECTS_REMEMBERED:
                _SUBJECTS_WITHOUT_SECRETS.clear()
            _SUBJECTS_WITHOUT_SECRETS.add(subject)
        return found

    @cached_property
    def subject(self) -> str:
        """The subject with any secret masked (R27): it becomes the case's subject, the
        outbox's and the draft's quoted one, so nothing downstream can store the value."""
        return self._subject_scan[0][:500]

    def _raw(self, name: str) -> list[str]:
        return [_clean(str(v)) for v in self._by_name.get(name.lower(), [])]

    @cached_property
    def sender(self) -> tuple[str, str]:
        """(display name, address) of From. The address is parsed from the raw header and
        only the display name is decoded: an encoded word can never smuggle in an address."""
        pairs = parse_addresses(self._raw("From")[:1])
        name, addr = pairs[0] if pairs else ("", "")
        return _decode(name).strip().strip('"'), _address(addr)

    @cached_property
    def _addresses(self) -> dict[tuple[str, ...], list[tuple[str, str]]]:
        return {}

    def addresses(self, *names: str) -> list[tuple[str, str]]:
        """(display name, address) in the headers ``names``, parsed once per message."""
        found = self._addresses.get(names)
        if found is None:
            values = [v for n in names for v in self._raw(n)]
            found = self._addresses[names] = [
                (_decode(n).strip().strip('"'), a)
                for n, raw in parse_addresses(values)
                if (a := _address(raw))
            ]
        return found

    @cached_property
    def recipients(self) -> list[str]:
        return [a for _, a in self.addresses("To", "Cc")]

    @cached_property
    def message_id(self) -> str | None:
        found = _MSGID.search(self.header("Message-ID"))
        return found.group(0) if found else None

    @cached_property
    def thread_ids(self) -> list[str]:
        """In-Reply-To and References, nearest first."""
        ids = _MSGID.findall(self.header("In-Reply-To"))
        ids += list(reversed(_MSGID.findall(self.header("References"))))
        return list(dict.fromkeys(ids))

    @cached_property
    def references(self) -> list[str]:
        """The References header's Message-IDs, oldest first."""
        return _MSGID.findall(self.header("References"))

    @cached_property
    def date(self) -> datetime | None:
        raw = self.header("Date")
        if not raw:
            return None
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @cached_property
    def when(self) -> datetime:
        """When it happened, for the case timeline (:func:`mailbot.domain.timeline.mail_time`):
        the mailbox's delivery time, else the Date header, never after mailbot saw it."""
        return mail_time(self.date, self.delivered_at, self.seen_at)

    @cached_property
    def raw_body(self) -> bytes:
        """The message's first bytes (capped), read once for all the filters that need
        them; :meth:`forget_body` lets them go once the message is filed."""
        return self.load_body()

    def forget_body(self) -> None:
        self.__dict__.pop("raw_body", None)

    @cached_property
    def _reading(self) -> tuple[str, tuple[str, ...]]:
        """The new text with secrets masked, and the kinds of secret found in the subject,
        the new text and the attachment names (R27): read once, masked before any filter
        sees a word, so no fact, excerpt or log line can carry a value."""
        from mailbot.ingest.body import read_body
        from mailbot.ingest.secrets import scan

        body = read_body(self.raw_body, self.header("Content-Language"))
        text, kinds = scan(body.text)
        found = list(self._subject_scan[1]) + list(kinds)
        for name in body.attachment_names:
            found += scan(name)[1]
        return text, tuple(dict.fromkeys(found))

    @property
    def body(self) -> str:
        """The new text of the message: plain text preferred, quoted history removed,
        secrets masked."""
        return self._reading[0]

    @property
    def secret_kinds(self) -> tuple[str, ...]:
        """The kinds of secret the message carries (subject, new text, attachment names)."""
        return self._reading[1]
