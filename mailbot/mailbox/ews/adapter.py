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
import time
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, formataddr
from typing import Any

import structlog
from exchangelib import Account, EWSDateTime, Folder, HTMLBody, Message, Q
from exchangelib.errors import (
    ErrorFolderNotFound,
    ErrorInvalidSyncStateData,
    ErrorItemNotFound,
    ErrorSyncFolderNotFound,
)
from exchangelib.fields import FieldPath
from exchangelib.folders import SHALLOW, FolderCollection, Root
from exchangelib.items import Item
from exchangelib.services import CreateFolder
from exchangelib.version import EXCHANGE_2013

from mailbot.mailbox.ews.calls import Caller
from mailbot.mailbox.ews.connect import FollowupFlag
from mailbot.mailbox.port import Changes, ItemRef, MailboxError, SentLookup, StateStore
from mailbot.mailbox.rfc822 import assemble, header_lines, with_note
from mailbot.mailbox.state import KeyIndex, MemoryState, RecentListings, find_again
from mailbot.mailbox.text import body_text

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
BAD_STATE = (ErrorInvalidSyncStateData, ErrorSyncFolderNotFound, ErrorFolderNotFound)
VERIFY_EVERY = 900.0  # seconds: folder ids are checked again before a write after this


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
        text = body_text(str(body)) if isinstance(body, HTMLBody) else str(body)
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
        state: StateStore | None = None,
        flag_reminders: bool = True,
        tokens: Any = None,
        access: str = "delegate",
    ) -> None:
        self.account = account
        self.inbox, self.sent = inbox, sent
        self.awaiting, self.approved, self.rejected = awaiting, approved, rejected
        self.not_sent = not_sent
        self.call = caller or Caller()
        self.state: StateStore = state or MemoryState()
        self.flag_reminders = flag_reminders
        self.tokens = tokens  # msal tokens for OAuth (their claims name the permissions)
        self.access = access
        self.folders: dict[str, Folder] = {}
        self.paths: dict[str, list[str]] = {}  # folder name -> the id of each part of its path
        self._root: Root | None = None
        self._verified_at: float | None = None
        self._own: set[str] = set()  # item ids this process moved, sent or deleted
        self._listings = RecentListings(awaiting)
        self._fetched: dict[str, bytes] = {}
        self._delivered: dict[str, datetime] = {}
        self._fields = FETCH_FIELDS
        self._text_body: bool | None = None

    # -- folders ------------------------------------------------------------------------
    # Folder ids live in the state file, so a new process (a cron tick) builds its folder
    # objects from them without a request. They are checked (one GetFolder) before this
    # process first writes, before a write when the last check is older than
    # VERIFY_EVERY, when an approval folder loses items mailbot did not move, when a
    # folder is not found, and by `mailbot check`; a folder renamed, moved (to Deleted
    # Items, say) or deleted is then looked up again by its name, or created, and that is
    # logged.
    def _names(self) -> list[str]:
        return list(
            dict.fromkeys(
                [
                    self.inbox,
                    self.sent,
                    self.awaiting,
                    self.approved,
                    self.rejected,
                    self.not_sent,
                    "Deleted Items",
                ]
            )
        )

    @property
    def root(self) -> Root:
        """The hierarchy's root object, without asking Exchange for it (exchangelib's
        ``account.root`` is a GetFolder)."""
        if self._root is None:
            self._root = Root(account=self.account)
        return self._root

    def folder(self, name: str) -> Folder:
        if name not in self.folders:
            if name not in self.paths:
                self._discover([name])
            self.folders[name] = self._by_id(self.paths[name][-1])
        return self.folders[name]

    def _by_id(self, folder_id: str) -> Folder:
        return Folder(root=self.root, id=folder_id, changekey=None)

    def ensure_folders(self) -> None:
        stored = self.state.get("folders")
        self.paths = {n: p for n, p in (stored.get("paths") or {}).items() if p}
        self.folders = {}
        missing = [n for n in self._names() if n not in self.paths]
        if missing:
            self._discover(missing)

    def _discover(self, names: list[str]) -> None:
        stored = self.state.get("folders")
        root_id = stored.get("root")
        for name in names:
            parts = [p for p in name.split("/") if p]
            first = WELL_KNOWN.get(parts[0].lower())
            if first:
                parent = self.call(f"open {parts[0]}", lambda f=first: getattr(self.account, f))
                parts = parts[1:]
            else:
                parent = self.call("open the mailbox root", lambda: self.account.msg_folder_root)
                root_id = parent.id
            path = [parent.id] if first else []
            for part in parts:
                parent = self._child(parent, part)
                path.append(parent.id)
            self.paths[name] = path
            self.folders.pop(name, None)
        if root_id is None and any(not WELL_KNOWN.get(n.split("/")[0].lower()) for n in self.paths):
            root_id = self.call("open the mailbox root", lambda: self.account.msg_folder_root).id
        self.state.update(
            "folders", lambda old: {**old, "paths": dict(self.paths), "root": root_id}
        )

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

        def create() -> Folder:
            # The CreateFolder service itself: Folder.save() looks the parent up in
            # exchangelib's cache of the whole hierarchy, which would cost a deep FindFolder
            new = Folder(root=self.root, name=name, folder_class="IPF.Note")
            (made,) = CreateFolder(account=self.account).call(parent_folder=parent, folders=[new])
            if isinstance(made, Exception):
                raise made
            return made

        return self.call(f"create folder {name!r}", create)

    def _get_folders(self, ids: list[str], rights: bool = False) -> dict[str, Any]:
        """One GetFolder for ``ids``: folder id -> the folder (name, parent, rights), or
        absent when Exchange no longer has it."""
        fields = {FieldPath(field=Folder.get_field_by_fieldname("parent_folder_id"))}
        if rights:
            fields.add(FieldPath(field=Folder.get_field_by_fieldname("effective_rights")))

        def get() -> list:
            collection = FolderCollection(
                account=self.account, folders=[self._by_id(i) for i in ids]
            )
            return list(collection.get_folders(additional_fields=fields))

        answers = self.call("check the mail folders", get)
        return {i: f for i, f in zip(ids, answers, strict=True) if isinstance(f, Folder)}

    def verify_folders(self, rights: bool = False) -> dict[str, Any]:
        """Check every stored folder id in one GetFolder; a folder renamed, moved or
        deleted is looked up again by its name, or created. Returns the folders seen."""
        if not self.paths:
            self.ensure_folders()
        root_id = self.state.get("folders").get("root")
        ids = list(dict.fromkeys(i for p in self.paths.values() for i in p))
        seen = self._get_folders(ids, rights)
        moved = find_again(
            self.paths, self._seen(seen), root_id, self._well_known, self._discover, log
        )
        if moved:
            seen.update(self._get_folders([self.paths[n][-1] for n in moved], rights))
        self._verified_at = time.monotonic()
        return {name: seen.get(path[-1]) for name, path in self.paths.items()}

    @staticmethod
    def _well_known(name: str) -> bool:
        return bool(WELL_KNOWN.get(name.split("/")[0].lower()))

    @staticmethod
    def _seen(folders: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
        return {
            i: (f.name, getattr(getattr(f, "parent_folder_id", None), "id", None))
            for i, f in folders.items()
        }

    def _before_write(self) -> None:
        self._listings.wrote()
        if self._verified_at is None or time.monotonic() - self._verified_at > VERIFY_EVERY:
            self.verify_folders()

    # -- sync -----------------------------------------------------------------------------
    # The state handed to the engine is "<folder id>|<SyncState>", so a state from a
    # folder that has since been found again (a new id) is not replayed against it.
    def changes(self, folder: str, state: str | None) -> Changes:
        fid = self.folder(folder).id
        if state and "|" in state:
            owner, _, state = state.partition("|")
            if owner != fid:
                log.warning(
                    "folder found again since the last sync; reading it afresh", folder=folder
                )
                state = None
        try:
            found = self.call(f"sync {folder!r}", lambda: self._sync(folder, state))
        except BAD_STATE:
            if state is None:
                if self._gone(folder):
                    return self.changes(folder, None)
                raise MailboxError(f"sync of {folder!r} refused by Exchange") from None
            log.warning("sync state refused by Exchange; resyncing the folder", folder=folder)
            if self._gone(folder):
                return self.changes(folder, None)
            found = self.call(f"resync {folder!r}", lambda: self._sync(folder, None))
        found.state = f"{self.folder(folder).id}|{found.state}" if found.state else None
        return found

    def _gone(self, folder: str) -> bool:
        """After ErrorSyncFolderNotFound and the like: was the folder itself deleted (then
        it is found again by name, and True)?"""
        old = self.paths.get(folder, [None])[-1]
        self.verify_folders()
        return self.paths.get(folder, [None])[-1] != old

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
        return self._fetch(ids, fields)

    def _fetch(self, ids: list[str], fields: list[str]) -> list:
        """GetItem; the field check runs against a folder of our request-free root
        (exchangelib's default, ``account.root``, costs a GetFolder per process)."""
        return list(
            self.account.fetch(
                [(i, None) for i in ids], folder=Folder(root=self.root), only_fields=fields
            )
        )

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
        """mailbot's items in ``folder`` by key, followed incrementally: one
        SyncFolderItems from the stored state (ids and our key only), applied to the
        index kept with it in the state file. EWS ids change on a move, and the sync
        hands out the new ids with the creation in the new folder. Items that left
        without mailbot moving them (the engineer's verdict, or a deleted folder) trigger
        a check of the folder ids."""
        still = self._listings.still(folder)
        if still is not None:
            return dict(still)
        section = f"index:{folder}"
        index = KeyIndex.load(self.state.get(section), self.folder(folder).id)

        def sync(state: str | None) -> tuple[dict[str, str | None], list[str], str | None]:
            target = self.folder(folder)
            target.item_sync_state = state
            present: dict[str, str | None] = {}
            removed: list[str] = []
            for change, item in target.sync_items(
                sync_state=state, only_fields=["mailbot_key"], max_changes_returned=SYNC_PAGE
            ):
                if change == "delete":
                    removed.append(item.id)
                    present.pop(item.id, None)
                elif change in ("create", "update") and getattr(item, "id", None):
                    present[item.id] = getattr(item, "mailbot_key", None)
            # An item without our key may be one whose properties the sync did not carry:
            # its key is asked for with GetItem (100 a request) rather than taken as absent.
            unkeyed = [i for i, k in present.items() if k is None]
            for start in range(0, len(unkeyed), 100):
                chunk = unkeyed[start : start + 100]
                for item_id, got in zip(chunk, self._fetch(chunk, ["mailbot_key"]), strict=True):
                    if isinstance(got, Item):
                        present[item_id] = getattr(got, "mailbot_key", None)
            return present, removed, target.item_sync_state

        try:
            present, removed, new_state = self.call(f"follow {folder!r}", lambda: sync(index.state))
        except BAD_STATE:
            log.warning("approval folder followed afresh", folder=folder)
            self._gone(folder)
            index = KeyIndex(self.folder(folder).id, None, {})
            present, removed, new_state = self.call(f"follow {folder!r}", lambda: sync(None))
        lost, foreign = index.advance(present, removed, new_state, self._own)
        self.state.put(section, index.dump())
        if foreign:
            before = {n: p[-1] for n, p in self.paths.items()}
            self.verify_folders()
            moved = [n for n, p in self.paths.items() if before.get(n) != p[-1]]
            if folder in moved:
                return self.keyed_items(folder)
        refs = {key: ItemRef(folder, item_key(i), i) for i, key in index.items.items()}
        self._listings.seen(folder, lost, refs)
        return dict(refs)

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
    def _create(
        self,
        folder: str,
        message: EmailMessage,
        key: str,
        draft: bool,
        due: datetime | None = None,
    ) -> ItemRef:
        self._before_write()
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
        if due is not None and self.flag_reminders:
            self._flag(item, due)
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

    def deliver_to_inbox(
        self,
        message: EmailMessage,
        key: str,
        retry: bool = False,
        due: datetime | None = None,
    ) -> ItemRef:
        existing = self._find_by_key(key, [self.inbox]) if retry else None
        if existing:
            return ItemRef(self.inbox, item_key(existing[1]), existing[1])
        return self._create(self.inbox, message, key, draft=False, due=due)

    def _modern(self) -> bool:
        return self.account.version.build >= EXCHANGE_2013

    def _flag(self, item: Message, due: datetime) -> None:
        """Outlook's follow-up flag (To Do list, task bar): due that day, a reminder at
        that time. EWS's Flag element from Exchange 2013; on 2010 the flag's MAPI
        property PidTagFlagStatus, with the item's reminder fields on both."""
        when = EWSDateTime.from_datetime(due.astimezone(UTC))
        if self._modern():
            item.followup_flag = FollowupFlag(flag_status="Flagged", start_date=when, due_date=when)
        else:
            item.mailbot_flag_status = 2  # followupFlagged
        item.reminder_is_set = True
        item.reminder_due_by = when

    def complete_reminder(self, key: str) -> None:
        """Mark the reminder's flag complete and its reminder off (UpdateItem), while it
        is in the Inbox and flagged; nothing when it is gone or the flag was cleared."""
        flag_field = "followup_flag" if self._modern() else "mailbot_flag_status"

        def find() -> list:
            return list(
                self.folder(self.inbox)
                .filter(mailbot_key=key)
                .only("id", "changekey", flag_field, "reminder_is_set")
            )

        for item in self.call("look up a reminder", find):
            flag = getattr(item, flag_field, None)
            status = flag.flag_status if isinstance(flag, FollowupFlag) else flag
            if status not in ("Flagged", 2):
                continue
            now = EWSDateTime.from_datetime(datetime.now(UTC))
            if self._modern():
                item.followup_flag = FollowupFlag(
                    flag_status="Complete",
                    start_date=flag.start_date,
                    due_date=flag.due_date,
                    complete_date=now,
                )
            else:
                item.mailbot_flag_status = 1  # followupComplete
            item.reminder_is_set = False
            self.call(
                "complete a reminder",
                lambda it=item: it.save(update_fields=[flag_field, "reminder_is_set"]),
            )

    def withdraw(self, ref: ItemRef, folder: str, note: str) -> ItemRef:
        """A copy of the draft with ``note`` at its top, created in ``folder`` from its
        MIME with the same key, then the original deleted. A retry after a crash between
        the two finds the copy by key and only deletes the original."""
        done = self._find_by_key_in(folder, ref)
        if done is None:

            def mime() -> tuple[bytes, str | None]:
                (item,) = self._fetch([ref.locator], ["mime_content", "mailbot_key"])
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
            (item,) = self._fetch([ref.locator], ["mailbot_key"])
            return getattr(item, "mailbot_key", None) if isinstance(item, Item) else None

        key = self.call("read a draft's key", key_of)
        hit = self._find_by_key(key, [folder]) if key else None
        return ItemRef(folder, item_key(hit[1]), hit[1]) if hit else None

    def move(self, ref: ItemRef, folder: str) -> ItemRef:
        self._before_write()
        self._own.add(ref.locator)
        target = self.folder(folder)

        def move() -> str:
            item = Message(account=self.account, id=ref.locator, changekey=None)
            item.move(to_folder=target)
            return item.id

        new_id = self.call(f"move to {folder!r}", move)
        return ItemRef(folder, item_key(new_id), new_id)

    def delete(self, ref: ItemRef) -> None:
        self._own.add(ref.locator)
        self._listings.wrote()

        def delete() -> None:
            with contextlib.suppress(ErrorItemNotFound):
                Message(account=self.account, id=ref.locator, changekey=None).move_to_trash()

        self.call("delete an item", delete)

    def send(self, ref: ItemRef, key: str) -> None:
        self._own.add(ref.locator)
        self._listings.wrote()
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

    # -- permissions ------------------------------------------------------------------------
    def check_permissions(self) -> list[str]:
        """What `mailbot check` asks before anything is sent. OAuth: the permission in a
        freshly fetched token (full_access_as_app for app-only, EWS.AccessAsUser.All
        delegated). Then every folder mailbot uses, with its EffectiveRights in one
        GetFolder: the impersonation or delegate rights the account really has there."""
        problems = []
        if self.tokens is not None:
            app_only = not hasattr(self.tokens, "login")
            granted = self.tokens.permissions(fresh=True)
            perm = "full_access_as_app" if app_only else "EWS.AccessAsUser.All"
            if granted and perm not in granted:
                kind = "application" if app_only else "delegated"
                problems.append(
                    f"permission missing: {perm} (the {kind} permission of Office 365 Exchange "
                    "Online that EWS needs): add it to the app registration and grant admin consent"
                )
        for name, folder in self.verify_folders(rights=True).items():
            rights = getattr(folder, "effective_rights", None)
            if rights is None:
                continue
            lacking = [r for r in RIGHTS_NEEDED.get(self._role(name), ()) if not getattr(rights, r)]
            if lacking:
                problems.append(
                    f"permission missing on {name!r}: {', '.join(lacking)} - "
                    + (
                        "give the service account ApplicationImpersonation for this mailbox"
                        if self.access == "impersonation"
                        else "give the account full access to the mailbox (Add-MailboxPermission "
                        "-AccessRights FullAccess), or at least editor rights on this folder"
                    )
                )
        return problems

    def _role(self, name: str) -> str:
        if name in (self.inbox, self.sent):
            return "watched"
        return "trash" if name == "Deleted Items" else "mailbot"


# What mailbot does in each folder: read and file (Inbox also receives the reminders),
# create, edit the note in and move drafts (its own folders), look up keys (Deleted Items).
RIGHTS_NEEDED = {
    "watched": ("read", "create_contents"),
    "mailbot": ("read", "create_contents", "modify", "delete"),
    "trash": ("read",),
}


def open_ews(settings) -> EwsMailbox:  # type: ignore[no-untyped-def]
    from mailbot.mailbox.ews.connect import open_account
    from mailbot.mailbox.state import StateFile

    f = settings.mailbox.folders
    e = settings.mailbox.ews
    account = open_account(e)
    where = e.service_endpoint or "autodiscover"
    return EwsMailbox(
        account,
        f.inbox,
        f.sent,
        f.awaiting_approval,
        f.approved,
        f.rejected,
        not_sent=f.not_sent,
        state=StateFile(settings.data_dir / "ews-state.json", f"ews {e.email} {where}"),
        flag_reminders=settings.mailbox.flag_reminders,
        tokens=getattr(account.protocol.credentials, "tokens", None),
        access=e.access,
    )
