"""A stateful fake of the EWS SOAP operations mailbot's exchangelib calls send, answered
through ``responses`` callbacks: the real exchangelib (and msal for OAuth) runs against it,
only HTTP is fake.

It keeps folders, items (each stored as its MIME text plus the properties Exchange keeps
beside it), a change log per folder for SyncFolderItems, and counts every request by
operation. Like Exchange, an item gets a new id when it moves, SendItem removes the draft
and files a sent copy, received mail has internet headers while drafts and sent copies do
not, and a sync state it did not issue is refused with ErrorInvalidSyncStateData.

Knobs: ``busy`` (the next N calls answer a SOAP ErrorServerBusy fault with
BackOffMilliseconds), ``http_errors`` (statuses with Retry-After for the next calls),
``expire_sync`` (the next sync with a state is refused), ``password`` (basic auth),
``impersonation_denied``, ``rights`` (the EffectiveRights GetFolder reports per
folder), and ``ntlm`` (an NTLM acceptor: see tests/integration/ntlm.py). Items keep
their follow-up flag (EWS ``Flag``, or PidTagFlagStatus) and reminder fields, which
CreateItem and UpdateItem set. Folders can be renamed and deleted as Outlook does."""

from __future__ import annotations

import base64
import itertools
import re
import time
import uuid
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses, make_msgid
from xml.sax.saxutils import escape, quoteattr

import requests
import responses
from lxml import etree

from tests.integration.fake_graph import FakeGraph, FolderEdits

ENDPOINT = "https://mail.contoso.example/EWS/Exchange.asmx"
S = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
NS = {"s": S, "m": M, "t": T}
KEY_PROP = ("6f0b4b9e-2c44-4d55-9a4f-8d1c1f9a4b21", "MailbotKey")
DISTINGUISHED = {
    "root": ("Root", None),
    "msgfolderroot": ("Top of Information Store", "root"),
    "inbox": ("Inbox", "msgfolderroot"),
    "sentitems": ("Sent Items", "msgfolderroot"),
    "drafts": ("Drafts", "msgfolderroot"),
    "deleteditems": ("Deleted Items", "msgfolderroot"),
    "outbox": ("Outbox", "msgfolderroot"),
}


def _prop_key(elem) -> str:
    """A normalised name for an ExtendedFieldURI: set id + name, or the property tag."""
    if elem.get("PropertyTag"):
        return "tag:" + str(int(elem.get("PropertyTag"), 0))
    return f"{(elem.get('PropertySetId') or elem.get('DistinguishedPropertySetId') or '').lower()}:{elem.get('PropertyName')}"


KEY = f"{KEY_PROP[0]}:{KEY_PROP[1]}"


def _decoded(value) -> str:  # type: ignore[no-untyped-def]
    """A header value as Exchange returns it in a field: RFC 2047 words decoded."""
    return str(make_header(decode_header(str(value or ""))))


class Fault(Exception):
    def __init__(self, code: str, text: str = "", back_off_ms: int | None = None) -> None:
        super().__init__(code)
        self.code, self.text, self.back_off_ms = code, text, back_off_ms


