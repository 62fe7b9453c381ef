"""Build the exchangelib account for the configured mailbox.

- Auth: NTLM or basic (on-premises), OAuth2 app-only with impersonation, or OAuth2
  delegated for a signed-in engineer. OAuth tokens come from msal (``graph/auth.py``:
  the same device-code sign-in and owner-only token cache as for Graph) and are handed to
  exchangelib through its documented extension point, a credentials class whose
  ``refresh()`` asks msal again when the token runs out.
- Retries: exchangelib's own fault-tolerant policy would retry a 401 for up to an hour
  and sleep inside the library; mailbot runs exchangelib fail-fast instead and retries in
  ``calls.py`` (bounded, logged, and only where a repeat cannot duplicate a send).
- HTTP: verification stays on; a CA bundle (a corporate TLS-inspecting proxy, an internal
  CA) is given to exchangelib's HTTP adapter with every request, so it wins over
  ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` (requests puts those in place of the
  default before any adapter sees the request). The adapter also hands answers to
  exchangelib's parser in large chunks (see ``ChunkedResponse``).
- Follow-up flags: exchangelib has no field for EWS's ``Flag`` element (Exchange 2013+),
  so :class:`FollowupFlag` adds it to Message, in its place in the schema.
"""

from __future__ import annotations

import re
import time
from typing import Any

import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    IMPERSONATION,
    NTLM,
    OAUTH2,
    Account,
    Build,
    Configuration,
    Credentials,
    Identity,
    Message,
    Version,
)
from exchangelib.credentials import OAuth2AuthorizationCodeCredentials
from exchangelib.errors import ErrorServerBusy
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.fields import Choice, ChoiceField, DateTimeField, EWSElementField
from exchangelib.properties import EWSElement
from exchangelib.protocol import BaseProtocol, FailFast
from exchangelib.util import TNS
from exchangelib.version import EXCHANGE_2013

from mailbot import metrics
from mailbot.config import EwsSettings
from mailbot.mailbox.ews.versions import parse_version

KEY_PROPERTY_SET = "6f0b4b9e-2c44-4d55-9a4f-8d1c1f9a4b21"  # the same named property as on Graph


class MailbotKey(ExtendedProperty):
    """The outbox key on a draft, a reminder and the Sent Items copy (a named MAPI property)."""

    property_set_id = KEY_PROPERTY_SET
    property_name = "MailbotKey"
    property_type = "String"


class MessageFlags(ExtendedProperty):
    """PidTagMessageFlags: set to 1 (read, not unsent) at creation so a reminder created in
    the Inbox is an ordinary message, not a draft."""

    property_tag = 0x0E07
    property_type = "Integer"


class FlagStatus(ExtendedProperty):
    """PidTagFlagStatus (2 flagged, 1 complete): the follow-up flag on Exchange 2010,
    whose EWS has no Flag element."""

    property_tag = 0x1090
    property_type = "Integer"


class FollowupFlag(EWSElement):
    """EWS's ``t:Flag`` (Exchange 2013 and later): a follow-up flag with its dates, which
    Exchange turns into the MAPI properties Outlook's To Do list reads."""

    ELEMENT_NAME = "Flag"
    NAMESPACE = TNS

    flag_status = ChoiceField(
        field_uri="FlagStatus",
        choices={Choice("NotFlagged"), Choice("Flagged"), Choice("Complete")},
        is_required=True,
    )
    start_date = DateTimeField(field_uri="StartDate")
    due_date = DateTimeField(field_uri="DueDate")
    complete_date = DateTimeField(field_uri="CompleteDate")


class FlagField(EWSElementField):
    """``item:Flag``: written as the Flag element itself (exchangelib's EWSElementField
    would wrap it in a second element of the same name)."""

    def to_xml(self, value: Any, version: Any) -> Any:
        return value.to_xml(version=version)


def register_properties() -> None:
    """Teach exchangelib's Message our extended properties and the Flag element (once
    per process)."""
    names = {f.name for f in Message.FIELDS}
    for name, prop in (
        ("mailbot_key", MailbotKey),
        ("mailbot_flags", MessageFlags),
        ("mailbot_flag_status", FlagStatus),
    ):
        if name not in names:
            Message.register(name, prop)
    if "followup_flag" not in names:
        # item:Flag follows item:UniqueBody in the Item schema, before Message's own fields
        Message.add_field(
            FlagField(
                name="followup_flag",
                field_uri="item:Flag",
                value_cls=FollowupFlag,
                supported_from=EXCHANGE_2013,
            ),
            insert_after="unique_body",
        )


class ThrottleAwareFailFast(FailFast):
    """Fail fast (a 401 is an error, never a reason to retry), but turn HTTP 429 and 503
    into ``ErrorServerBusy`` carrying the server's Retry-After, so ``calls.py`` can back
    off as the server asked."""

    def raise_response_errors(self, response: requests.Response) -> None:
        if response.status_code in (429, 503):
            try:
                wait = float(response.headers.get("Retry-After", ""))
            except ValueError:
                wait = None
            raise ErrorServerBusy(f"HTTP {response.status_code}", back_off=wait)
        super().raise_response_errors(response)


