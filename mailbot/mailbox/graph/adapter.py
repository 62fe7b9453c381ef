"""The Graph mailbox adapter: the same port as the Maildir one, over Exchange Online.

- Sync: one delta query per watched folder, the delta link stored as the sync state; an
  expired or refused delta link restarts the folder from scratch (ingest files nothing
  twice: keys are immutable ids). Delta returns ids only; the messages themselves are
  fetched in ``$batch`` calls of 20 with just the fields mailbot reads (headers, text
  body, categories, our key) and rendered as RFC 5322 text for the filter chain. The
  MIME content with its attachments is never downloaded.
- Drafts: a threaded reply (``createReply`` on the customer's last message) carrying the
  idempotency key in a single-value extended property from its creation, then moved to
  the approval folder; immutable ids keep the id stable through the move.
- Sending: ``/send`` on the engineer's edited draft; Exchange files the copy in Sent
  Items. After a crash the key is looked up in Sent Items; while the draft still sits in
  Approved it provably did not leave; otherwise it may be in the Outbox, so it is never
  resent blindly.
- Reminders: created in the engineer's own Inbox as ordinary (non-draft) messages.
"""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import quote, unquote

import structlog

from mailbot.mailbox.graph.client import GraphClient, GraphError
from mailbot.mailbox.port import Changes, ItemRef, MailboxError, SentLookup, StateStore
from mailbot.mailbox.rfc822 import NOTE_MARK, assemble, header_lines
from mailbot.mailbox.state import KeyIndex, MemoryState, RecentListings, find_again
from mailbot.mailbox.text import body_text

log = structlog.get_logger("mailbot.graph")
KEY_PROP = "String {6f0b4b9e-2c44-4d55-9a4f-8d1c1f9a4b21} Name MailbotKey"
NOT_DRAFT = {"id": "Integer 0x0E07", "value": "1"}  # PidTagMessageFlags = read, not unsent
# Outlook's reminder on a message (PSETID_Common): PidLidReminderSet, PidLidReminderTime,
# PidLidReminderSignalTime
COMMON = "{00062008-0000-0000-C000-000000000046}"
REMINDER_SET = f"Boolean {COMMON} Id 0x8503"
REMINDER_TIME = f"SystemTime {COMMON} Id 0x8502"
REMINDER_SIGNAL = f"SystemTime {COMMON} Id 0x8560"
VERIFY_EVERY = 900.0  # seconds: folder ids are checked again before a write after this
DAY = 86400.0
CATEGORY = "Mailbot"
FIELDS = (
    "id,subject,from,toRecipients,ccRecipients,internetMessageId,internetMessageHeaders,"
    "sentDateTime,receivedDateTime,categories,body,isDraft"
)
EXPAND_KEY = f"singleValueExtendedProperties($filter=id eq '{KEY_PROP}')"
WELL_KNOWN = {
    "inbox": "inbox",
    "sent items": "sentitems",
    "sentitems": "sentitems",
    "drafts": "drafts",
}
RESYNC_CODES = {"syncStateNotFound", "SyncStateNotFound", "resyncRequired", "SyncStateInvalid"}


def _odata(value: str) -> str:
    return value.replace("'", "''")


def _address(entry: dict | None) -> str:
    addr = (entry or {}).get("emailAddress") or {}
    return formataddr((addr.get("name") or "", addr.get("address") or ""))


def _key_of(item: dict) -> str | None:
    for prop in item.get("singleValueExtendedProperties") or []:
        if prop.get("id", "").lower() == KEY_PROP.lower():
            return prop.get("value")
    return None


