"""OAuth tokens with msal, for Graph and for EWS (the resource differs: graph.microsoft.com
or outlook.office365.com).

- App-only (client credentials, a secret or a certificate): the admin scopes the app to
  the engineer's mailbox (RBAC for Applications in Exchange Online).
- Delegated (device-code sign-in once with ``mailbot login``, then silent refresh).
- Both keep msal's serialised token cache in an owner-only file in the data directory,
  so a new process (every cron tick is one) uses the token an earlier one got while it
  is valid: no sign-in request at all, not even for the authority's metadata, since the
  msal application is only built when a token must be fetched.
- The authority is ``authority_host/tenant``. msal is built with instance discovery off:
  it validates the authority by its own OpenID metadata instead of asking the global
  cloud's discovery endpoint about it (which fails offline, and answers
  ``invalid_instance`` for a host it does not know).
- HTTP goes through :class:`TlsSession`: a configured CA bundle wins over the
  ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` environment variables.
- Every sign-in error names the sign-in host and Azure AD's error code.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from mailbot.mailbox.port import MailboxError
from mailbot.mailbox.token_store import TokenStore

EARLY = 300  # a token with less than this many seconds left is renewed first

# Azure AD error codes an admin meets setting mailbot up, and what to do.
AADSTS_HINTS = {
    "7000215": "the client secret is wrong: copy the secret's Value (not its ID) into the environment variable",
    "7000222": "the client secret has expired: create a new one in the app registration",
    "700016": "no app with this client_id in the tenant: check client_id and tenant_id",
    "90002": "no such tenant: check tenant_id",
    "900023": "tenant_id is not a tenant id or domain",
    "65001": "the permissions have not been consented: grant admin consent in the app registration",
    "700027": "the certificate is not the one registered with the app: upload it or fix certificate_thumbprint",
    "50126": "wrong user name or password",
    "53003": "a Conditional Access policy blocked the sign-in",
    "70011": "a scope mailbot asks for is not valid for this resource",
    "500011": "the resource is not in the tenant: check endpoint or oauth_resource",
}


class GraphAuthError(MailboxError):
    """No token: what failed and what to do, never a secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message, unreachable=True)


class TokenProvider(Protocol):
    def token(self) -> str: ...


class TlsSession(requests.Session):
    """A requests session whose CA bundle (when one is configured) is passed with every
    request. requests replaces ``verify=True`` (and a session's own ``verify``) with
    ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` from the environment; a ``verify``
    given per request is the only one it keeps."""

    def __init__(self, ca_bundle: str | None = None) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any):  # type: ignore[override]
        if self.ca_bundle and kwargs.get("verify") in (None, True):
            kwargs["verify"] = self.ca_bundle
        return super().request(method, url, *args, **kwargs)


def ca_of(verify: bool | str) -> str | None:
    return verify if isinstance(verify, str) else None


def unreachable(host: str, port: int, exc: BaseException) -> str:
    """Why ``host`` could not be reached: DNS, TLS or the network, by name."""
    if isinstance(exc, requests.exceptions.SSLError) or "CERTIFICATE_VERIFY" in str(exc):
        return (
            f"TLS verification of {host} failed (set ca_bundle to the CA that issued its "
            "certificate, e.g. a TLS-inspecting proxy's)"
        )
    try:
        socket.getaddrinfo(host, port)
    except OSError:
        return f"cannot reach {host}: DNS, the name does not resolve"
    return f"cannot reach {host}:{port} (network: {type(exc).__name__})"


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT access token (not verified: mailbot only reads which
    permissions it carries, the server checks the signature)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _save_cache(cache: Any, store: TokenStore | None) -> None:
    if store is None or not cache.has_state_changed:
        return
    store.save(cache.serialize())
    cache.has_state_changed = False


