"""One EWS operation at a time, with bounded, logged retries and errors that name the cause.

What is retried: Exchange's explicit refusals (``ErrorServerBusy`` with its
BackOffMilliseconds, HTTP 429/503 with Retry-After, too many objects open). A refused
request was not carried out, so repeating it cannot duplicate anything. A dropped
connection or an unreachable server is not retried here: the daemon's next run is the
retry, and for a send it proves nothing, so the outbox settles it by looking in Sent
Items (R26). A 401 stops at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TypeVar

import structlog
from exchangelib.errors import (
    AutoDiscoverFailed,
    ErrorAccessDenied,
    ErrorImpersonateUserDenied,
    ErrorInternalServerTransientError,
    ErrorMailboxMoveInProgress,
    ErrorNonExistentMailbox,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    ErrorTooManyObjectsOpened,
    MalformedResponseError,
    TransportError,
    UnauthorizedError,
)

from mailbot import metrics
from mailbot.mailbox.port import MailboxError

log = structlog.get_logger("mailbot.ews")
T = TypeVar("T")
MAX_RETRIES = 5
MAX_WAIT = 300.0
REFUSALS = (
    ErrorServerBusy,
    ErrorTooManyObjectsOpened,
    ErrorInternalServerTransientError,
    ErrorMailboxMoveInProgress,
)


class EwsAuthError(MailboxError):
    """Exchange refused the credentials (401) or the sign-in failed: retrying cannot help."""

    def __init__(self, message: str, not_sent: bool = False) -> None:
        super().__init__(message, not_sent=not_sent, unreachable=True)


class EwsPermissionError(MailboxError):
    """Signed in, but without the right to this mailbox (impersonation, delegate access)."""

    def __init__(self, message: str, not_sent: bool = False) -> None:
        super().__init__(message, not_sent=not_sent, unreachable=True)


def describe(exc: BaseException) -> str:
    """One line for the engineer or admin: what failed, never a secret."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    if isinstance(exc, UnauthorizedError):
        return "sign-in refused (401): check the username, password_env and auth type"
    if isinstance(exc, ErrorImpersonateUserDenied):
        return "permission missing: the account may not impersonate this mailbox (ApplicationImpersonation role)"
    if isinstance(exc, ErrorNonExistentMailbox):
        return "no such mailbox: check [mailbox.ews] email"
    if isinstance(exc, ErrorAccessDenied):
        return "permission missing: access denied to this mailbox or folder (delegate rights)"
    if isinstance(exc, AutoDiscoverFailed):
        return "autodiscover failed: set service_endpoint to the EWS URL instead"
    if isinstance(exc, MalformedResponseError):
        found = re.search(r"Code: (\d{3})", str(exc))
        status = f"HTTP {found.group(1)}" if found else "something"
        return (
            f"the server answered {status} with a page that is not an EWS reply "
            "(Exchange or a proxy in front of it failed; check the server, or service_endpoint)"
        )
    if isinstance(exc, TransportError) and ("SSL" in text or "certificate" in text.lower()):
        return "TLS verification failed (set ca_bundle if your network inspects TLS)"
    if isinstance(exc, ErrorTimeoutExpired | ErrorServerBusy) and "Reraised from" in text:
        return "cannot reach the server (network or DNS): " + text.split("(")[0].replace(
            "Reraised from ", ""
        )
    return f"{type(exc).__name__}: {text}"


class Caller:
    """Runs operations; counts them (for the logs and the benchmark) and sleeps through
    an injectable function (tests travel in time, they never sleep)."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self.operations = 0

    def __call__(self, what: str, fn: Callable[[], T], *, sends: bool = False) -> T:
        """Run ``fn``, retrying Exchange's refusals a bounded number of times. For a send
        (``sends``) only a refusal Exchange itself answered is retried: an HTTP 503 from a
        front end proves nothing, so the outbox settles it by looking in Sent Items."""
        for attempt in range(MAX_RETRIES + 1):
            self.operations += 1
            try:
                return fn()
            except UnauthorizedError as exc:
                raise EwsAuthError(f"{what}: {describe(exc)}") from None
            except (ErrorImpersonateUserDenied, ErrorAccessDenied, ErrorNonExistentMailbox) as exc:
                raise EwsPermissionError(f"{what}: {describe(exc)}", not_sent=True) from None
            except MalformedResponseError as exc:  # an HTML error page, not SOAP
                raise MailboxError(f"{what}: {describe(exc)}", unreachable=True) from None
            except REFUSALS as exc:
                if "Reraised from" in str(exc):  # a connection problem, not a refusal
                    raise MailboxError(f"{what}: {describe(exc)}", unreachable=True) from None
                if sends and str(exc) == "HTTP 503":
                    raise MailboxError(f"{what}: HTTP 503; whether it left is checked") from None
                if attempt == MAX_RETRIES:
                    raise MailboxError(
                        f"{what}: Exchange still busy after {MAX_RETRIES} retries", not_sent=True
                    ) from None
                self._wait(attempt, getattr(exc, "back_off", None), what, type(exc).__name__)
            except ErrorTimeoutExpired as exc:
                # Unreachable, or the connection dropped mid-request: not retried here (the
                # daemon's next run is the retry), and for a send it proves nothing.
                raise MailboxError(f"{what}: {describe(exc)}", unreachable=True) from None
            except TransportError as exc:
                if type(exc) is not TransportError:  # an EWS answer (e.g. item not found):
                    raise  # the adapter decides what it means
                # TLS and the like
                raise MailboxError(f"{what}: {describe(exc)}", unreachable=True) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, hint: float | None, what: str, why: str) -> None:
        wait = hint if hint and hint > 0 else 2.0 * (2**attempt)
        wait = min(wait, MAX_WAIT)
        metrics.throttle_wait(wait)
        log.warning(
            "exchange busy or unreachable; waiting",
            operation=what,
            why=why,
            seconds=wait,
            attempt=attempt + 1,
        )
        self.sleep(wait)
