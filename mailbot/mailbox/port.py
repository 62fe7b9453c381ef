"""The mailbox port: what the engine needs from any mailbox (Maildir, EWS, Graph).

Drafts carry a stable idempotency key (a header for Maildir, an extended property on
Exchange) so that every step can be retried after a crash without doing it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, Protocol

KEY_HEADER = "X-Mailbot-Key"


@dataclass(frozen=True)
class ItemRef:
    """Where one message is: its folder, a key stable across reads, and an adapter locator."""

    folder: str
    key: str
    locator: str


@dataclass
class Changes:
    """New items in a folder since ``state``; ``state`` is what to store once processed."""

    items: Iterable[ItemRef] = field(default_factory=list)  # may be a stream
    state: str | None = None
    complete_listing: bool = False  # True when ``items`` is everything in the folder


class SentLookup(StrEnum):
    SENT = "sent"  # proof found that it left
    ABSENT = "absent"  # proof that it never left: safe to send
    UNKNOWN = "unknown"  # it may have left; never resend automatically


class MailboxError(Exception):
    """A mailbox operation failed; the message says which and why, without content.

    ``not_sent`` is True only when the failure proves nothing left (the relay refused
    the connection or the message); then a retry cannot duplicate anything.
    ``unreachable`` is True when the mailbox itself could not be reached or refused the
    sign-in: not the fault of one message, so the step stops instead of trying (and
    flagging) every case in turn.
    """

    def __init__(self, message: str, not_sent: bool = False, unreachable: bool = False) -> None:
        super().__init__(message)
        self.not_sent = not_sent
        self.unreachable = unreachable


class UnreadableMessage(Exception):
    """The bytes are not a message mailbot can file; the reason goes to quarantine."""


class MailboxPort(Protocol):
    def ensure_folders(self) -> None: ...

    def changes(self, folder: str, state: str | None) -> Changes: ...

    def prefetch(self, refs: list[ItemRef]) -> None:
        """Fetch these items in as few round trips as the store allows (before ``read``)."""
        ...

    def read(self, ref: ItemRef, max_bytes: int | None = None) -> bytes: ...

    def delivered_at(self, ref: ItemRef) -> datetime | None:
        """When the mailbox itself received the item (sent it, in Sent Items), if it
        says: the timeline orders mail by this rather than by the sender's Date."""
        ...

    def withdraw(self, ref: ItemRef, folder: str, note: str) -> ItemRef:
        """Move a draft that will not be sent into ``folder`` with ``note`` at the top of
        its text. Idempotent by the draft's key: a retry never leaves two copies."""
        ...

    def keyed_items(self, folder: str) -> dict[str, ItemRef]: ...

    def save_draft(
        self, folder: str, message: EmailMessage, key: str, retry: bool = False
    ) -> ItemRef:
        """Save a draft carrying ``key``. With ``retry`` (an earlier attempt may have
        saved it before a crash) the key is looked up first, wherever the engineer may
        have put the draft since, and nothing is saved twice; a first attempt skips the
        lookup (the key is new)."""
        ...

    def send(self, ref: ItemRef, key: str) -> None: ...

    def find_sent(self, key: str) -> SentLookup: ...

    def where_to_look(self, key: str) -> str:
        """Where the engineer can check whether an interrupted send left (named in the
        reminder mailbot sends when it cannot tell)."""
        ...

    def deliver_to_inbox(
        self,
        message: EmailMessage,
        key: str,
        retry: bool = False,
        due: datetime | None = None,
    ) -> ItemRef:
        """A reminder in the engineer's Inbox; ``retry`` as for :meth:`save_draft`. With
        ``due`` it is flagged for follow-up (Outlook's To Do list: due that day, a
        reminder at that time; ``\\Flagged`` in a Maildir) unless the config turned
        reminder flags off."""
        ...

    def complete_reminder(self, key: str) -> None:
        """The reminder's purpose is done (the call was logged, the draft went): its
        follow-up flag is marked complete and its reminder cleared. Nothing happens when
        the engineer deleted it or cleared the flag already."""
        ...

    def move(self, ref: ItemRef, folder: str) -> ItemRef: ...

    def delete(self, ref: ItemRef) -> None: ...


class PermissionCheck(Protocol):
    """Optional (remote mailboxes): what ``mailbot check`` asks before anything is sent."""

    def check_permissions(self) -> list[str]:
        """Each right mailbot will use and the mailbox lacks (send, mailbox settings,
        impersonation, folder rights), one line each with the fix; empty when all is
        there."""
        ...


class StateStore(Protocol):
    """Where an adapter keeps what it learned across processes (folder ids, incremental
    states of the approval folders); mailbot/mailbox/state.py keeps it in a file."""

    def get(self, section: str) -> dict[str, Any]: ...

    def put(self, section: str, value: dict[str, Any]) -> None: ...

    def update(
        self, section: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        """Read, change and write one section at once (other processes may write others)."""
        ...