def render_rfc822(item: dict) -> bytes:
    """A Graph message as RFC 5322 text: its real internet headers when Exchange kept
    them (received mail), else headers rebuilt from the fields; categories become a
    Keywords header, so Outlook categories reach the engineer-signal filter."""
    lines: list[str] = []
    raw_headers = item.get("internetMessageHeaders") or []
    if raw_headers:
        lines += header_lines((h.get("name"), h.get("value")) for h in raw_headers)
    else:
        lines.append(f"From: {_address(item.get('from'))}")
        for field, name in (("toRecipients", "To"), ("ccRecipients", "Cc")):
            people = [_address(r) for r in item.get(field) or []]
            if people:
                lines.append(f"{name}: {', '.join(people)}")
        lines.append(f"Subject: {' '.join((item.get('subject') or '').split())}")
        when = item.get("sentDateTime") or item.get("receivedDateTime")
        if when:
            lines.append(
                f"Date: {format_datetime(datetime.fromisoformat(when.replace('Z', '+00:00')))}"
            )
        if item.get("internetMessageId"):
            lines.append(f"Message-ID: {item['internetMessageId']}")
    body = item.get("body") or {}
    text = body.get("content") or ""
    if (body.get("contentType") or "").lower() == "html":
        text = body_text(text)
    return assemble(lines, _key_of(item), item.get("categories") or [], text)


