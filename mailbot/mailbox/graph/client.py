"""A small synchronous Graph client: immutable ids on every request, bounded retries
that honour Retry-After on 429/503/504, clear errors for 401/403, JSON batching, and a
request counter for the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
import structlog

from mailbot import metrics
from mailbot.mailbox.graph.auth import (
    GraphAuthError,
    TlsSession,
    TokenProvider,
    ca_of,
    unreachable,
)
from mailbot.mailbox.port import MailboxError

log = structlog.get_logger("mailbot.graph")
RETRY_STATUS = (429, 503, 504)
MAX_RETRIES = 5
MAX_WAIT = 120.0
BATCH_LIMIT = 20  # Graph's $batch limit


class GraphError(MailboxError):
    """Graph answered with an error (``status`` 0: no answer at all). Unreachable when
    there was no answer or the service failed (5xx): not the fault of one message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(
            f"Graph {status} {code}: {message}", unreachable=status == 0 or status >= 500
        )
        self.status, self.code = status, code


class GraphPermissionError(GraphError):
    """403: the app or the signed-in engineer lacks a permission or admin consent."""


class GraphClient:
    def __init__(
        self,
        endpoint: str,
        user: str,
        tokens: TokenProvider,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = 100,
    ) -> None:
        self.base = f"{endpoint.rstrip('/')}/v1.0"
        self.user_path = f"/users/{user}"
        self.tokens = tokens
        self.session = TlsSession(ca_of(verify))  # ca_bundle wins over REQUESTS_CA_BUNDLE
        self.sleep = sleep
        self.page_size = page_size
        self.requests = 0  # every HTTP request to Graph, retries included

    def url(self, path: str) -> str:
        if path.startswith("https://"):
            return path
        return f"{self.base}{path}"

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.tokens.token()}",
            "Prefer": 'IdType="ImmutableId"',
            "Accept": "application/json",
        }
        if extra:
            for k, v in extra.items():
                headers[k] = f"{headers[k]}, {v}" if k == "Prefer" else v
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        for attempt in range(MAX_RETRIES + 1):
            self.requests += 1
            metrics.mailbox_request(_operation(method, path))
            try:
                resp = self.session.request(
                    method,
                    self.url(path),
                    json=json,
                    data=data,
                    params=params,
                    headers=self._headers(headers),
                    timeout=60,
                )
            except requests.ConnectionError as exc:
                url = requests.utils.urlparse(self.base)
                why = unreachable(url.hostname or "", url.port or 443, exc)
                if attempt == MAX_RETRIES or "TLS" in why or "DNS" in why:
                    raise GraphError(0, "connection", why) from None
                self._wait(attempt, None, "connection error")
                continue
            if resp.status_code in RETRY_STATUS and attempt < MAX_RETRIES:
                self._wait(attempt, resp.headers.get("Retry-After"), f"HTTP {resp.status_code}")
                continue
            if resp.status_code >= 400:
                raise self._error(resp)
            return resp
        raise GraphError(
            429, "throttled", "gave up after retries"
        )  # pragma: no cover - loop always returns

    def _wait(self, attempt: int, retry_after: str | None, why: str) -> None:
        try:
            wait = float(retry_after) if retry_after else 2.0 * (2**attempt)
        except ValueError:
            wait = 2.0 * (2**attempt)
        wait = min(max(wait, 0.0), MAX_WAIT)
        log.warning(
            "graph throttled or unavailable; waiting", why=why, seconds=wait, attempt=attempt + 1
        )
        metrics.throttle_wait(wait)
        self.sleep(wait)

    @staticmethod
    def _error(resp: requests.Response) -> GraphError:
        try:
            err = resp.json().get("error", {})
        except ValueError:
            err = {}
        code, message = err.get("code", "unknown"), (err.get("message") or "")[:300]
        if resp.status_code == 401:
            raise GraphAuthError(
                f"Graph refused the token (401 {code}): check the tenant, the app registration and its secret or certificate"
            )
        if resp.status_code == 403:
            return GraphPermissionError(
                403,
                code,
                f"{message} - the app needs Mail.ReadWrite and Mail.Send "
                "(application permissions with admin consent and an RBAC scope for this mailbox, "
                "or delegated permissions consented by the engineer)",
            )
        return GraphError(resp.status_code, code, message)

    # -- conveniences ---------------------------------------------------------------------
    def get(self, path: str, **kw: Any) -> dict:
        return self.request("GET", path, **kw).json()

    def post(self, path: str, body: Any = None, **kw: Any) -> dict:
        resp = self.request("POST", path, json=body, **kw)
        return resp.json() if resp.content else {}

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[dict]:
        """Every page of a collection; yields page dicts (with their @odata links)."""
        url: str | None = path
        first = True
        while url:
            page = self.get(
                url,
                params=params if first else None,
                headers={"Prefer": f"odata.maxpagesize={self.page_size}"},
            )
            first = False
            yield page
            url = page.get("@odata.nextLink")

    def batch(self, requests_: list[dict]) -> list[dict]:
        """Run GET/POST sub-requests in $batch calls of 20; returns responses in order.
        Inner 429s are retried (Graph can throttle inside a 200 batch)."""
        out: list[dict | None] = [None] * len(requests_)
        pending = list(range(len(requests_)))
        for attempt in range(MAX_RETRIES + 1):
            retry: list[int] = []
            wait_hint = None
            for start in range(0, len(pending), BATCH_LIMIT):
                chunk = pending[start : start + BATCH_LIMIT]
                body = {"requests": [{"id": str(i), **requests_[i]} for i in chunk]}
                resp = self.post("/$batch", body)
                for item in resp.get("responses", []):
                    i = int(item["id"])
                    if item.get("status") in RETRY_STATUS:
                        retry.append(i)
                        wait_hint = (item.get("headers") or {}).get("Retry-After", wait_hint)
                    else:
                        out[i] = item
            if not retry:
                break
            if attempt == MAX_RETRIES:
                raise GraphError(429, "throttled", f"{len(retry)} batched requests still throttled")
            self._wait(attempt, wait_hint, "throttled inside $batch")
            pending = sorted(retry)
        return [o or {} for o in out]


_OPERATIONS = frozenset(
    {
        "$batch",
        "delta",
        "send",
        "createReply",
        "move",
        "copy",
        "messages",
        "mailFolders",
        "childFolders",
        "attachments",
        "mailboxSettings",
        "masterCategories",
        "outlook",
    }
)


def _operation(method: str, path: str) -> str:
    """A request's kind for metrics ("GET delta", "POST $batch", "POST send"): the last
    path word from a fixed set, so no id, folder name or address becomes a label."""
    words = [w.split("(")[0] for w in path.split("?")[0].split("/") if w]
    kind = next((w for w in reversed(words) if w in _OPERATIONS), "other")
    return f"{method} {kind}"
