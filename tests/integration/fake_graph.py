"""A stateful fake of the Microsoft Graph mail endpoints mailbot uses (and of the sign-in
endpoints msal calls), answered through ``responses`` callbacks. The real GraphClient,
msal and the engine run against it; only HTTP is fake.

It keeps folders (renamed, moved or deleted as Outlook does), messages (with their
follow-up flags), the master category list, a change log per folder for delta queries,
and counts every request, the sign-in ones apart (``login_requests``: metadata,
discovery, token). Tokens are JWT-shaped with the ``roles`` (app-only) or ``scp``
(delegated) granted, and Graph refuses what they do not allow (403), as it does.

Knobs: ``throttle`` (next N Graph calls answer 429 with Retry-After), ``expire_delta``
(the next delta call with a token answers 410), ``deny`` (403), ``token_error`` (the
token endpoint refuses), ``roles`` / ``scopes`` (what the admin granted), ``graph`` and
``login`` (the hosts, for national clouds or a configured authority)."""

from __future__ import annotations

import base64
import itertools
import json
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlparse

import responses

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
KEY_PROP_ID = "string {6f0b4b9e-2c44-4d55-9a4f-8d1c1f9a4b21} name mailbotkey"
APP_ROLES = ("Mail.ReadWrite", "Mail.Send", "MailboxSettings.ReadWrite")
USER_SCOPES = ("Mail.ReadWrite", "Mail.Send", "MailboxSettings.ReadWrite", "EWS.AccessAsUser.All")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class FolderEdits:
    """What the engineer does to folders in Outlook, for both fakes."""

    NAME = "displayName"

    def rename_folder(self, fid: str, name: str) -> None:
        self.folders[fid][self.NAME] = name  # type: ignore[attr-defined]

    def delete_folder(self, fid: str, hard: bool = False) -> None:
        """Outlook's delete moves a folder into Deleted Items; a hard delete removes it."""
        folders = self.folders  # type: ignore[attr-defined]
        if not hard:
            folders[fid]["parent"] = self.folder("deleteditems")  # type: ignore[attr-defined]
            return
        for child in [f for f, v in folders.items() if v["parent"] == fid]:
            self.delete_folder(child, hard=True)
        for item in self.in_folder(fid):  # type: ignore[attr-defined]
            self._forget(item["id"])  # type: ignore[attr-defined]
        del folders[fid]