class GraphMailbox:
    def __init__(
        self,
        client: GraphClient,
        folder_names: list[str],
        inbox: str,
        sent: str,
        approved: str,
        state: StateStore | None = None,
        flag_reminders: bool = True,
        categories: list[str] | None = None,
        awaiting: str | None = None,
    ) -> None:
        self.client = client
        self.folder_names = folder_names
        self.inbox, self.sent, self.approved = inbox, sent, approved
        self.awaiting = awaiting
        self.state: StateStore = state or MemoryState()
        self.flag_reminders = flag_reminders
        self.categories = categories or []
        self.ids: dict[str, str] = {}
        self.paths: dict[str, list[str]] = {}  # folder name -> the id of each part of its path
        self._verified_at: float | None = None  # when the folder ids were last checked
        self._own: set[str] = set()  # items this process moved, sent or deleted
        self._listings = RecentListings(awaiting)
        self._fetched: dict[str, bytes] = {}
        self._delivered: dict[str, datetime] = {}

    @property
    def u(self) -> str:
        return self.client.user_path

    # -- folders ------------------------------------------------------------------------
    # Folder ids are kept in the state file: a new process (a cron tick) makes no request
    # to find them. They are checked (one $batch) before this process first writes, again
    # before a write when the last check is older than VERIFY_EVERY, when an approval
    # folder loses items mailbot did not move, and by `mailbot check`; a folder renamed,
    # moved (to Deleted Items, say) or deleted is then looked up again by its name, or
    # created, and that is logged.
    def _names(self) -> list[str]:
        return list(dict.fromkeys([self.inbox, self.sent, *self.folder_names]))

    def folder_id(self, name: str) -> str:
        if name not in self.ids:
            self.ensure_folders()
            if name not in self.ids:
                self._discover([name])
        return self.ids[name]

    def ensure_folders(self) -> None:
        stored = self.state.get("folders")
        self.paths = {n: p for n, p in (stored.get("paths") or {}).items() if p}
        self.ids = {n: p[-1] for n, p in self.paths.items()}
        missing = [n for n in self._names() if n not in self.paths]
        if missing:
            self._discover(missing)
        stored = self.state.get("folders")
        tried = float(stored.get("categories_tried_at") or 0)
        if self.categories and not stored.get("categories_done") and time.time() - tried > DAY:
            self._ensure_categories()

    def _root_id(self, stored: dict | None = None) -> str:
        stored = stored if stored is not None else self.state.get("folders")
        if stored.get("root"):
            return stored["root"]
        return self.client.get(f"{self.u}/mailFolders/msgfolderroot", params={"$select": "id"})[
            "id"
        ]

    def _discover(self, names: list[str]) -> None:
        root = self._root_id()
        for name in names:
            parts = name.split("/")
            well_known = WELL_KNOWN.get(parts[0].lower()) or (
                "inbox" if name == self.inbox and len(parts) == 1 else None
            )
            if well_known:
                parent = self.client.get(
                    f"{self.u}/mailFolders/{well_known}", params={"$select": "id"}
                )["id"]
                path, parts = [parent], parts[1:]
            else:
                parent, path = root, []
            for part in parts:
                parent = self._child(parent, part)
                path.append(parent)
            self.paths[name] = path
            self.ids[name] = path[-1]
        self.state.update("folders", lambda old: {**old, "paths": dict(self.paths), "root": root})

    def _child(self, parent: str, name: str) -> str:
        found = self.client.get(
            f"{self.u}/mailFolders/{parent}/childFolders",
            params={"$filter": f"displayName eq '{_odata(name)}'", "$select": "id"},
        )["value"]
        if found:
            return found[0]["id"]
        log.info("creating mail folder", folder=name)
        return self.client.post(
            f"{self.u}/mailFolders/{parent}/childFolders", {"displayName": name}
        )["id"]

    def verify_folders(self) -> list[str]:
        """Check every stored folder id (one $batch); a folder renamed, moved or deleted
        is looked up again by its name, or created. Returns the names found again."""
        if not self.paths:
            self.ensure_folders()
        root = self._root_id()
        ids = list(dict.fromkeys(i for p in self.paths.values() for i in p))
        answers = self.client.batch(
            [
                {
                    "method": "GET",
                    "url": f"{self.u}/mailFolders/{quote(i, safe='')}"
                    "?$select=id,displayName,parentFolderId",
                }
                for i in ids
            ]
        )
        seen = {
            i: (
                (a.get("body") or {}).get("displayName"),
                (a.get("body") or {}).get("parentFolderId"),
            )
            for i, a in zip(ids, answers, strict=True)
            if a.get("status") == 200
        }
        moved = find_again(self.paths, seen, root, self._well_known, self._discover, log)
        self._verified_at = time.monotonic()
        return moved

    def _wrote(self, ref: ItemRef) -> None:
        self._own.add(ref.locator)
        self._listings.wrote()

    def _well_known(self, name: str) -> bool:
        return bool(WELL_KNOWN.get(name.split("/")[0].lower())) or name == self.inbox

    def _before_write(self) -> None:
        self._listings.wrote()
        if self._verified_at is None or time.monotonic() - self._verified_at > VERIFY_EVERY:
            self.verify_folders()

    def _ensure_categories(self) -> None:
        """mailbot's category and the signal categories in the engineer's master list,
        so Outlook offers them (needs MailboxSettings.ReadWrite; without it mailbot goes
        on, and `mailbot check` names the permission)."""
        try:
            have = {
                c.get("displayName", "").casefold()
                for c in self.client.get(f"{self.u}/outlook/masterCategories")["value"]
            }
            for name in self.categories:
                if name.casefold() not in have:
                    self.client.post(
                        f"{self.u}/outlook/masterCategories",
                        {"displayName": name, "color": "preset7"},
                    )
        except GraphError as exc:
            log.warning(
                "cannot add mailbot's categories to Outlook's list; tried again in a day",
                status=exc.status,
                code=exc.code,
            )
            now = time.time()
            self.state.update("folders", lambda old: {**old, "categories_tried_at": now})
            return
        self.state.update("folders", lambda old: {**old, "categories_done": True})

    # -- sync -----------------------------------------------------------------------------
    def _delta_start(self, folder: str, expand: bool = False) -> str:
        fid = quote(self.folder_id(folder), safe="")
        url = f"{self.u}/mailFolders/{fid}/messages/delta?$select=id"
        return url + (f"&$expand={EXPAND_KEY}" if expand else "")

    def _of_folder(self, link: str | None, folder: str) -> bool:
        """A stored delta link belongs to the folder's current id (not to a folder the
        engineer renamed or deleted since, which mailbot found again)."""
        fid = self.folder_id(folder)
        return bool(link) and (
            f"/mailFolders/{fid}/" in unquote(link)  # type: ignore[arg-type]
            or f"/mailFolders/{quote(fid, safe='')}/" in link  # type: ignore[operator]
        )

    def _resumable(self, exc: GraphError) -> bool:
        return exc.status == 410 or exc.code in RESYNC_CODES

    def changes(self, folder: str, state: str | None) -> Changes:
        if state and not self._of_folder(state, folder):
            log.warning("folder found again since the last sync; reading it afresh", folder=folder)
            state = None
        try:
            return self._delta(folder, state or self._delta_start(folder), state is None)
        except GraphError as exc:
            if exc.status == 404:  # the folder itself is gone
                self.verify_folders()
                return self._delta(folder, self._delta_start(folder), True)
            if state is None or not self._resumable(exc):
                raise MailboxError(f"delta query of {folder!r} failed: {exc}") from None
            log.warning(
                "delta link no longer valid; resyncing the folder", folder=folder, status=exc.status
            )
            return self._delta(folder, self._delta_start(folder), True)

    def _delta(self, folder: str, url: str, complete: bool) -> Changes:
        refs: list[ItemRef] = []
        delta_link = None
        for page in self.client.pages(url):
            for item in page.get("value", []):
                if "@removed" not in item:
                    refs.append(ItemRef(folder, item["id"], item["id"]))
            delta_link = page.get("@odata.deltaLink", delta_link)
        return Changes(items=list(dict.fromkeys(refs)), state=delta_link, complete_listing=complete)

    def prefetch(self, refs: list[ItemRef]) -> None:
        """Fetch a batch's messages in $batch calls of 20 (one round trip per 20)."""
        self._fetched.clear()
        self._delivered.clear()
        wanted = [r for r in refs if r.locator not in self._fetched]
        if not wanted:
            return
        calls = [
            {
                "method": "GET",
                "url": self._item_url(r.locator),
                "headers": {"Prefer": 'outlook.body-content-type="text", IdType="ImmutableId"'},
            }
            for r in wanted
        ]
        for ref, resp in zip(wanted, self.client.batch(calls), strict=True):
            if resp.get("status") == 200:
                self._keep(ref, resp.get("body") or {})

    def _keep(self, ref: ItemRef, item: dict) -> bytes:
        data = self._fetched[ref.locator] = render_rfc822(item)
        name = "sentDateTime" if ref.folder == self.sent else "receivedDateTime"
        when = item.get(name) or item.get("receivedDateTime")
        if when:
            self._delivered[ref.locator] = datetime.fromisoformat(when.replace("Z", "+00:00"))
        return data

    def delivered_at(self, ref: ItemRef) -> datetime | None:
        """Exchange's own receipt time (send time in Sent Items) from the fetch."""
        return self._delivered.get(ref.locator)

    def _item_url(self, item_id: str) -> str:
        return f"{self.u}/messages/{quote(item_id, safe='')}?$select={FIELDS}&$expand={EXPAND_KEY}"

    def read(self, ref: ItemRef, max_bytes: int | None = None) -> bytes:
        data = self._fetched.get(ref.locator)
        if data is None:
            try:
                item = self.client.get(
                    self._item_url(ref.locator),
                    headers={"Prefer": 'outlook.body-content-type="text"'},
                )
            except GraphError as exc:
                if exc.status == 404:
                    from mailbot.mailbox.port import UnreadableMessage

                    raise UnreadableMessage(
                        "deleted from the mailbox before it could be read"
                    ) from None
                raise MailboxError(
                    f"message {ref.key[:12]}… cannot be read: {exc.status} {exc.code}"
                ) from None
            data = self._keep(ref, item)
        return data if max_bytes is None else data[:max_bytes]

    # -- keys -----------------------------------------------------------------------------
    def keyed_items(self, folder: str) -> dict[str, ItemRef]:
        """mailbot's items in ``folder`` by key, followed incrementally: one delta call
        from the stored link (ids and our key only), applied to the index kept with it in
        the state file. Items that left without mailbot moving them (the engineer's
        verdict, or a deleted folder) trigger a check of the folder ids."""
        still = self._listings.still(folder)
        if still is not None:
            return dict(still)
        section = f"index:{folder}"
        index = KeyIndex.load(self.state.get(section), self.folder_id(folder))
        try:
            present, removed, link = self._delta_keys(
                index.state or self._delta_start(folder, True)
            )
        except GraphError as exc:
            if index.state is None or not (self._resumable(exc) or exc.status == 404):
                raise MailboxError(f"delta query of {folder!r} failed: {exc}") from None
            log.warning("approval folder followed afresh", folder=folder, status=exc.status)
            if exc.status == 404:
                self.verify_folders()
            index = KeyIndex(self.folder_id(folder), None, {})
            present, removed, link = self._delta_keys(self._delta_start(folder, True))
        lost, foreign = index.advance(present, removed, link, self._own)
        self.state.put(section, index.dump())
        if foreign and self.ids.get(folder) == index.folder_id:
            moved = self.verify_folders()
            if folder in moved:
                return self.keyed_items(folder)
        refs = self._refs(folder, index)
        self._listings.seen(folder, lost, refs)
        return dict(refs)

    @staticmethod
    def _refs(folder: str, index: KeyIndex) -> dict[str, ItemRef]:
        return {key: ItemRef(folder, iid, iid) for iid, key in index.items.items()}

    def _delta_keys(self, url: str) -> tuple[dict[str, str | None], list[str], str | None]:
        present: dict[str, str | None] = {}
        removed: list[str] = []
        unexpanded: list[str] = []
        link = None
        for page in self.client.pages(url):
            for item in page.get("value", []):
                if "@removed" in item:
                    removed.append(item["id"])
                    present.pop(item["id"], None)
                    continue
                present[item["id"]] = _key_of(item)
                if "singleValueExtendedProperties" not in item:
                    unexpanded.append(item["id"])
            link = page.get("@odata.deltaLink", link)
        # Graph leaves the property out when an item has none of ours (the engineer's own
        # mail in a mailbot folder), and a server may not expand delta at all: those
        # items' keys are asked for directly, 20 a request, rather than taken as absent.
        wanted = [i for i in dict.fromkeys(unexpanded) if i in present]
        if wanted:
            calls = [
                {
                    "method": "GET",
                    "url": f"{self.u}/messages/{quote(i, safe='')}?$select=id&$expand={EXPAND_KEY}",
                }
                for i in wanted
            ]
            for item_id, answer in zip(wanted, self.client.batch(calls), strict=True):
                if answer.get("status") == 200:
                    present[item_id] = _key_of(answer.get("body") or {})
        return present, removed, link

    def _find_by_key(self, key: str, folder: str | None = None) -> dict | None:
        scope = (
            f"{self.u}/mailFolders/{self.folder_id(folder)}/messages"
            if folder
            else f"{self.u}/messages"
        )
        flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROP}' and ep/value eq '{_odata(key)}')"
        value = self.client.get(scope, params={"$filter": flt, "$select": "id,parentFolderId"})[
            "value"
        ]
        return value[0] if value else None

    # -- writing --------------------------------------------------------------------------
    @staticmethod
    def _body(message: EmailMessage) -> dict:
        part = message.get_body(("html", "plain"))
        content = part.get_content() if part else ""
        if part is not None and part.get_content_subtype() == "plain":
            return {"contentType": "HTML", "content": "<pre>" + html.escape(content) + "</pre>"}
        return {"contentType": "HTML", "content": content}

    @staticmethod
    def _inline_images(message: EmailMessage) -> list[dict]:
        """Inline images (cid:) as Graph file attachments, so HTML that shows them (the
        weekly summary's chart) renders in Outlook."""
        import base64

        out = []
        for part in message.walk():
            cid = part.get("Content-ID")
            if part.get_content_maintype() == "image" and cid:
                out.append(
                    {
                        "@odata.type": "#microsoft.graph.fileAttachment",
                        "name": part.get_filename() or "image.png",
                        "contentType": part.get_content_type(),
                        "contentBytes": base64.b64encode(
                            part.get_payload(decode=True) or b""
                        ).decode("ascii"),
                        "contentId": cid.strip("<>"),
                        "isInline": True,
                    }
                )
        return out

    @staticmethod
    def _people(value: str | None) -> list[dict]:
        from email.utils import getaddresses

        return [
            {"emailAddress": {"address": a, "name": n or a}}
            for n, a in getaddresses([value or ""])
            if a
        ]

    def save_draft(
        self, folder: str, message: EmailMessage, key: str, retry: bool = False
    ) -> ItemRef:
        self._before_write()
        # on a retry, anywhere in the mailbox, Deleted Items too
        existing = self._find_by_key(key) if retry else None
        target = self.folder_id(folder)
        if existing:  # a retry after a crash: never a second draft
            # Still in Drafts: the crash came between createReply and the move, so the
            # move is finished. Anywhere else the engineer put it there (approved,
            # rejected, deleted): it stays where it is, never brought back.
            drafts = self.client.get(f"{self.u}/mailFolders/drafts", params={"$select": "id"})["id"]
            if existing.get("parentFolderId") == drafts:
                existing = self.client.post(
                    f"{self.u}/messages/{quote(existing['id'], safe='')}/move",
                    {"destinationId": target},
                )
            return ItemRef(folder, existing["id"], existing["id"])
        common = {
            "toRecipients": self._people(message["To"]),
            "ccRecipients": self._people(message["Cc"]),
            "categories": [CATEGORY],
            "singleValueExtendedProperties": [{"id": KEY_PROP, "value": key}],
        }
        original = self._original(message["In-Reply-To"])
        draft = None
        if original:
            try:
                # subject and body in the same request: the reply is complete at once
                # (our text replaces the quoted original, as the engineer sees it)
                reply = {
                    **common,
                    "subject": str(message["Subject"]),
                    "body": self._body(message),
                }
                draft = self.client.post(
                    f"{self.u}/messages/{quote(original, safe='')}/createReply", {"message": reply}
                )
            except GraphError as exc:
                if exc.status != 400:
                    raise
                # Refused as a reply (e.g. the original is not a plain message): an
                # unthreaded draft still carries the case number and support CC (R02).
                log.warning("createReply refused; creating an unthreaded draft", code=exc.code)
        if draft is not None:
            did = quote(draft["id"], safe="")
            moved = self.client.post(f"{self.u}/messages/{did}/move", {"destinationId": target})
            return ItemRef(folder, moved["id"], moved["id"])
        body = {**common, "subject": str(message["Subject"]), "body": self._body(message)}
        images = self._inline_images(message)
        if images:
            body["attachments"] = images
        created = self.client.post(f"{self.u}/mailFolders/{target}/messages", body)
        return ItemRef(folder, created["id"], created["id"])

    def _original(self, message_id: str | None) -> str | None:
        if not message_id:
            return None
        value = self.client.get(
            f"{self.u}/messages",
            params={
                "$filter": f"internetMessageId eq '{_odata(message_id.strip())}'",
                "$select": "id",
            },
        )["value"]
        return value[0]["id"] if value else None

    def deliver_to_inbox(
        self,
        message: EmailMessage,
        key: str,
        retry: bool = False,
        due: datetime | None = None,
    ) -> ItemRef:
        self._before_write()
        existing = self._find_by_key(key, self.inbox) if retry else None
        if existing:
            return ItemRef(self.inbox, existing["id"], existing["id"])
        part = message.get_body(("plain",))
        body = {"contentType": "Text", "content": part.get_content() if part else ""}
        props = [{"id": KEY_PROP, "value": key}, NOT_DRAFT]
        item: dict = {
            "subject": str(message["Subject"]),
            "body": body,
            "toRecipients": self._people(message["To"]),
            "categories": [CATEGORY],
        }
        if due is not None and self.flag_reminders:
            # Outlook's follow-up flag (To Do list, task bar): due that day, and a
            # reminder at that time (Graph has no reminder field on a message: Outlook's
            # own properties, PidLidReminderSet and PidLidReminderSignalTime).
            when = {"dateTime": _utc(due), "timeZone": "UTC"}
            item["flag"] = {"flagStatus": "flagged", "startDateTime": when, "dueDateTime": when}
            props += [
                {"id": REMINDER_SET, "value": "true"},
                {"id": REMINDER_TIME, "value": _utc(due) + "Z"},
                {"id": REMINDER_SIGNAL, "value": _utc(due) + "Z"},
            ]
        item["singleValueExtendedProperties"] = props
        created = self.client.post(
            f"{self.u}/mailFolders/{self.folder_id(self.inbox)}/messages", item
        )
        return ItemRef(self.inbox, created["id"], created["id"])

    def complete_reminder(self, key: str) -> None:
        """Mark the reminder's flag complete and its reminder off, wherever the engineer
        keeps it; nothing when it is gone or its flag was cleared already."""
        flt = (
            f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROP}' "
            f"and ep/value eq '{_odata(key)}')"
        )
        found = self.client.get(
            f"{self.u}/messages", params={"$filter": flt, "$select": "id,flag"}
        )["value"]
        for item in found:
            if ((item.get("flag") or {}).get("flagStatus") or "notFlagged") != "flagged":
                continue
            done = {"dateTime": _utc(datetime.now(UTC)), "timeZone": "UTC"}
            self.client.request(
                "PATCH",
                f"{self.u}/messages/{quote(item['id'], safe='')}",
                json={
                    "flag": {"flagStatus": "complete", "completedDateTime": done},
                    "singleValueExtendedProperties": [{"id": REMINDER_SET, "value": "false"}],
                },
            )

    def withdraw(self, ref: ItemRef, folder: str, note: str) -> ItemRef:
        """Put ``note`` at the top of the draft's body, then move it into ``folder``
        (immutable ids: it stays the same item). A retry does not add a second note."""
        self._before_write()
        mid = quote(ref.locator, safe="")
        try:
            item = self.client.get(f"{self.u}/messages/{mid}", params={"$select": "body"})
        except GraphError as exc:
            raise MailboxError(f"the draft to take out cannot be read: {exc.status}") from None
        body = item.get("body") or {}
        content = body.get("content") or ""
        if NOTE_MARK not in content:
            if (body.get("contentType") or "").lower() == "html":
                block = f'<p style="color:#8a6d3b"><b>{html.escape(note)}</b></p>'
                lower = content.lower()
                at = lower.find(">", lower.find("<body")) + 1 if "<body" in lower else 0
                content = content[:at] + block + content[at:]
                new_body = {"contentType": "HTML", "content": content}
            else:
                new_body = {"contentType": "Text", "content": f"{note}\n\n{content}"}
            self.client.request("PATCH", f"{self.u}/messages/{mid}", json={"body": new_body})
        return self.move(ref, folder)

    def move(self, ref: ItemRef, folder: str) -> ItemRef:
        self._wrote(ref)
        moved = self.client.post(
            f"{self.u}/messages/{quote(ref.locator, safe='')}/move",
            {"destinationId": self.folder_id(folder)},
        )
        return ItemRef(folder, moved["id"], moved["id"])

    def delete(self, ref: ItemRef) -> None:
        self._wrote(ref)
        try:
            self.client.request("DELETE", f"{self.u}/messages/{quote(ref.locator, safe='')}")
        except GraphError as exc:
            if exc.status != 404:
                raise MailboxError(
                    f"cannot delete {ref.key[:12]}…: {exc.status} {exc.code}"
                ) from None

    def send(self, ref: ItemRef, key: str) -> None:
        self._wrote(ref)
        try:
            self.client.request("POST", f"{self.u}/messages/{quote(ref.locator, safe='')}/send")
        except GraphError as exc:
            # A refusal (4xx) means Exchange did not take the message; 5xx after retries
            # or a dropped connection leaves it open whether it was submitted.
            raise MailboxError(
                f"Graph /send refused ({exc.status} {exc.code})", not_sent=400 <= exc.status < 500
            ) from None

    def where_to_look(self, key: str) -> str:
        """Where the engineer can see whether an interrupted send left."""
        return "the Outbox and Sent Items folders in Outlook (a message still in the Outbox has not left yet)"

    def find_sent(self, key: str) -> SentLookup:
        if self._find_by_key(key, self.sent):
            return SentLookup.SENT
        if self._find_by_key(key, self.approved):
            return SentLookup.ABSENT  # the draft is still waiting in Approved: it never left
        return SentLookup.UNKNOWN  # submitted and in transit, or deleted: never resend blindly

    # -- permissions ------------------------------------------------------------------------
    def check_permissions(self) -> list[str]:
        """What `mailbot check` asks before anything is sent: the permissions in the
        token (application ``roles`` for app-only, delegated ``scp``), each missing one
        named with its fix; then the folder ids."""
        problems = []
        tokens = self.client.tokens
        granted = tokens.permissions(fresh=True) if hasattr(tokens, "permissions") else None
        if granted is not None:
            app_only = not hasattr(tokens, "login")
            for perm, why in NEEDED:
                if perm in granted or f"{perm.split('.')[0]}.ReadWrite.All" in granted:
                    continue
                if app_only:
                    fix = (
                        f"add the Microsoft Graph application permission {perm} to the app "
                        "registration and grant admin consent"
                    )
                else:
                    fix = (
                        f"add the delegated permission {perm} to the app registration, then "
                        "run `mailbot login` again to consent"
                    )
                problems.append(f"permission missing: {perm} ({why}): {fix}")
        self.verify_folders()
        return problems


