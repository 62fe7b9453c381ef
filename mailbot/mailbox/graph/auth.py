"""OAuth tokens with msal, for Graph and for EWS (the resource differs: graph.microsoft.com
or outlook.office365.com; ``expires_in`` of the last token lets EWS refresh ahead of time).

- App-only (client credentials, a secret or a certificate): the admin scopes the app to
  the engineer's mailbox (RBAC for Applications in Exchange Online).
- Delegated (device-code sign-in once with ``mailbot login``, then silent refresh from
  a token cache persisted with owner-only permissions).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from mailbot.mailbox.port import MailboxError


class GraphAuthError(MailboxError):
    """No token: what failed and what to do, never a secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message, unreachable=True)


class TokenProvider(Protocol):
    def token(self) -> str: ...


def _http(verify: bool | str):  # type: ignore[no-untyped-def]
    """The HTTP session msal signs in through (TLS verification on, or a CA bundle)."""
    import requests

    session = requests.Session()
    session.verify = verify
    return session


def _raise_for(result: dict, what: str) -> str:
    if "access_token" in result:
        return result["access_token"]
    code = result.get("error", "unknown_error")
    desc = (result.get("error_description") or "").splitlines()[0][:300]
    raise GraphAuthError(f"{what} failed: {code}: {desc}")


class AppOnlyTokens:
    """Client-credentials tokens (the app's own identity), cached in memory by msal."""

    def __init__(
        self,
        tenant: str,
        client_id: str,
        authority_host: str,
        graph_endpoint: str,
        secret: str | None = None,
        certificate: dict | None = None,
        verify: bool | str = True,
    ) -> None:
        import msal

        if not secret and not certificate:
            raise GraphAuthError("app-only auth needs a client secret or a certificate")
        self.scopes = [f"{graph_endpoint}/.default"]
        self.expires_in = 3600
        self.app = msal.ConfidentialClientApplication(
            client_id,
            authority=f"{authority_host}/{tenant}",
            client_credential=secret or certificate,
            http_client=_http(verify),
        )

    def token(self) -> str:
        result = self.app.acquire_token_for_client(scopes=self.scopes)
        self.expires_in = int(result.get("expires_in") or 3600)
        return _raise_for(result, "app-only sign-in")


class DelegatedTokens:
    """Tokens of one signed-in engineer; the refresh token lives in an owner-only file."""

    SCOPES = ("Mail.ReadWrite", "Mail.Send", "MailboxSettings.ReadWrite")

    def __init__(
        self,
        tenant: str,
        client_id: str,
        authority_host: str,
        graph_endpoint: str,
        cache_path: Path,
        verify: bool | str = True,
        scopes: tuple[str, ...] | None = None,
    ) -> None:
        import msal

        self.cache_path = cache_path
        self.expires_in = 3600
        self.cache = msal.SerializableTokenCache()
        if cache_path.exists():
            self.cache.deserialize(cache_path.read_text(encoding="utf-8"))
        self.scopes = [f"{graph_endpoint}/{s}" for s in (scopes or self.SCOPES)]
        self.app = msal.PublicClientApplication(
            client_id,
            authority=f"{authority_host}/{tenant}",
            token_cache=self.cache,
            http_client=_http(verify),
        )

    def _save(self) -> None:
        if not self.cache.has_state_changed:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.cache_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.cache.serialize())
        os.chmod(self.cache_path, 0o600)

    def token(self) -> str:
        accounts = self.app.get_accounts()
        if not accounts:
            raise GraphAuthError("nobody is signed in: run `mailbot login --config FILE` once")
        result = self.app.acquire_token_silent(self.scopes, account=accounts[0])
        if not result:
            raise GraphAuthError("the sign-in has expired: run `mailbot login --config FILE` again")
        self.expires_in = int(result.get("expires_in") or 3600)
        self._save()
        return _raise_for(result, "silent token refresh")

    def login(self, show) -> str:  # type: ignore[no-untyped-def]
        """Device-code sign-in; ``show`` prints the code and URL for the engineer."""
        flow = self.app.initiate_device_flow(scopes=self.scopes)
        if "user_code" not in flow:
            raise GraphAuthError(
                f"device sign-in could not start: {flow.get('error_description', flow.get('error'))}"
            )
        show(flow["message"])
        token = _raise_for(self.app.acquire_token_by_device_flow(flow), "device sign-in")
        self._save()
        return token