class FakeGraph(FolderEdits):
    def __init__(
        self,
        user: str,
        tenant: str = "contoso-tenant",
        graph: str = GRAPH,
        login: str = LOGIN,
        roles: tuple[str, ...] = (*APP_ROLES, "full_access_as_app"),
        scopes: tuple[str, ...] = USER_SCOPES,
    ) -> None:
        self.user, self.tenant = user, tenant
        self.graph, self.login = graph, login
        self.roles, self.scopes = roles, scopes
        self.issued: dict[str, dict] = {}  # access token -> its claims
        self.login_requests: list[str] = []  # "metadata", "discovery", "token"
        self.categories: list[dict] = []  # the master category list
        self.delta_options: dict[str, bool] = {}  # delta token -> $expand asked
        self.expand_delta = True  # False: delta ignores $expand (ids only)
        self.folders: dict[str, dict] = {}
        self.messages: dict[str, dict] = {}
        self.log: list[tuple[int, str, str, str]] = []  # (seq, folder, message id, created|removed)
        self.seq = itertools.count(1)
        self.requests: list[tuple[str, str]] = []
        self.throttle = 0
        self.expire_delta = False
        self.deny = False
        self.token_error: str | None = None
        self.tokens_issued = 0
        for wk, name in (
            ("msgfolderroot", "Top of Information Store"),
            ("inbox", "Inbox"),
            ("sentitems", "Sent Items"),
            ("drafts", "Drafts"),
            ("deleteditems", "Deleted Items"),
        ):
            self.folders[f"F-{wk}"] = {
                "id": f"F-{wk}",
                "displayName": name,
                "parent": None if wk == "msgfolderroot" else "F-msgfolderroot",
                "wk": wk,
            }

    # -- helpers for tests -------------------------------------------------------------------
    def folder(self, name_or_wk: str) -> str:
        for fid, f in self.folders.items():
            if f.get("wk") == name_or_wk or f["displayName"] == name_or_wk:
                return fid
        raise KeyError(name_or_wk)

    def _record(self, folder: str, mid: str, what: str) -> None:
        self.log.append((next(self.seq), folder, mid, what))

    def _new_id(self) -> str:
        return "AAMk" + uuid.uuid4().hex

    def add(self, folder: str, **fields) -> str:
        mid = self._new_id()
        msg = {
            "id": mid,
            "parentFolderId": folder,
            "isDraft": False,
            "categories": [],
            "props": {},
            "internetMessageHeaders": [],
            "toRecipients": [],
            "ccRecipients": [],
            "receivedDateTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "internetMessageId": f"<{uuid.uuid4().hex}@fabrikam.example>",
            **fields,
        }
        self.messages[mid] = msg
        self._record(folder, mid, "created")
        return mid

    def deliver(
        self,
        sender: str,
        subject: str,
        body: str,
        cc: str | None = None,
        headers: dict | None = None,
        in_reply_to: str | None = None,
        when: datetime | None = None,
    ) -> str:
        """Mail arriving in the Inbox from outside, with its internet headers."""
        when = when or datetime.now(UTC)
        mid_header = f"<{uuid.uuid4().hex}@fabrikam.example>"
        hdrs = {
            "From": sender,
            "To": self.user,
            "Subject": subject,
            "Date": when.strftime("%a, %d %b %Y %H:%M:%S +0000"),
            "Message-ID": mid_header,
            **({"Cc": cc} if cc else {}),
            **(headers or {}),
        }
        if in_reply_to:
            hdrs["In-Reply-To"] = in_reply_to
        return self.add(
            self.folder("inbox"),
            subject=subject,
            body={"contentType": "text", "content": body},
            internetMessageId=mid_header,
            internetMessageHeaders=[{"name": k, "value": v} for k, v in hdrs.items()],
            **{"from": {"emailAddress": {"address": sender}}},
        )

    def move(self, mid: str, folder: str) -> None:
        """What the engineer does in Outlook: drag a message to another folder."""
        msg = self.messages[mid]
        self._record(msg["parentFolderId"], mid, "removed")
        msg["parentFolderId"] = folder
        self._record(folder, mid, "created")

    def _forget(self, mid: str) -> None:
        del self.messages[mid]

    def path(self, path: str) -> str:
        """A folder id by its path below the root (Mailbot/Approved)."""
        parent = "F-msgfolderroot"
        for part in path.split("/"):
            parent = next(
                f
                for f, v in self.folders.items()
                if v["parent"] == parent and v["displayName"] == part
            )
        return parent

    def in_folder(self, folder: str) -> list[dict]:
        return [m for m in self.messages.values() if m["parentFolderId"] == folder]

    def count(self, method: str | None = None, contains: str = "") -> int:
        return sum(1 for m, p in self.requests if (method is None or m == method) and contains in p)

    # -- wiring -----------------------------------------------------------------------------
    def install(self, rsps: responses.RequestsMock) -> None:
        self.install_login(rsps)
        for method in ("GET", "POST", "PATCH", "DELETE"):
            rsps.add_callback(
                method, re.compile(rf"{re.escape(self.graph)}/.*"), callback=self._graph
            )

    def install_login(self, rsps: responses.RequestsMock) -> None:
        """Only the sign-in endpoints msal calls (the EWS fake uses them for OAuth). Only
        the global cloud answers instance discovery, and only for the hosts it knows: a
        configured authority must be validated by its own metadata."""
        login = re.escape(self.login)
        rsps.add_callback(responses.GET, re.compile(rf"{login}/.*"), callback=self._login_get)
        rsps.add_callback(responses.POST, re.compile(rf"{login}/.*/token"), callback=self._token)

    def _login_get(self, request):
        path = urlparse(request.url).path
        if path.endswith("/discovery/instance"):
            self.login_requests.append("discovery")
            return 400, {}, json.dumps({"error": "invalid_instance"})
        if not path.endswith("/v2.0/.well-known/openid-configuration"):
            return 404, {}, ""
        self.login_requests.append("metadata")
        tenant = path.split("/")[1]
        base = f"{self.login}/{tenant}"
        return (
            200,
            {},
            json.dumps(
                {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "issuer": f"{base}/v2.0",
                }
            ),
        )

    def _token(self, request):
        self.login_requests.append("token")
        if self.token_error:
            return (
                401,
                {},
                json.dumps(
                    {
                        "error": self.token_error,
                        "error_description": "AADSTS7000215: Invalid client secret provided.",
                        "error_codes": [7000215],
                    }
                ),
            )
        form = {k: v[0] for k, v in parse_qs(request.body or "").items()}
        self.tokens_issued += 1
        claims: dict = {"tid": self.tenant, "appid": form.get("client_id")}
        if form.get("grant_type") == "client_credentials":
            claims["roles"] = list(self.roles)
        else:
            claims["scp"] = " ".join(self.scopes)
        token = f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(claims)}.token-{self.tokens_issued}"
        self.issued[token] = claims
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        if form.get("grant_type") != "client_credentials":
            answer["refresh_token"] = f"refresh-{self.tokens_issued}"
            answer["scope"] = " ".join(self.scopes)
        return 200, {}, json.dumps(answer)

    def claims_of(self, request) -> dict | None:
        auth = request.headers.get("Authorization") or ""
        return self.issued.get(auth[7:]) if auth.startswith("Bearer ") else None

    def allows(self, claims: dict, permission: str) -> bool:
        granted = set(claims.get("roles") or []) | set(str(claims.get("scp") or "").split())
        return permission in granted

    # -- Graph -----------------------------------------------------------------------------
    def _graph(self, request):
        url = urlparse(request.url)
        path = unquote(url.path)[len(urlparse(self.graph).path) :]
        self.requests.append((request.method, path + ("?" + url.query if url.query else "")))
        if self.throttle:
            self.throttle -= 1
            return (
                429,
                {"Retry-After": "3"},
                json.dumps({"error": {"code": "TooManyRequests", "message": "slow down"}}),
            )
        claims = self.claims_of(request)
        if claims is None:
            return (
                401,
                {},
                json.dumps(
                    {"error": {"code": "InvalidAuthenticationToken", "message": "bad token"}}
                ),
            )
        if self.deny:
            return (
                403,
                {},
                json.dumps(
                    {"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}}
                ),
            )
        if 'IdType="ImmutableId"' not in (request.headers.get("Prefer") or ""):
            return (
                400,
                {},
                json.dumps(
                    {"error": {"code": "Test", "message": "mailbot must ask for immutable ids"}}
                ),
            )
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = json.loads(request.body) if request.body else None
        headers = dict(request.headers)
        self._claims = claims
        status, payload = self.route(request.method, path, query, body, headers)
        return status, {}, json.dumps(payload) if payload is not None else ""

    def route(self, method: str, path: str, q: dict, body, headers) -> tuple[int, dict | None]:
        if path == "/$batch":
            out = []
            for sub in body["requests"]:
                u = urlparse("/" + sub["url"].lstrip("/"))
                status, payload = self.route(
                    sub["method"],
                    unquote(u.path),
                    {k: v[0] for k, v in parse_qs(u.query).items()},
                    sub.get("body"),
                    sub.get("headers", {}),
                )
                out.append({"id": sub["id"], "status": status, "body": payload})
            return 200, {"responses": out}
        prefix = f"/users/{self.user}"
        if not path.startswith(prefix):
            return 404, {"error": {"code": "ErrorInvalidUser", "message": "unknown mailbox"}}
        p = path[len(prefix) :]
        if not self.allows(self._claims, "Mail.ReadWrite") and not p.startswith("/outlook"):
            return 403, {"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}}
        if p == "/outlook/masterCategories":
            if not self.allows(self._claims, "MailboxSettings.ReadWrite"):
                return 403, {"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}}
            if method == "POST":
                self.categories.append({"id": uuid.uuid4().hex, **body})
                return 201, self.categories[-1]
            return 200, {"value": self.categories}
        if m := re.fullmatch(r"/mailFolders/([^/]+)", p):
            fid = self._fid(m[1])
            if not fid:
                return 404, self._nf()
            f = self.folders[fid]
            return 200, {
                "id": fid,
                "displayName": f["displayName"],
                "parentFolderId": f["parent"] or "F-root",
            }
        if m := re.fullmatch(r"/mailFolders/([^/]+)/childFolders", p):
            parent = self._fid(m[1])
            if method == "POST":
                fid = "F-" + uuid.uuid4().hex[:8]
                self.folders[fid] = {
                    "id": fid,
                    "displayName": body["displayName"],
                    "parent": parent,
                }
                return 201, {"id": fid, "displayName": body["displayName"]}
            name = re.search(r"displayName eq '(.*)'", q.get("$filter", ""))[1].replace("''", "'")
            return 200, {
                "value": [
                    {"id": f["id"]}
                    for f in self.folders.values()
                    if f["parent"] == parent and f["displayName"] == name
                ]
            }
        if m := re.fullmatch(r"/mailFolders/([^/]+)/messages/delta", p):
            size = re.search(r"odata.maxpagesize=(\d+)", headers.get("Prefer") or "")
            fid = self._fid(m[1])
            if fid is None:
                return 404, self._nf()
            return self._delta(fid, q, int(size[1]) if size else 10)
        if m := re.fullmatch(r"/mailFolders/([^/]+)/messages", p):
            fid = self._fid(m[1])
            if method == "POST":
                return 201, self._view(self._create(fid, body))
            return 200, {"value": [self._view(x) for x in self._filter(self.in_folder(fid), q)]}
        if p == "/messages":
            return 200, {
                "value": [self._view(x) for x in self._filter(list(self.messages.values()), q)]
            }
        if m := re.fullmatch(r"/messages/([^/]+)", p):
            msg = self.messages.get(m[1])
            if msg is None:
                return 404, self._nf()
            if method == "GET":
                return 200, self._view(
                    msg, full=True, text=("body-content-type" in (headers.get("Prefer") or ""))
                )
            if method == "PATCH":
                msg.update(
                    {
                        k: v
                        for k, v in body.items()
                        if k
                        in ("subject", "body", "categories", "toRecipients", "ccRecipients", "flag")
                    }
                )
                for prop in body.get("singleValueExtendedProperties") or []:
                    msg["props"][prop["id"].lower()] = prop["value"]
                return 200, self._view(msg)
            if method == "DELETE":
                self._record(msg["parentFolderId"], msg["id"], "removed")
                del self.messages[msg["id"]]
                return 204, None
        if m := re.fullmatch(r"/messages/([^/]+)/(createReply|move|send)", p):
            msg = self.messages.get(m[1])
            if msg is None:
                return 404, self._nf()
            if m[2] == "createReply":
                orig_sender = msg.get("from")
                draft = self._create(
                    self.folder("drafts"),
                    {
                        "subject": "RE: " + msg.get("subject", ""),
                        "toRecipients": [orig_sender] if orig_sender else [],
                        "body": {"contentType": "html", "content": "<p>--- original ---</p>"},
                        **(body or {}).get("message", {}),
                    },
                )
                draft["replyTo_internetMessageId"] = msg["internetMessageId"]
                return 201, self._view(draft)
            if m[2] == "move":
                self.move(msg["id"], self._fid(body["destinationId"]))
                return 201, self._view(msg)
            if m[2] == "send":
                if not self.allows(self._claims, "Mail.Send"):
                    return 403, {
                        "error": {"code": "ErrorAccessDenied", "message": "Access is denied."}
                    }
                if not msg["isDraft"]:
                    return 400, {
                        "error": {"code": "ErrorInvalidOperation", "message": "not a draft"}
                    }
                msg["isDraft"] = False
                msg["sentDateTime"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                msg["internetMessageId"] = f"<{uuid.uuid4().hex}@contoso.example>"
                self.move(msg["id"], self.folder("sentitems"))
                return 202, None
        return 404, {"error": {"code": "NotImplementedInFake", "message": p}}

    @staticmethod
    def _nf() -> dict:
        return {
            "error": {
                "code": "ErrorItemNotFound",
                "message": "The specified object was not found in the store.",
            }
        }

    def _fid(self, ref: str) -> str | None:
        if ref in self.folders:
            return ref
        return next((f for f, v in self.folders.items() if v.get("wk") == ref.lower()), None)

    def _create(self, folder: str, body: dict) -> dict:
        props = {p["id"].lower(): p["value"] for p in body.pop("singleValueExtendedProperties", [])}
        not_draft = props.pop("integer 0x0e07", None) is not None
        mid = self.add(
            folder,
            isDraft=not not_draft,
            internetMessageId=f"<{uuid.uuid4().hex}@contoso.example>",
            **body,
        )
        self.messages[mid]["props"] = props
        return self.messages[mid]

    def _filter(self, msgs: list[dict], q: dict) -> list[dict]:
        flt = q.get("$filter", "")
        if m := re.search(r"ep/value eq '(.*)'\)", flt):
            key = m[1].replace("''", "'")
            msgs = [x for x in msgs if x["props"].get(KEY_PROP_ID) == key]
        if m := re.search(r"internetMessageId eq '(.*)'", flt):
            msgs = [x for x in msgs if x.get("internetMessageId") == m[1]]
        return msgs

    def _view(self, msg: dict, full: bool = False, text: bool = False) -> dict:
        out = {k: v for k, v in msg.items() if k not in ("props",)}
        out["singleValueExtendedProperties"] = [
            {"id": "String {6f0b4b9e-2c44-4d55-9a4f-8d1c1f9a4b21} Name MailbotKey", "value": v}
            for k, v in msg["props"].items()
            if k == KEY_PROP_ID
        ]
        if not full:
            out.pop("internetMessageHeaders", None)
        return out

    def _delta(self, fid: str, q: dict, size: int) -> tuple[int, dict]:
        base = f"{self.graph}/users/{self.user}/mailFolders/{fid}/messages/delta"
        token = q.get("$deltatoken") or q.get("$skiptoken")
        # like Graph, the links carry the first request's options ($expand) in their token
        expand = self.delta_options.get(token, False) if token else "$expand" in q

        def link(kind: str, value: str) -> str:
            t = f"{value}.{uuid.uuid4().hex[:6]}"
            self.delta_options[t] = expand
            return f"{base}?${kind}={t}"

        def entry(mid: str) -> dict:
            out = {"id": mid}
            if expand and self.expand_delta:
                out["singleValueExtendedProperties"] = self._view(self.messages[mid])[
                    "singleValueExtendedProperties"
                ]
            return out

        current = max((s for s, *_ in self.log), default=0)
        if "$deltatoken" in q:
            if self.expire_delta:
                self.expire_delta = False
                return 410, {
                    "error": {
                        "code": "SyncStateNotFound",
                        "message": "The sync state generation is not valid.",
                    }
                }
            since = int(q["$deltatoken"].split(".")[0])
            seen, out = set(), []
            for seq, folder, mid, _what in self.log:
                if seq > since and folder == fid and mid not in seen:
                    seen.add(mid)
                    latest = [w for s, f, i, w in self.log if f == fid and i == mid][-1]
                    gone = latest == "removed" or mid not in self.messages
                    out.append(
                        {"id": mid, "@removed": {"reason": "deleted"}} if gone else entry(mid)
                    )
            return 200, {"value": out, "@odata.deltaLink": link("deltatoken", str(current))}
        offset = int((q.get("$skiptoken") or "0").split(".")[0])
        ids = sorted(m["id"] for m in self.in_folder(fid))
        page = ids[offset : offset + size]
        if offset + size < len(ids):
            return 200, {
                "value": [entry(i) for i in page],
                "@odata.nextLink": link("skiptoken", str(offset + size)),
            }
        return 200, {
            "value": [entry(i) for i in page],
            "@odata.deltaLink": link("deltatoken", str(current)),
        }