class ChunkedResponse(requests.Response):
    """exchangelib parses every answer from ``response.iter_content()``, whose default
    chunk size is one byte: a GetItem answer of 100 messages became ~300,000 Python
    calls. Handing it 64 KB chunks makes parsing several times faster; the bytes are
    the same."""

    def iter_content(self, chunk_size: int | None = 1, decode_unicode: bool = False):  # type: ignore[override]
        return super().iter_content(max(chunk_size or 0, 65536), decode_unicode)


_SOAP_OPERATION = re.compile(rb"<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)")


def _operation(body: Any) -> str:
    """The EWS operation a request carries (GetItem, SyncFolderItems, ...), for metrics."""
    if isinstance(body, str):
        body = body.encode()
    found = _SOAP_OPERATION.search(body[:4096]) if isinstance(body, bytes) else None
    return found.group(1).decode() if found else "other"


class MailbotHttpAdapter(requests.adapters.HTTPAdapter):
    """exchangelib's HTTP adapter: TLS verified against the configured CA bundle (when
    one is set) instead of the system store, and answers read in large chunks."""

    ca_bundle: str | None = None

    def send(self, request: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.ca_bundle and kwargs.get("verify", True) is not False:
            # True, or REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE that requests put in its place
            kwargs["verify"] = self.ca_bundle
        metrics.mailbox_request(_operation(request.body))
        return super().send(request, **kwargs)

    def build_response(self, req: Any, resp: Any) -> requests.Response:
        response = super().build_response(req, resp)
        response.__class__ = ChunkedResponse
        return response


class MsalCredentials(OAuth2AuthorizationCodeCredentials):
    """An access token from msal, renewed through msal when it is about to run out
    (requests-oauthlib raises TokenExpiredError, exchangelib then calls ``refresh``)."""

    def __init__(self, tokens: Any, identity: Identity | None) -> None:
        super().__init__(access_token=self._fetch(tokens), identity=identity)
        self._tokens = tokens

    @property
    def tokens(self) -> Any:
        return self._tokens

    @staticmethod
    def _fetch(tokens: Any) -> dict:
        token = tokens.token()  # from the owner-only cache while it is valid
        lifetime = max(int(getattr(tokens, "expires_in", 3600)) - 120, 60)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "expires_at": time.time() + lifetime,
        }

    def refresh(self, session: Any) -> None:
        self.access_token = self._fetch(self._tokens)

    def sig(self) -> int:
        return hash(self.access_token["access_token"] if self.access_token else None)


def _tokens(e: EwsSettings) -> Any:
    from mailbot.mailbox.graph.auth import AppOnlyTokens, DelegatedTokens

    verify = str(e.ca_bundle) if e.ca_bundle else True
    if e.auth == "oauth-delegated":
        return DelegatedTokens(
            e.tenant_id or "",
            e.client_id or "",
            e.authority_host,
            e.oauth_resource,
            e.token_cache,  # type: ignore[arg-type]
            verify,
            scopes=("EWS.AccessAsUser.All",),
        )
    cert = None
    if e.certificate_path:
        cert = {
            "private_key": e.certificate_path.read_text(encoding="utf-8"),
            "thumbprint": e.certificate_thumbprint,
        }
    return AppOnlyTokens(
        e.tenant_id or "",
        e.client_id or "",
        e.authority_host,
        e.oauth_resource,
        e.client_secret,
        cert,
        verify,
        cache_path=e.token_cache,
    )


def login_tokens(e: EwsSettings) -> Any:
    """The delegated token provider, for ``mailbot login``."""
    return _tokens(e)


def credentials_for(e: EwsSettings) -> tuple[Any, str]:
    """exchangelib credentials and auth type for the configured auth."""
    if e.auth in ("ntlm", "basic"):
        return Credentials(e.username or "", e.password or ""), (
            NTLM if e.auth == "ntlm" else BASIC
        )
    # exchangelib impersonates whichever identity OAuth credentials carry: only app-only
    # access names the mailbox; a signed-in engineer reaches their own.
    identity = Identity(primary_smtp_address=e.email) if e.access == "impersonation" else None
    return MsalCredentials(_tokens(e), identity), OAUTH2


def open_account(e: EwsSettings) -> Account:
    """The exchangelib account; no request is made until the first folder is used when
    the endpoint, auth type and version are all given."""
    register_properties()
    MailbotHttpAdapter.ca_bundle = str(e.ca_bundle) if e.ca_bundle else None
    BaseProtocol.HTTP_ADAPTER_CLS = MailbotHttpAdapter
    credentials, auth_type = credentials_for(e)
    version = Version(build=Build(*parse_version(e.version))) if e.version else None
    access = IMPERSONATION if e.access == "impersonation" else DELEGATE
    config = Configuration(
        service_endpoint=e.service_endpoint,  # None: autodiscover finds it
        credentials=credentials,
        auth_type=auth_type,
        version=version,
        retry_policy=ThrottleAwareFailFast(),
        max_connections=4,
    )
    return Account(
        e.email, config=config, autodiscover=e.service_endpoint is None, access_type=access
    )
