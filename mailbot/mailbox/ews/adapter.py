"""The EWS mailbox adapter: the same port as the Maildir and Graph ones, with exchangelib.

- Sync: SyncFolderItems per watched folder (ids only, up to 512 changes a page), the
  sync state stored in our database once the whole folder has been read (exchangelib
  hands out the new state only then). A state Exchange refuses restarts the folder from
  scratch; ingest keys are item ids, so nothing is filed twice. New items are then read
  with GetItem, 100 a request, with only the fields mailbot reads (internet headers,
  text body, categories, our key), rendered as RFC 5322 text for the filter chain.
  Attachments and MIME content are never downloaded.
- Drafts: created straight into the approval folder from the composed MIME (HTML body,
  In-Reply-To/References of the customer's last message, so Outlook threads it), with
  the ``Mailbot`` category and the outbox key as a named property in the same request.
  Reminders are created in the Inbox the same way, marked as ordinary messages.
- Sending: SendItem on the engineer's edited draft, with a copy to Sent Items. After a
  crash, the key is looked up in Sent Items (sent) and in Approved (provably not sent);
  anything else is never resent blindly.
- EWS item ids change when an item moves, so every id comes from a fresh listing.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, formataddr
from typing import Any

import structlog
from exchangelib import Account, Folder, HTMLBody, Message, Q
from exchangelib.errors import (
    ErrorInvalidSyncStateData,
    ErrorItemNotFound,
    ErrorSyncFolderNotFound,
)
from exchangelib.folders import SHALLOW, FolderCollection
from exchangelib.items import Item
from exchangelib.version import EXCHANGE_2013

from mailbot.mailbox.ews.calls import Caller
from mailbot.mailbox.port import Changes, ItemRef, MailboxError, SentLookup
from mailbot.mailbox.rfc822 import assemble, header_lines, with_note
from mailbot.mailbox.text import html_to_text

log = structlog.get_logger("mailbot.ews")
CATEGORY = "Mailbot"
WELL_KNOWN = {
    "inbox": "inbox",
    "sent items": "sent",
    "sentitems": "sent",
    "sent": "sent",
    "drafts": "drafts",
    "deleted items": "trash",
}
SYNC_PAGE = 512  # the most SyncFolderItems returns in one call
FETCH_FIELDS = (
    "subject",
    "author",
    "to_recipients",
    "cc_recipients",
    "message_id",
    "in_reply_to",
    "references",
    "datetime_sent",
    "datetime_received",
    "categories",
    "headers",
    "is_draft",
    "mailbot_key",
)
BAD_STATE = (ErrorInvalidSyncStateData, ErrorSyncFolderNotFound)


def item_key(item_id: str) -> str:
    """The ingest key of an item: its id, or a digest when an id is too long to index."""
    return (
        item_id if len(item_id) <= 250 else "sha256:" + hashlib.sha256(item_id.encode()).hexdigest()
    )


def _person(mailbox: Any) -> str:
    if mailbox is None:
        return ""
    return formataddr((mailbox.name or "", mailbox.email_address or ""))


def render_rfc822(item: Item) -> bytes:
    """An EWS message as RFC 5322 text: its internet headers when Exchange kept them
    (received mail), else headers rebuilt from the fields (drafts, Sent Items copies);
    categories become a Keywords header so Outlook categories reach the signal filter."""

    def field(name: str) -> Any:  # meeting requests and reports lack some message fields
        return getattr(item, name, None)

    lines: list[str] = []
    if field("headers"):
        lines += header_lines((h.name, h.value) for h in item.headers)
    else:
        lines.append(f"From: {_person(field('author'))}")
        for people, name in ((field("to_recipients"), "To"), (field("cc_recipients"), "Cc")):
            if people:
                lines.append(f"{name}: {', '.join(_person(p) for p in people)}")
        lines.append(f"Subject: {' '.join((field('subject') or '').split())}")
        when = field("datetime_sent") or field("datetime_received")
        if when:
            lines.append(f"Date: {format_datetime(when)}")
        for value, name in (
            (field("message_id"), "Message-ID"),
            (field("in_reply_to"), "In-Reply-To"),
            (field("references"), "References"),
        ):
            if value:
                lines.append(f"{name}: {' '.join(value.split())}")
    text = field("text_body")
    body = field("body")  # asked for instead of TextBody on Exchange 2010
    if text is None and body is not None:
        text = html_to_text(str(body)) if isinstance(body, HTMLBody) else str(body)
    return assemble(lines, field("mailbot_key"), field("categories") or [], text or "")


class EwsMailbox:
    def __init__(
        self,
        account: Account,
        inbox: str,
        sent: str,
        awaiting: str,
        approved: str,
        rejected: str,
        caller: Caller | None = None,
        not_sent: str = "Mailbot/Not sent",
    ) -> None:
        self.account = account
        self.inbox, self.sent = inbox, sent
        self.awaiting, self.approved, self.rejected = awaiting, approved, rejected
        self.not_sent = not_sent
        self.call = caller or Caller()
        self.folders: dict[str, Folder] = {}
        self._fetched: dict[str, bytes] = {}
        self._delivered: dict[str, datetime] = {}
        self._fields = FETCH_FIELDS
        self._text_body: bool | None = None

    # -- folders ------------------------------------------------------------------------
    def folder(self, name: str) -> Folder:
        if name not in self.folders:
            self.folders[name] = self._resolve(name)
        return self.folders[name]

    def ensure_folders(self) -> None:
        for name in (
            self.inbox,
            self.sent,
            self.awaiting,
            self.approved,
            self.rejected,
            self.not_sent,
        ):
            self.folder(name)

    def _resolve(self, name: str) -> Folder:
        parts = [p for p in name.split("/") if p]
        first = WELL_KNOWN.get(parts[0].lower())
        if first:
            parent = self.call(f"open {parts[0]}", lambda: getattr(self.account, first))
            parts = parts[1:]
        else:
            parent = self.call("open the mailbox root", lambda: self.account.msg_folder_root)
        for part in parts:
            parent = self._child(parent, part)
        return parent

    def _child(self, parent: Folder, name: str) -> Folder:
        def find() -> list:
            return list(
                FolderCollection(account=self.account, folders=[parent]).find_folders(
                    q=Q(name=name), depth=SHALLOW
                )
            )

        found = [f for f in self.call(f"find folder {name!r}", find) if isinstance(f, Folder)]
        if found:
            return found[0]
        log.info("creating mail folder", folder=name)
        folder = Folder(parent=parent, name=name, folder_class="IPF.Note")
        self.call(f"create folder {name!r}", folder.save)
        return folder

    # -- sync -----------------------------------------------------------------------------
    def changes(self, folder: str, state: str | None) -> Changes:
        try:
            return self.call(f"sync {folder!r}", lambda: self._sync(folder, state))
        except BAD_STATE:
            if state is None:
                raise MailboxError(f"sync of {folder!r} refused by Exchange") from None
            log.warning("sync state refused by Exchange; resyncing the folder", folder=folder)
            return self.call(f"resync {folder!r}", lambda: self._sync(folder, None))

    def _sync(self, name: str, state: str | None) -> Changes:
        folder = self.folder(name)
        folder.item_sync_state = state  # exchangelib otherwise reuses the state it holds
        refs: dict[str, ItemRef] = {}
        for change, item in folder.sync_items(
            sync_state=state, only_fields=["id"], max_changes_returned=SYNC_PAGE
        ):
            if change in ("create", "update") and getattr(item, "id", None):
                key = item_key(item.id)
                refs[key] = ItemRef(name, key, item.id)
        return Changes(
            items=list(refs.values()),
            state=folder.item_sync_state,
            complete_listing=state is None,
        )

    def prefetch(self, refs: list[ItemRef]) -> None:
        """Read a batch's messages with GetItem, 100 ids a request."""
        self._fetched.clear()
        self._delivered.clear()
        folder_of = {r.locator: r.folder for r in refs}
        wanted = list(folder_of)
        if not wanted:
            return
        items = self.call("read new mail", lambda: self._get(wanted))
        for item_id, item in zip(wanted, items, strict=True):
            if isinstance(item, Item):
                self._keep(item_id, folder_of[item_id], item)

    def _keep(self, item_id: str, folder: str, item: Item) -> bytes:
        data = self._fetched[item_id] = render_rfc822(item)
        sent = getattr(item, "datetime_sent", None)
        received = getattr(item, "datetime_received", None)
        when = (sent if folder == self.sent else received) or received or sent
        if when is not None:  # an EWSDateTime: kept as a plain aware datetime
            self._delivered[item_id] = datetime.fromtimestamp(when.timestamp(), UTC)
        return data

    def delivered_at(self, ref: ItemRef) -> datetime | None:
        """Exchange's DateTimeReceived (DateTimeSent in Sent Items) from the fetch."""
        return self._delivered.get(ref.locator)

    def _get(self, ids: list[str]) -> list:
        fields = list(self._fields)
        if self._text_body is None:
            self._text_body = self.account.version.build >= EXCHANGE_2013
        fields.append("text_body" if self._text_body else "body")
        return list(self.account.fetch([(i, None) for i in ids], only_fields=fields))

    def read(self, ref: ItemRef, max_bytes: int | None = None) -> bytes:
        data = self._fetched.get(ref.locator)
        if data is None:
            (item,) = self.call("read a message", lambda: self._get([ref.locator]))
            if isinstance(item, ErrorItemNotFound):
                from mailbot.mailbox.port import UnreadableMessage

                raise UnreadableMessage("deleted from the mailbox before it could be read")
            if not isinstance(item, Item):
                from mailbot.mailbox.port import UnreadableMessage

                raise UnreadableMessage(f"Exchange could not return it: {type(item).__name__}")
            data = self._keep(ref.locator, ref.folder, item)
        return data if max_bytes is None else data[:max_bytes]

    # -- keys -----------------------------------------------------------------------------
    def keyed_items(self, folder: str) -> dict[str, ItemRef]:
        def listing() -> dict[str, ItemRef]:
            found = {}
            for item in self.folder(folder).all().only("id", "changekey", "mailbot_key"):
                key = getattr(item, "mailbot_key", None)
                if key:
                    found[key] = ItemRef(folder, item_key(item.id), item.id)
            return found

        return self.call(f"list {folder!r}", listing)

    def _find_by_key(self, key: str, folders: list[str]) -> tuple[str, str] | None:
        """(folder name, item id) of the item carrying ``key`` in any of ``folders``."""

        def find() -> list:
            by_id = {self.folder(n).id: n for n in folders}
            collection = FolderCollection(
                account=self.account, folders=[self.folder(n) for n in folders]
            )
            return [
                (by_id.get(getattr(i.parent_folder_id, "id", None), folders[0]), i.id)
                for i in collection.filter(mailbot_key=key).only("id", "parent_folder_id")
            ]

        hits = self.call("look up a mailbot key", find)
        return hits[0] if hits else None

    # -- writing --------------------------------------------------------------------------
    def _create(self, folder: str, message: EmailMessage, key: str, draft: bool) -> ItemRef:
        item = Message(
            account=self.account,
            folder=self.folder(folder),
            mime_content=message.as_bytes(),
            categories=[CATEGORY],
            is_read=not draft,
        )
        item.mailbot_key = key
        if not draft:
            item.mailbot_flags = 1  # read, not unsent: an ordinary message in the Inbox
        self.call(f"create an item in {folder!r}", lambda: item.save())
        return ItemRef(folder, item_key(item.id), item.id)

    def save_draft(
        self, folder: str, message: EmailMessage, key: str, retry: bool = False
    ) -> ItemRef:
        if not retry:
            return self._create(folder, message, key, draft=True)
        places = list(
            dict.fromkeys(
                [
                    folder,
                    self.awaiting,
                    self.approved,
                    self.rejected,
                    self.not_sent,
                    self.sent,
                    "Deleted Items",
                ]
            )
        )
        existing = self._find_by_key(key, places)
        if existing:  # a retry after a crash: never a second draft
            name, item_id = existing
            return ItemRef(name, item_key(item_id), item_id)
        return self._create(folder, message, key, draft=True)

    def deliver_to_inbox(self, message: EmailMessage, key: str, retry: bool = False) -> ItemRef:
        existing = self._find_by_key(key, [self.inbox]) if retry else None
        if existing:
            return ItemRef(self.inbox, item_key(existing[1]), existing[1])
        return self._create(self.inbox, message, key, draft=False)

    def withdraw(self, ref: ItemRef, folder: str, note: str) -> ItemRef:
        """A copy of the draft with ``note`` at its top, created in ``folder`` from its
        MIME with the same key, then the original deleted. A retry after a crash between
        the two finds the copy by key and only deletes the original."""
        done = self._find_by_key_in(folder, ref)
        if done is None:

            def mime() -> tuple[bytes, str | None]:
                (item,) = list(
                    self.account.fetch(
                        [(ref.locator, None)], only_fields=["mime_content", "mailbot_key"]
                    )
                )
                if not isinstance(item, Item):
                    raise ErrorItemNotFound("the draft is gone")
                return item.mime_content, getattr(item, "mailbot_key", None)

            try:
                data, key = self.call("read a draft", mime)
            except ErrorItemNotFound:
                raise MailboxError("the draft to take out is gone from the mailbox") from None
            message = message_from_bytes(with_note(data, note), policy=default)
            done = self._create(folder, message, key or "", draft=True)
        self.delete(ref)
        return done

    def _find_by_key_in(self, folder: str, ref: ItemRef) -> ItemRef | None:
        def key_of() -> str | None:
            (item,) = list(self.account.fetch([(ref.locator, None)], only_fields=["mailbot_key"]))
            return getattr(item, "mailbot_key", None) if isinstance(item, Item) else None

        key = self.call("read a draft's key", key_of)
        hit = self._find_by_key(key, [folder]) if key else None
        return ItemRef(folder, item_key(hit[1]), hit[1]) if hit else None

    def move(self, ref: ItemRef, folder: str) -> ItemRef:
        target = self.folder(folder)

        def move() -> str:
            item = Message(account=self.account, id=ref.locator, changekey=None)
            item.move(to_folder=target)
            return item.id

        new_id = self.call(f"move to {folder!r}", move)
        return ItemRef(folder, item_key(new_id), new_id)

    def delete(self, ref: ItemRef) -> None:
        def delete() -> None:
            with contextlib.suppress(ErrorItemNotFound):
                Message(account=self.account, id=ref.locator, changekey=None).move_to_trash()

        self.call("delete an item", delete)

    def send(self, ref: ItemRef, key: str) -> None:
        sent = self.folder(self.sent)

        def send() -> None:
            item = Message(account=self.account, id=ref.locator, changekey=None)
            item.send(save_copy=True, copy_to_folder=sent)

        try:
            self.call("send the approved draft", send, sends=True)
        except ErrorItemNotFound:
            raise MailboxError(
                "the approved draft is gone from the mailbox", not_sent=True
            ) from None

    def where_to_look(self, key: str) -> str:
        """Where the engineer can see whether an interrupted send left."""
        return "the Outbox and Sent Items folders in Outlook (a message still in the Outbox has not left yet)"

    def find_sent(self, key: str) -> SentLookup:
        if self._find_by_key(key, [self.sent]):
            return SentLookup.SENT
        if self._find_by_key(key, [self.approved]):
            return SentLookup.ABSENT  # still waiting in Approved: it never left
        return SentLookup.UNKNOWN  # submitted and in transit, or deleted: never resend blindly


def open_ews(settings) -> EwsMailbox:  # type: ignore[no-untyped-def]
    from mailbot.mailbox.ews.connect import open_account

    f = settings.mailbox.folders
    return EwsMailbox(
        open_account(settings.mailbox.ews),
        f.inbox,
        f.sent,
        f.awaiting_approval,
        f.approved,
        f.rejected,
        not_sent=f.not_sent,
    )