class _MsalTokens:
    """What app-only and delegated sign-in share: the authority, the owner-only token
    cache, the lazily built msal application, errors that name the host."""

    what = "sign-in"

    def __init__(
        self,
        tenant: str,
        client_id: str,
        authority_host: str,
        resource: str,
        cache_path: Path | None,
        verify: bool | str,
        scopes: list[str],
    ) -> None:
        import msal

        self.tenant, self.client_id = tenant, client_id
        self.authority = f"{authority_host.rstrip('/')}/{tenant}"
        parts = urlsplit(authority_host)
        self.host = parts.hostname or authority_host
        self.port = parts.port or 443
        self.resource = resource.rstrip("/")
        self.cache_path = cache_path
        self.scopes = scopes
        self.session = TlsSession(ca_of(verify))
        self.cache = msal.SerializableTokenCache()
        self.store = TokenStore(cache_path) if cache_path is not None else None
        stored = self.store.load() if self.store is not None else None
        if stored:
            with contextlib.suppress(ValueError):  # a damaged cache is a miss: sign in again
                self.cache.deserialize(stored)
        self._app: Any = None
        self._token: tuple[str, float] | None = None  # (access token, expires at)
        self.sign_ins = 0  # tokens fetched from Azure AD by this process

    # -- the cache --------------------------------------------------------------------------
    @property
    def expires_at(self) -> float:
        return self._token[1] if self._token else 0.0

    @property
    def expires_in(self) -> int:
        return max(int(self.expires_at - time.time()), 0)

    def _cached(self) -> tuple[str, float] | None:
        """A valid access token for our scopes from the token cache, without msal's
        application (whose construction fetches the authority's metadata)."""
        now = time.time()
        found = self.cache.search(
            self.cache.CredentialType.ACCESS_TOKEN,
            target=self.scopes,
            query={"client_id": self.client_id, "environment": self.host},
        )
        best = None
        for entry in found:
            expires = float(entry.get("expires_on") or 0)
            if expires - EARLY > now and (best is None or expires > best[1]):
                best = (entry["secret"], expires)
        return best

    def token(self) -> str:
        if self._token and self._token[1] - EARLY > time.time():
            return self._token[0]
        self._token = self._cached()
        if self._token is None:
            result = self._acquire()
            token = self._result(result)
            self.sign_ins += 1
            self._token = (token, time.time() + int(result.get("expires_in") or 3600))
        _save_cache(self.cache, self.store)
        return self._token[0]

    def claims(self, fresh: bool = False) -> dict[str, Any]:
        """The claims of the token; ``fresh`` signs in anew, past the cache (``mailbot
        check`` proves the credentials work now, not an hour ago)."""
        if fresh:
            result = self._acquire(fresh=True)
            token = self._result(result)
            self.sign_ins += 1
            self._token = (token, time.time() + int(result.get("expires_in") or 3600))
            _save_cache(self.cache, self.store)  # a renewed refresh token is kept
        return token_claims(self.token())

    # -- msal -------------------------------------------------------------------------------
    def _build(self) -> Any:
        raise NotImplementedError

    @property
    def app(self) -> Any:
        if self._app is None:
            self._app = self._call("reading the authority's metadata", self._build)
        return self._app

    def _acquire(self, fresh: bool = False) -> dict:
        raise NotImplementedError

    def _call(self, step: str, fn: Any) -> Any:
        """Run an msal step; anything but an answer becomes one line naming the host."""
        try:
            return fn()
        except GraphAuthError:
            raise
        except requests.exceptions.RequestException as exc:
            raise GraphAuthError(
                f"{self.what} at {self.host} failed {step}: {unreachable(self.host, self.port, exc)}"
            ) from None
        except ValueError as exc:  # msal: the authority's metadata could not be had
            first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            code = "invalid_instance" if "invalid_instance" in first else "authority_metadata"
            raise GraphAuthError(
                f"{self.what} at {self.host} failed {step}: {code}: {self.authority} did not "
                "answer with its OpenID metadata; authority_host is the scheme and host only "
                f"(e.g. https://login.microsoftonline.com) and tenant_id the tenant ({first})"
            ) from None

    def _result(self, result: dict) -> str:
        if "access_token" in result:
            return result["access_token"]
        code = result.get("error", "unknown_error")
        desc = (result.get("error_description") or "").splitlines()[0][:300] if result else ""
        codes = [str(c) for c in result.get("error_codes") or []]
        if not codes and desc.startswith("AADSTS"):
            codes = [desc[6:].split(":")[0]]
        aad = f" (AADSTS{codes[0]})" if codes else ""
        hint = next((AADSTS_HINTS[c] for c in codes if c in AADSTS_HINTS), "")
        raise GraphAuthError(
            f"{self.what} at {self.host} failed: {code}{aad}: {hint or desc or 'no description'}"
        )