class FakeEws(FolderEdits):
    NAME = "name"

    def __init__(
        self, user: str, username: str = "CONTOSO\\sam", password: str = "pa55word"
    ) -> None:
        self.user, self.username, self.password = user, username, password
        self.folders: dict[str, dict] = {}
        self.items: dict[str, dict] = {}
        self.log: list[
            tuple[int, str, str, str]
        ] = []  # (seq, folder id, item id, create|update|delete)
        self.seq = itertools.count(1)
        self.states: set[str] = set()
        self.requests: list[str] = []  # operation names, in order
        self.busy = 0
        # (status, Retry-After or None[, only for this operation[, the page to answer]])
        self.http_errors: list[tuple] = []
        self.expire_sync = False
        self.impersonation_denied = False
        self.impersonated = False
        self.drop_after: set[str] = set()  # operations whose answer is lost after they ran
        self.tls_error = False  # the server's certificate does not verify
        self.seconds = 0.0
        self.login = FakeGraph(user)  # msal's sign-in endpoints, for OAuth
        self.rights: dict[str, set[str]] = {}  # folder id -> the rights it lacks
        self.server_version = (15, 1, 2507, 6)
        self.bare_sync = False  # SyncFolderItems answers ids only, whatever was asked
        self.ntlm = None  # an acceptor with .authorise(request) -> bool | response
        for wk, (name, parent) in DISTINGUISHED.items():
            self.folders[f"F-{wk}"] = {
                "id": f"F-{wk}",
                "name": name,
                "parent": f"F-{parent}" if parent else None,
                "wk": wk,
            }

    # -- helpers for tests -------------------------------------------------------------------
    def folder(self, name_or_wk: str) -> str:
        """A folder id by distinguished id, display name or path below the store root."""
        for fid, f in self.folders.items():
            if f.get("wk") == name_or_wk or f["name"] == name_or_wk:
                return fid
        parent = "F-msgfolderroot"
        for part in name_or_wk.split("/"):
            parent = next(
                fid
                for fid, f in self.folders.items()
                if f["parent"] == parent and f["name"] == part
            )
        return parent

    def _forget(self, item_id: str) -> None:
        del self.items[item_id]

    def in_folder(self, folder_id: str) -> list[dict]:
        return sorted(
            (i for i in self.items.values() if i["folder"] == folder_id), key=lambda i: i["order"]
        )

    def count(self, operation: str) -> int:
        return self.requests.count(operation)

    def _new_id(self) -> str:
        return "AAMkAD" + base64.b64encode(uuid.uuid4().bytes * 4).decode().rstrip("=")

    def _record(self, folder: str, item_id: str, what: str) -> None:
        self.log.append((next(self.seq), folder, item_id, what))

    def _put(self, folder: str, mime: bytes, **fields) -> str:
        item_id = self._new_id()
        self.items[item_id] = {
            "id": item_id,
            "ck": "CQAAAB" + uuid.uuid4().hex[:8],
            "folder": folder,
            "mime": mime,
            "draft": False,
            "categories": [],
            "props": {},
            "headers": True,
            "received": datetime.now(UTC),
            "sent": None,
            "order": next(self.seq),
            **fields,
        }
        self._record(folder, item_id, "create")
        return item_id

    def deliver(
        self, sender: str, subject: str, body: str, cc: str | None = None, **headers
    ) -> str:
        """Mail arriving from someone else (with its internet headers), into the Inbox."""
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = self.user
        if cc:
            msg["Cc"] = cc
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain="fabrikam.example")
        for name, value in headers.items():
            msg[name.replace("_", "-")] = value
        msg.set_content(body)
        return self._put(self.folder("inbox"), msg.as_bytes())

    def move(self, item_id: str, folder: str) -> str:
        """Move an item as Outlook does: it gets a new id in its new folder."""
        item = self.items.pop(item_id)
        self._record(item["folder"], item_id, "delete")
        new_id = self._new_id()
        item.update(id=new_id, folder=folder, ck="CQAAAB" + uuid.uuid4().hex[:8])
        self.items[new_id] = item
        self._record(folder, new_id, "create")
        return new_id

    def edit(self, item_id: str, find: str, replace: str) -> None:
        """The engineer edits a draft's body in Outlook."""
        item = self.items[item_id]
        item["mime"] = item["mime"].replace(find.encode(), replace.encode())
        item["ck"] = "CQAAAB" + uuid.uuid4().hex[:8]
        self._record(item["folder"], item_id, "update")

    def categorise(self, item_id: str, *categories: str) -> None:
        item = self.items[item_id]
        item["categories"] = list(categories)
        self._record(item["folder"], item_id, "update")

    def parsed(self, item_id: str):
        return message_from_bytes(self.items[item_id]["mime"], policy=default_policy)

    # -- HTTP ------------------------------------------------------------------------------
    def install(self, rsps: responses.RequestsMock, endpoint: str = ENDPOINT) -> None:
        rsps.add_callback(responses.POST, endpoint, callback=self._soap)
        self.login.install_login(rsps)

    def _authorised(self, request) -> bool:
        if self.ntlm is not None:
            return self.ntlm.authorise(request)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return user == self.username and password == self.password
        if auth.startswith("Bearer "):
            return auth[7:] in self.login.issued
        return False

    def _soap(self, request):
        start = time.perf_counter()
        try:
            return self._answer(request)
        finally:
            self.seconds += time.perf_counter() - start  # the fake's own time, for bench/ews.py

    def _answer(self, request):
        if self.tls_error:
            raise requests.exceptions.SSLError(
                "[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate"
            )
        allowed = self._authorised(request)
        if allowed is not True:  # False, or the acceptor's own 401 (an NTLM challenge)
            return allowed or (401, {"WWW-Authenticate": 'Basic realm="mail.contoso.example"'}, "")
        root = etree.fromstring(
            request.body if isinstance(request.body, bytes) else request.body.encode()
        )
        body = root.find(f"{{{S}}}Body")
        op = body[0]
        name = etree.QName(op).localname
        self.requests.append(name)
        if self.http_errors and self.http_errors[0][2:3] in ((), (name,)):
            status, retry_after, *rest = self.http_errors.pop(0)
            page = rest[1] if len(rest) > 1 else ""  # e.g. an IIS error page
            return status, ({"Retry-After": retry_after} if retry_after else {}), page
        try:
            if self.busy:
                self.busy -= 1
                raise Fault(
                    "ErrorServerBusy", "The server cannot service this request right now.", 2000
                )
            who = root.find(f".//{{{T}}}ExchangeImpersonation//{{{T}}}PrimarySmtpAddress")
            if who is not None:
                if self.impersonation_denied:
                    raise Fault(
                        "ErrorImpersonateUserDenied",
                        "The account does not have permission to impersonate the requested user.",
                    )
                self.impersonated = who.text == self.user
            inner = getattr(self, f"_op_{name}")(op)
        except Fault as fault:
            return 500, {"Content-Type": "text/xml; charset=utf-8"}, self._fault(fault)
        if name in self.drop_after:
            self.drop_after.discard(name)
            raise requests.exceptions.ConnectionError("connection reset by peer")
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, self._envelope(name, inner)

    def _envelope(self, name: str, messages: str) -> str:
        major, minor, build, sub = self.server_version
        return (
            f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{S}"><s:Header>'
            f'<h:ServerVersionInfo xmlns:h="{T}" MajorVersion="{major}" MinorVersion="{minor}" '
            f'MajorBuildNumber="{build}" MinorBuildNumber="{sub}" Version="V2017_07_11"/></s:Header>'
            f'<s:Body><m:{name}Response xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
            f"{messages}</m:ResponseMessages></m:{name}Response></s:Body></s:Envelope>"
        )

    @staticmethod
    def _fault(fault: Fault) -> str:
        back_off = (
            f'<t:MessageXml xmlns:t="{T}"><t:Value Name="BackOffMilliseconds">{fault.back_off_ms}</t:Value></t:MessageXml>'
            if fault.back_off_ms
            else ""
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{S}"><s:Body><s:Fault>'
            f"<faultcode>s:Server</faultcode><faultstring>{escape(fault.text)}</faultstring>"
            f'<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">'
            f"{fault.code}</e:ResponseCode>"
            f'<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{escape(fault.text)}</e:Message>'
            f"{back_off}</detail></s:Fault></s:Body></s:Envelope>"
        )

    @staticmethod
    def _ok(name: str, inner: str = "") -> str:
        return (
            f'<m:{name}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f"{inner}</m:{name}ResponseMessage>"
        )

    def _item_ok(self, name: str, item_id: str) -> str:
        ck = self.items[item_id]["ck"]
        return self._ok(
            name,
            f'<m:Items><t:Message><t:ItemId Id="{item_id}" ChangeKey="{ck}"/></t:Message></m:Items>',
        )

    @staticmethod
    def _error(name: str, code: str, text: str = "", extra: str = "") -> str:
        return (
            f'<m:{name}ResponseMessage ResponseClass="Error"><m:MessageText>{escape(text or code)}</m:MessageText>'
            f"<m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
            f"{extra}</m:{name}ResponseMessage>"
        )

    # -- folders ---------------------------------------------------------------------------
    def _folder_id_of(self, elem) -> str | None:
        """The folder a FolderId or DistinguishedFolderId element names."""
        if etree.QName(elem).localname == "DistinguishedFolderId":
            return f"F-{elem.get('Id')}"
        return elem.get("Id")

    def _folder_xml(self, fid: str) -> str:
        f = self.folders[fid]
        parent = (
            f'<t:ParentFolderId Id="{f["parent"]}" ChangeKey="AQAAAA=="/>' if f["parent"] else ""
        )
        children = sum(1 for x in self.folders.values() if x["parent"] == fid)
        total = sum(1 for i in self.items.values() if i["folder"] == fid)
        lacking = self.rights.get(fid, set())
        rights = "".join(
            f"<t:{r}>{'false' if r in lacking else 'true'}</t:{r}>"
            for r in (
                "CreateAssociated",
                "CreateContents",
                "CreateHierarchy",
                "Delete",
                "Modify",
                "Read",
            )
        )
        return (
            f'<t:Folder><t:FolderId Id="{fid}" ChangeKey="AQAAAA=="/>{parent}'
            f"<t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>{escape(f['name'])}</t:DisplayName>"
            f"<t:TotalCount>{total}</t:TotalCount><t:ChildFolderCount>{children}</t:ChildFolderCount>"
            f"<t:EffectiveRights>{rights}</t:EffectiveRights>"
            "<t:UnreadCount>0</t:UnreadCount></t:Folder>"
        )

    def _op_GetFolder(self, op) -> str:
        out = []
        for ref in op.find("m:FolderIds", NS):
            fid = self._folder_id_of(ref)
            if fid in self.folders:
                out.append(self._ok("GetFolder", f"<m:Folders>{self._folder_xml(fid)}</m:Folders>"))
            else:
                out.append(self._error("GetFolder", "ErrorFolderNotFound"))
        return "".join(out)

    def _op_FindFolder(self, op) -> str:
        out = []
        restriction = op.find("m:Restriction", NS)
        for ref in op.find("m:ParentFolderIds", NS):
            parent = self._folder_id_of(ref)
            found = [
                fid
                for fid, f in self.folders.items()
                if f["parent"] == parent and self._matches_folder(f, restriction)
            ]
            xml = "".join(self._folder_xml(fid) for fid in found)
            out.append(
                self._ok(
                    "FindFolder",
                    f'<m:RootFolder IndexedPagingOffset="{len(found)}" TotalItemsInView="{len(found)}" '
                    f'IncludesLastItemInRange="true"><t:Folders>{xml}</t:Folders></m:RootFolder>',
                )
            )
        return "".join(out)

    @staticmethod
    def _matches_folder(folder: dict, restriction) -> bool:
        if restriction is None:
            return True
        eq = restriction.find(".//t:IsEqualTo", NS)
        uri = eq.find("t:FieldURI", NS).get("FieldURI")
        value = eq.find(".//t:Constant", NS).get("Value")
        assert uri == "folder:DisplayName", uri
        return folder["name"] == value

    def _op_CreateFolder(self, op) -> str:
        parent = self._folder_id_of(op.find("m:ParentFolderId", NS)[0])
        out = []
        for f in op.find("m:Folders", NS):
            name = f.find("t:DisplayName", NS).text
            if any(x["parent"] == parent and x["name"] == name for x in self.folders.values()):
                out.append(self._error("CreateFolder", "ErrorFolderExists"))
                continue
            fid = "F-" + uuid.uuid4().hex
            self.folders[fid] = {"id": fid, "name": name, "parent": parent, "wk": None}
            out.append(
                self._ok(
                    "CreateFolder",
                    f'<m:Folders><t:Folder><t:FolderId Id="{fid}" ChangeKey="AQAAAA=="/></t:Folder></m:Folders>',
                )
            )
        return "".join(out)

    # -- sync ------------------------------------------------------------------------------
    def _op_SyncFolderItems(self, op) -> str:
        fid = self._folder_id_of(op.find("m:SyncFolderId", NS)[0])
        if fid not in self.folders:
            return self._error(
                "SyncFolderItems",
                "ErrorSyncFolderNotFound",
                "The specified folder could not be found.",
            )
        shape = op.find("m:ItemShape", NS)
        state_elem = op.find("m:SyncState", NS)
        state = state_elem.text if state_elem is not None else None
        if state:
            if self.expire_sync or state not in self.states:
                self.expire_sync = False
                # As Exchange answers: an error, with an empty SyncState (exchangelib reads it).
                return self._error(
                    "SyncFolderItems",
                    "ErrorInvalidSyncStateData",
                    "Synchronization state data is corrupt or otherwise invalid.",
                    "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>",
                )
            owner, since_text, _ = base64.b64decode(state).decode().split(":")
            if owner != fid:  # a state of another folder: Exchange refuses it
                return self._error(
                    "SyncFolderItems",
                    "ErrorInvalidSyncStateData",
                    "Synchronization state data is corrupt or otherwise invalid.",
                    "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>",
                )
            since = int(since_text)
        else:
            since = 0
        limit = int(op.find("m:MaxChangesReturned", NS).text)
        last: dict[str, tuple[int, str]] = {}
        existed_before: set[str] = set()
        for seq, folder, item_id, what in self.log:
            if folder != fid:
                continue
            if seq <= since:
                if what == "create":
                    existed_before.add(item_id)
                elif what == "delete":
                    existed_before.discard(item_id)
                continue
            last[item_id] = (seq, what)
        changes = []
        for item_id, (seq, _what) in sorted(last.items(), key=lambda kv: kv[1][0]):
            present = item_id in self.items and self.items[item_id]["folder"] == fid
            if present:
                changes.append((seq, "Update" if item_id in existed_before else "Create", item_id))
            elif item_id in existed_before:
                changes.append((seq, "Delete", item_id))
        page, more = changes[:limit], len(changes) > limit
        upto = page[-1][0] if more else max([since] + [s for s, f, _, _ in self.log if f == fid])
        new_state = base64.b64encode(f"{fid}:{upto}:{uuid.uuid4().hex[:6]}".encode()).decode()
        self.states.add(new_state)
        xml = []
        for _, kind, item_id in page:
            if kind == "Delete":
                xml.append(f'<t:Delete><t:ItemId Id="{item_id}" ChangeKey="AQAAAA=="/></t:Delete>')
            else:
                xml.append(
                    f"<t:{kind}>{self._item_xml(self.items[item_id], None if self.bare_sync else shape)}</t:{kind}>"
                )
        return self._ok(
            "SyncFolderItems",
            f"<m:SyncState>{new_state}</m:SyncState>"
            f"<m:IncludesLastItemInRange>{'false' if more else 'true'}</m:IncludesLastItemInRange>"
            f"<m:Changes>{''.join(xml)}</m:Changes>",
        )

    # -- items -----------------------------------------------------------------------------
    @staticmethod
    def _mailbox(name: str, address: str) -> str:
        name = _decoded(name)
        return (
            f"<t:Mailbox><t:Name>{escape(name or address)}</t:Name><t:EmailAddress>{escape(address)}"
            "</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox>"
        )

    def _item_xml(self, item: dict, shape) -> str:
        msg = message_from_bytes(item["mime"], policy=compat32)  # fast: headers as text
        parts = [f'<t:ItemId Id="{item["id"]}" ChangeKey="{item["ck"]}"/>']
        props = shape.find("t:AdditionalProperties", NS) if shape is not None else None
        for p in props if props is not None else []:
            tag = etree.QName(p).localname
            if tag == "ExtendedFieldURI":
                value = item["props"].get(_prop_key(p))
                if value is not None:
                    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in p.attrib.items())
                    parts.append(
                        f"<t:ExtendedProperty><t:ExtendedFieldURI{attrs}/><t:Value>{escape(str(value))}</t:Value></t:ExtendedProperty>"
                    )
                continue
            parts.append(self._field(item, msg, p.get("FieldURI")))
        return f"<t:Message>{''.join(parts)}</t:Message>"

    def _field(self, item: dict, msg, uri: str) -> str:
        def people(header: str) -> str:
            return "".join(
                self._mailbox(n, a) for n, a in getaddresses(msg.get_all(header, [])) if a
            )

        if uri == "item:Subject":
            return f"<t:Subject>{escape(_decoded(msg.get('Subject', '')))}</t:Subject>"
        if uri == "message:From":
            (name, addr), *_ = getaddresses([str(msg.get("From", ""))]) or [("", "")]
            return f"<t:From>{self._mailbox(name, addr)}</t:From>" if addr else ""
        if uri == "message:ToRecipients":
            return f"<t:ToRecipients>{people('To')}</t:ToRecipients>" if msg.get("To") else ""
        if uri == "message:CcRecipients":
            return f"<t:CcRecipients>{people('Cc')}</t:CcRecipients>" if msg.get("Cc") else ""
        if uri == "message:InternetMessageId":
            mid = msg.get("Message-ID")
            return f"<t:InternetMessageId>{escape(mid)}</t:InternetMessageId>" if mid else ""
        if uri in ("item:InReplyTo", "message:References"):
            header = "In-Reply-To" if uri == "item:InReplyTo" else "References"
            tag = "InReplyTo" if uri == "item:InReplyTo" else "References"
            value = msg.get(header)
            return f"<t:{tag}>{escape(str(value))}</t:{tag}>" if value else ""
        if uri == "item:DateTimeSent":
            return (
                f"<t:DateTimeSent>{item['sent'].strftime('%Y-%m-%dT%H:%M:%SZ')}</t:DateTimeSent>"
                if item["sent"]
                else ""
            )
        if uri == "item:DateTimeReceived":
            return f"<t:DateTimeReceived>{item['received'].strftime('%Y-%m-%dT%H:%M:%SZ')}</t:DateTimeReceived>"
        if uri == "item:Categories":
            cats = "".join(f"<t:String>{escape(c)}</t:String>" for c in item["categories"])
            return f"<t:Categories>{cats}</t:Categories>" if cats else ""
        if uri == "item:InternetMessageHeaders":
            if not item["headers"]:
                return ""
            hs = "".join(
                f"<t:InternetMessageHeader HeaderName={quoteattr(k)}>{escape(' '.join(str(v).split()))}</t:InternetMessageHeader>"
                for k, v in msg.items()
            )
            return f"<t:InternetMessageHeaders>{hs}</t:InternetMessageHeaders>"
        if uri == "item:IsDraft":
            return f"<t:IsDraft>{'true' if item['draft'] else 'false'}</t:IsDraft>"
        if uri in ("item:TextBody", "item:Body"):
            text = self._text(item)
            tag = "TextBody" if uri == "item:TextBody" else "Body"
            return f'<t:{tag} BodyType="Text">{escape(text)}</t:{tag}>'
        if uri == "item:ParentFolderId":
            return f'<t:ParentFolderId Id="{item["folder"]}" ChangeKey="AQAAAA=="/>'
        if uri == "item:Flag":
            flag = item.get("flag")
            if not flag:
                return ""
            dates = "".join(f"<t:{k}>{v}</t:{k}>" for k, v in flag.items() if k != "FlagStatus")
            return f"<t:Flag><t:FlagStatus>{flag['FlagStatus']}</t:FlagStatus>{dates}</t:Flag>"
        if uri == "item:ReminderIsSet":
            return (
                f"<t:ReminderIsSet>{'true' if item.get('reminder') else 'false'}</t:ReminderIsSet>"
            )
        if uri == "item:ReminderDueBy":
            due = item.get("reminder_due")
            return f"<t:ReminderDueBy>{due}</t:ReminderDueBy>" if due else ""
        if uri == "item:MimeContent":
            return f'<t:MimeContent CharacterSet="UTF-8">{base64.b64encode(item["mime"]).decode()}</t:MimeContent>'
        return ""

    @staticmethod
    def _text(item: dict) -> str:
        """The text rendering of the body Exchange keeps beside the MIME (cached per version)."""
        cached = item.get("text")
        if cached is not None and cached[0] == item["ck"]:
            return cached[1]
        part = message_from_bytes(item["mime"], policy=default_policy).get_body(("plain", "html"))
        text = part.get_content() if part is not None else ""
        if part is not None and part.get_content_subtype() == "html":
            text = re.sub(r"<[^>]+>", " ", text)
        item["text"] = (item["ck"], text)
        return text

    def _op_GetItem(self, op) -> str:
        shape = op.find("m:ItemShape", NS)
        out = []
        for ref in op.find("m:ItemIds", NS):
            item = self.items.get(ref.get("Id"))
            if item is None:
                out.append(
                    self._error(
                        "GetItem",
                        "ErrorItemNotFound",
                        "The specified object was not found in the store.",
                    )
                )
            else:
                out.append(self._ok("GetItem", f"<m:Items>{self._item_xml(item, shape)}</m:Items>"))
        return "".join(out)

    def _matches_item(self, item: dict, restriction) -> bool:
        if restriction is None:
            return True
        eq = restriction.find(".//t:IsEqualTo", NS)
        uri = eq.find("t:ExtendedFieldURI", NS)
        value = eq.find(".//t:Constant", NS).get("Value")
        assert uri is not None, "the fake answers FindItem restrictions on extended properties only"
        return str(item["props"].get(_prop_key(uri))) == value

    def _op_FindItem(self, op) -> str:
        shape = op.find("m:ItemShape", NS)
        restriction = op.find("m:Restriction", NS)
        view = op.find("m:IndexedPageItemView", NS)
        offset = int(view.get("Offset", "0")) if view is not None else 0
        size = int(view.get("MaxEntriesReturned", "1000")) if view is not None else 1000
        out = []
        for ref in op.find("m:ParentFolderIds", NS):
            fid = self._folder_id_of(ref)
            found = [i for i in self.in_folder(fid) if self._matches_item(i, restriction)]
            page = found[offset : offset + size]
            last = offset + len(page) >= len(found)
            xml = "".join(self._item_xml(i, shape) for i in page)
            out.append(
                self._ok(
                    "FindItem",
                    f'<m:RootFolder IndexedPagingOffset="{offset + len(page)}" TotalItemsInView="{len(found)}" '
                    f'IncludesLastItemInRange="{"true" if last else "false"}"><t:Items>{xml}</t:Items></m:RootFolder>',
                )
            )
        return "".join(out)

    def _op_CreateItem(self, op) -> str:
        disposition = op.get("MessageDisposition")
        assert disposition == "SaveOnly", disposition
        folder = self._folder_id_of(op.find("m:SavedItemFolderId", NS)[0])
        out = []
        for m in op.find("m:Items", NS):
            mime = base64.b64decode(m.find("t:MimeContent", NS).text)
            props = {}
            for ep in m.findall("t:ExtendedProperty", NS):
                props[_prop_key(ep.find("t:ExtendedFieldURI", NS))] = ep.find("t:Value", NS).text
            cats = [c.text for c in m.findall("t:Categories/t:String", NS)]
            # Created from MIME, an item is an unsent draft unless PidTagMessageFlags says read (1).
            draft = str(props.get("tag:3591", "0")) != "1"
            item_id = self._put(
                folder, mime, draft=draft, categories=cats, props=props, headers=False
            )
            self._set_fields(self.items[item_id], m)
            out.append(self._item_ok("CreateItem", item_id))
        return "".join(out)

    @staticmethod
    def _set_fields(item: dict, elem) -> None:
        """The follow-up flag and reminder fields of an item element."""
        flag = elem.find("t:Flag", NS)
        if flag is not None:
            item["flag"] = {etree.QName(c).localname: c.text for c in flag}
        reminder = elem.find("t:ReminderIsSet", NS)
        if reminder is not None:
            item["reminder"] = reminder.text in ("true", "1")
        due = elem.find("t:ReminderDueBy", NS)
        if due is not None:
            item["reminder_due"] = due.text

    def _op_UpdateItem(self, op) -> str:
        out = []
        for change in op.find("m:ItemChanges", NS):
            ref = change.find("t:ItemId", NS)
            item = self.items.get(ref.get("Id"))
            if item is None:
                out.append(self._error("UpdateItem", "ErrorItemNotFound"))
                continue
            for update in change.find("t:Updates", NS):
                target = update.find("t:Message", NS)
                if target is None:
                    continue
                self._set_fields(item, target)
                for ep in target.findall("t:ExtendedProperty", NS):
                    item["props"][_prop_key(ep.find("t:ExtendedFieldURI", NS))] = ep.find(
                        "t:Value", NS
                    ).text
            item["ck"] = "CQAAAB" + uuid.uuid4().hex[:8]
            self._record(item["folder"], item["id"], "update")
            out.append(self._item_ok("UpdateItem", item["id"]))
        return "".join(out)

    def _op_MoveItem(self, op) -> str:
        target = self._folder_id_of(op.find("m:ToFolderId", NS)[0])
        out = []
        for ref in op.find("m:ItemIds", NS):
            if ref.get("Id") not in self.items:
                out.append(self._error("MoveItem", "ErrorItemNotFound"))
                continue
            new_id = self.move(ref.get("Id"), target)
            out.append(self._item_ok("MoveItem", new_id))
        return "".join(out)

    def _op_DeleteItem(self, op) -> str:
        out = []
        for ref in op.find("m:ItemIds", NS):
            if ref.get("Id") not in self.items:
                out.append(self._error("DeleteItem", "ErrorItemNotFound"))
                continue
            if op.get("DeleteType") == "HardDelete":
                item = self.items.pop(ref.get("Id"))
                self._record(item["folder"], item["id"], "delete")
            else:
                self.move(ref.get("Id"), self.folder("deleteditems"))
            out.append(self._ok("DeleteItem"))
        return "".join(out)

    def _op_SendItem(self, op) -> str:
        saved = op.find("m:SavedItemFolderId", NS)
        target = self._folder_id_of(saved[0]) if saved is not None else self.folder("sentitems")
        out = []
        for ref in op.find("m:ItemIds", NS):
            item = self.items.get(ref.get("Id"))
            if item is None:
                out.append(
                    self._error(
                        "SendItem",
                        "ErrorItemNotFound",
                        "The specified object was not found in the store.",
                    )
                )
                continue
            msg = message_from_bytes(item["mime"], policy=default_policy)
            if "Message-ID" not in msg:
                msg["Message-ID"] = make_msgid(domain="contoso.example")
            new_id = self.move(item["id"], target)
            sent = self.items[new_id]
            sent.update(mime=msg.as_bytes(), draft=False, sent=datetime.now(UTC))
            out.append(self._ok("SendItem"))
        return "".join(out)