NEEDED = (
    ("Mail.ReadWrite", "to read the Inbox and Sent Items and write drafts"),
    ("Mail.Send", "to send what you approved"),
    ("MailboxSettings.ReadWrite", "to add mailbot's categories to Outlook's list"),
)


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def category_names(labels: dict[str, str], defaults: dict[str, str]) -> list[str]:
    """The Outlook categories mailbot offers: its own, and one per signal (the README's
    names, e.g. "Mailbot: Solution delivered", or the team's own where configured)."""
    names = [CATEGORY]
    for signal, label in labels.items():
        names.append(
            f"{CATEGORY}: {label[:1].upper()}{label[1:]}"
            if defaults.get(signal) == label
            else label
        )
    return names


def open_graph(settings) -> GraphMailbox:  # type: ignore[no-untyped-def]
    from mailbot.config import CATEGORY_DEFAULTS
    from mailbot.mailbox.graph.auth import AppOnlyTokens, DelegatedTokens
    from mailbot.mailbox.state import StateFile

    g = settings.mailbox.graph
    verify = str(g.ca_bundle) if g.ca_bundle else True
    if g.auth == "delegated":
        tokens = DelegatedTokens(
            g.tenant_id, g.client_id, g.authority_host, g.endpoint, g.token_cache, verify
        )
    else:
        cert = None
        if g.certificate_path:
            cert = {
                "private_key": g.certificate_path.read_text(encoding="utf-8"),
                "thumbprint": g.certificate_thumbprint,
            }
        tokens = AppOnlyTokens(
            g.tenant_id,
            g.client_id,
            g.authority_host,
            g.endpoint,
            g.client_secret,
            cert,
            verify,
            cache_path=g.token_cache,
        )
    client = GraphClient(g.endpoint, g.user, tokens, verify)
    f = settings.mailbox.folders
    state = StateFile(settings.data_dir / "graph-state.json", f"graph {g.user} {g.endpoint}")
    return GraphMailbox(
        client,
        [f.sent, f.awaiting_approval, f.approved, f.rejected, f.not_sent],
        f.inbox,
        f.sent,
        f.approved,
        state=state,
        flag_reminders=settings.mailbox.flag_reminders,
        categories=category_names(settings.categories, CATEGORY_DEFAULTS),
        awaiting=f.awaiting_approval,
    )