class AppOnlyTokens(_MsalTokens):
    """Client-credentials tokens (the app's own identity)."""

    what = "app-only sign-in"

    def __init__(
        self,
        tenant: str,
        client_id: str,
        authority_host: str,
        resource: str,
        secret: str | None = None,
        certificate: dict | None = None,
        verify: bool | str = True,
        cache_path: Path | None = None,
    ) -> None:
        if not secret and not certificate:
            raise GraphAuthError("app-only auth needs a client secret or a certificate")
        self.credential = secret or certificate
        super().__init__(
            tenant,
            client_id,
            authority_host,
            resource,
            cache_path,
            verify,
            [f"{resource.rstrip('/')}/.default"],
        )

    def _build(self, cache: Any = None) -> Any:
        import msal

        return msal.ConfidentialClientApplication(
            self.client_id,
            authority=self.authority,
            client_credential=self.credential,
            token_cache=cache or self.cache,
            http_client=self.session,
            instance_discovery=False,
        )

    def _acquire(self, fresh: bool = False) -> dict:
        if fresh:  # an application with an empty cache: a real sign-in
            import msal

            app = self._call(
                "reading the authority's metadata", lambda: self._build(msal.TokenCache())
            )
        else:
            app = self.app
        return self._call(
            "getting a token", lambda: app.acquire_token_for_client(scopes=self.scopes)
        )

    def permissions(self, fresh: bool = False) -> set[str]:
        """The application permissions (``roles``) the admin granted the app."""
        return set(self.claims(fresh).get("roles") or [])


class DelegatedTokens(_MsalTokens):
    """Tokens of one signed-in engineer; the refresh token lives in an owner-only file."""

    what = "delegated sign-in"
    SCOPES = ("Mail.ReadWrite", "Mail.Send", "MailboxSettings.ReadWrite")

    def __init__(
        self,
        tenant: str,
        client_id: str,
        authority_host: str,
        resource: str,
        cache_path: Path,
        verify: bool | str = True,
        scopes: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(
            tenant,
            client_id,
            authority_host,
            resource,
            cache_path,
            verify,
            [f"{resource.rstrip('/')}/{s}" for s in (scopes or self.SCOPES)],
        )

    def _save(self) -> None:
        _save_cache(self.cache, self.store)

    def _build(self) -> Any:
        import msal

        return msal.PublicClientApplication(
            self.client_id,
            authority=self.authority,
            token_cache=self.cache,
            http_client=self.session,
            instance_discovery=False,
        )

    def _acquire(self, fresh: bool = False) -> dict:
        if not self.cache.search(self.cache.CredentialType.REFRESH_TOKEN):
            raise GraphAuthError("nobody is signed in: run `mailbot login --config FILE` once")
        accounts = self._call("reading the signed-in account", self.app.get_accounts)
        if not accounts:
            raise GraphAuthError("nobody is signed in: run `mailbot login --config FILE` once")
        result = self._call(
            "renewing the token",
            lambda: self.app.acquire_token_silent(
                self.scopes, account=accounts[0], force_refresh=fresh
            ),
        )
        if not result:
            raise GraphAuthError("the sign-in has expired: run `mailbot login --config FILE` again")
        return result

    def permissions(self, fresh: bool = False) -> set[str]:
        """The delegated scopes (``scp``) the engineer consented to, without the resource."""
        return set(str(self.claims(fresh).get("scp") or "").split())

    def login(self, show) -> str:  # type: ignore[no-untyped-def]
        """Device-code sign-in; ``show`` prints the code and URL for the engineer."""
        flow = self._call(
            "starting the device sign-in",
            lambda: self.app.initiate_device_flow(scopes=self.scopes),
        )
        if "user_code" not in flow:
            self._result({"error": flow.get("error", "device_flow_refused"), **flow})
        show(flow["message"])
        result = self._call(
            "completing the device sign-in", lambda: self.app.acquire_token_by_device_flow(flow)
        )
        token = self._result(result)
        self._token = (token, time.time() + int(result.get("expires_in") or 3600))
        self._save()
        return token
