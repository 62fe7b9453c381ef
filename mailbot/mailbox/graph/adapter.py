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
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import quote

import structlog

from mailbot.mailbox.graph.client import GraphClient, GraphError
from mailbot.mailbox.port import Changes, ItemRef, MailboxError, SentLookup
from mailbot.mailbox.rfc822 import NOTE_MARK, assemble, header_lines
from mailbot.mailbox.text import html_to_text

log = structlog.get_logger("mailbot.graph")
KEY_PROP = "String {6f0b4b9e-2c44-4d55-9a4f-8d1c1f9a4b21} Name MailbotKey"
NOT_DRAFT = {"id": "Integer 0x0E07", "value": "1"}  # PidTagMessageFlags = read, not unsent
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
        text = html_to_text(text)
    return assemble(lines, _key_of(item), item.get("categories") or [], text)


class GraphMailbox:
    def __init__(
        self, client: GraphClient, folder_names: list[str], inbox: str, sent: str, approved: str
    ) -> None:
        self.client = client
        self.folder_names = folder_names
        self.inbox, self.sent, self.approved = inbox, sent, approved
        self.ids: dict[str, str] = {}
        self._fetched: dict[str, bytes] = {}
        self._delivered: dict[str, datetime] = {}

    @property
    def u(self) -> str:
        return self.client.user_path

    # -- folders ------------------------------------------------------------------------
    def folder_id(self, name: str) -> str:
        if name not in self.ids:
            self.ensure_folders()
        return self.ids[name]

    def ensure_folders(self) -> None:
        for name in dict.fromkeys([self.inbox, self.sent, *self.folder_names]):
            if name in self.ids:
                continue
            well_known = WELL_KNOWN.get(name.lower())
            if well_known or name == self.inbox:
                self.ids[name] = self.client.get(
                    f"{self.u}/mailFolders/{well_known or 'inbox'}", params={"$select": "id"}
                )["id"]
                continue
            parent = "msgfolderroot"
            for part in name.split("/"):
                parent = self._child(parent, part)
            self.ids[name] = parent

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

    # -- sync -----------------------------------------------------------------------------
    def changes(self, folder: str, state: str | None) -> Changes:
        start = state or f"{self.u}/mailFolders/{self.folder_id(folder)}/messages/delta?$select=id"
        try:
            return self._delta(folder, start, state is None)
        except GraphError as exc:
            if state is None or not (exc.status == 410 or exc.code in RESYNC_CODES):
                raise MailboxError(f"delta query of {folder!r} failed: {exc}") from None
            log.warning(
                "delta link no longer valid; resyncing the folder", folder=folder, status=exc.status
            )
            return self._delta(
                folder,
                f"{self.u}/mailFolders/{self.folder_id(folder)}/messages/delta?$select=id",
                True,
            )

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
        found = {}
        params = {"$select": "id", "$expand": EXPAND_KEY}
        for page in self.client.pages(
            f"{self.u}/mailFolders/{self.folder_id(folder)}/messages", params
        ):
            for item in page.get("value", []):
                key = _key_of(item)
                if key:
                    found[key] = ItemRef(folder, item["id"], item["id"])
        return found

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
                draft = self.client.post(
                    f"{self.u}/messages/{quote(original, safe='')}/createReply", {"message": common}
                )
            except GraphError as exc:
                if exc.status != 400:
                    raise
                # Refused as a reply (e.g. the original is not a plain message): an
                # unthreaded draft still carries the case number and support CC (R02).
                log.warning("createReply refused; creating an unthreaded draft", code=exc.code)
        if draft is not None:
            did = quote(draft["id"], safe="")
            self.client.request(
                "PATCH",
                f"{self.u}/messages/{did}",
                json={"subject": str(message["Subject"]), "body": self._body(message)},
            )
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

    def deliver_to_inbox(self, message: EmailMessage, key: str, retry: bool = False) -> ItemRef:
        existing = self._find_by_key(key, self.inbox) if retry else None
        if existing:
            return ItemRef(self.inbox, existing["id"], existing["id"])
        part = message.get_body(("plain",))
        body = {"contentType": "Text", "content": part.get_content() if part else ""}
        created = self.client.post(
            f"{self.u}/mailFolders/{self.folder_id(self.inbox)}/messages",
            {
                "subject": str(message["Subject"]),
                "body": body,
                "toRecipients": self._people(message["To"]),
                "categories": [CATEGORY],
                "singleValueExtendedProperties": [{"id": KEY_PROP, "value": key}, NOT_DRAFT],
            },
        )
        return ItemRef(self.inbox, created["id"], created["id"])

    def withdraw(self, ref: ItemRef, folder: str, note: str) -> ItemRef:
        """Put ``note`` at the top of the draft's body, then move it into ``folder``
        (immutable ids: it stays the same item). A retry does not add a second note."""
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
        moved = self.client.post(
            f"{self.u}/messages/{quote(ref.locator, safe='')}/move",
            {"destinationId": self.folder_id(folder)},
        )
        return ItemRef(folder, moved["id"], moved["id"])

    def delete(self, ref: ItemRef) -> None:
        try:
            self.client.request("DELETE", f"{self.u}/messages/{quote(ref.locator, safe='')}")
        except GraphError as exc:
            if exc.status != 404:
                raise MailboxError(
                    f"cannot delete {ref.key[:12]}…: {exc.status} {exc.code}"
                ) from None

    def send(self, ref: ItemRef, key: str) -> None:
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


def open_graph(settings) -> GraphMailbox:  # type: ignore[no-untyped-def]
    from mailbot.mailbox.graph.auth import AppOnlyTokens, DelegatedTokens

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
            g.tenant_id, g.client_id, g.authority_host, g.endpoint, g.client_secret, cert, verify
        )
    client = GraphClient(g.endpoint, g.user, tokens, verify)
    f = settings.mailbox.folders
    return GraphMailbox(
        client,
        [f.sent, f.awaiting_approval, f.approved, f.rejected, f.not_sent],
        f.inbox,
        f.sent,
        f.approved,
    )
