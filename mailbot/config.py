"""The settings the rest of mailbot reads: typed, frozen dataclasses, and how a TOML
file becomes them.

This module is the interface (:class:`Settings` and its parts, :class:`ConfigError`,
:func:`load`, :func:`parse`) and stays import-light: the file's schema, its pydantic v2
models and the checks live in :mod:`mailbot.config_models`, imported when a file is
parsed. Every problem is one :class:`ConfigError` naming the file, the dotted key and
why, so ``mailbot check`` prints one line and exits 2. Secrets never live in the file:
``*_env`` keys name an environment variable and the value is read from it
(docs/config.md has the rules).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from mailbot.domain.kinds import MailKind
from mailbot.domain.settings import CalendarSettings, Organisation, Policy

DEFAULT_CASE_PATTERNS = (r"TrackingID#(\d{16})", r"(?<![\d#])(\d{16})(?!\d)")
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
SIGNATURE_FIELDS = (
    "name",
    "email",
    "title",
    "team",
    "working_hours",
    "phone",
    "manager_name",
    "manager_email",
)
EMAIL_RE = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


class ConfigError(Exception):
    """A configuration problem: which file, which key, and why."""

    def __init__(self, file: str, key: str, why: str) -> None:
        super().__init__(f"{file}: [{key}] {why}")
        self.file, self.key, self.why = file, key, why


@dataclass(frozen=True)
class Engineer:
    """The engineer's profile; every field is part of the signature (R24)."""

    name: str
    email: str
    title: str
    team: str
    working_hours: str
    phone: str
    manager_name: str
    manager_email: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True)
class Folders:
    inbox: str = "INBOX"
    sent: str = "Sent Items"
    awaiting_approval: str = "Mailbot/Awaiting Approval"
    approved: str = "Mailbot/Approved"
    rejected: str = "Mailbot/Rejected"
    not_sent: str = "Mailbot/Not sent"  # stale, failed and superseded drafts, with a note why


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None = field(repr=False)
    ca_bundle: Path | None = None  # verify the server's certificate against this CA file
    implicit_tls: bool = False  # TLS from the first byte (port 465) instead of STARTTLS


@dataclass(frozen=True)
class GraphSettings:
    """Exchange Online through Microsoft Graph (see mailbot/mailbox/graph)."""

    user: str
    tenant_id: str
    client_id: str
    auth: str  # "app" (client credentials) or "delegated" (device-code sign-in)
    endpoint: str
    authority_host: str
    token_cache: Path
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: Path | None = None
    certificate_thumbprint: str | None = None
    ca_bundle: Path | None = None


@dataclass(frozen=True)
class EwsSettings:
    """Exchange Server or Exchange Online through EWS (see mailbot/mailbox/ews)."""

    email: str  # the mailbox's primary SMTP address
    auth: str  # "ntlm", "basic", "oauth-app" (client credentials) or "oauth-delegated"
    access: str  # "delegate" or "impersonation"
    service_endpoint: str | None  # explicit EWS URL; None means autodiscover
    version: str | None  # a fixed Exchange version ("2016", "15.1.2507.6"); None: ask the server
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: Path | None = None
    certificate_thumbprint: str | None = None
    authority_host: str = "https://login.microsoftonline.com"
    oauth_resource: str = "https://outlook.office365.com"
    token_cache: Path | None = None
    ca_bundle: Path | None = None


@dataclass(frozen=True)
class MailboxSettings:
    kind: str
    folders: Folders
    maildir_path: Path | None = None
    send_via: str = "pickup"
    pickup_dir: Path | None = None
    smtp: SmtpSettings | None = None
    graph: GraphSettings | None = None
    ews: EwsSettings | None = None
    flag_reminders: bool = True  # reminders flagged for follow-up (Outlook To Do, \Flagged)
    daily_recipient_limit: int = 10000  # recipients per rolling 24 hours (Exchange Online)


@dataclass(frozen=True)
class Settings:
    source: str
    engineer: Engineer
    calendar: CalendarSettings
    support_address: str
    internal_domains: frozenset[str]
    case_patterns: tuple[re.Pattern[str], ...]
    mailbox: MailboxSettings
    database_url: str
    data_dir: Path
    policy: Policy
    approval_required: dict[MailKind, bool]
    poll_seconds: int = 60
    metrics_address: str = ""  # loopback host:port for Prometheus metrics and /healthz; "" off
    summary_enabled: bool = True  # R29
    summary_recipients: tuple[str, ...] = ()
    summary_weekday: int = 0
    summary_time: time = time(8, 0)
    languages: tuple[str, ...] = ("en", "de", "fr", "es")  # for dates customers write
    categories: dict[str, str] = field(default_factory=lambda: dict(CATEGORY_DEFAULTS))
    # The calendar's public holidays as the config snapshot holds them ({"years": [first,
    # last], "days": {ISO date: name}}), when the loader had them from the holidays
    # cache or worked them out for it; None: the calendar asks the package.
    public_holidays: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def requires_approval(self, kind: MailKind) -> bool:
        return self.approval_required.get(kind, True)

    @property
    def organisation(self) -> Organisation:
        """Who is not the customer (the timeline needs it to tell people apart)."""
        return Organisation(
            self.engineer.email.lower(), self.support_address, self.internal_domains
        )


# Outlook categories (matched in the Keywords of the engineer's mail, case-insensitive,
# as a part of the category name, so "Mailbot: Pause" matches "pause"): signal → label.
CATEGORY_DEFAULTS = {
    "solution_delivered": "solution delivered",
    "waiting_info": "waiting for customer",
    "researching": "researching",
    "called-reached": "called - reached",
    "called-voicemail": "called - voicemail",
    "collaboration": "collaboration",
    "premier": "premier",
    "upset": "upset",
    "pause": "pause",
}


def load(path: str | os.PathLike[str]) -> Settings:
    """Read, validate and return the settings, or raise :class:`ConfigError`."""
    return load_with_source(path)[0]


def load_with_source(
    path: str | os.PathLike[str], holidays: Any = None
) -> tuple[Settings, bytes, dict[str, Any]]:
    """:func:`load`, also returning the bytes and the document it validated (the CLI's
    config snapshot, :mod:`mailbot.snapshot`, is fingerprinted on exactly those).
    ``holidays``: the CLI's :class:`mailbot.snapshot.HolidayCache`, asked before the
    holidays package (which is then not loaded at all)."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(file, "-", "file not found") from None
    except OSError as exc:
        raise ConfigError(file, "-", f"cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(file, "-", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "-", f"is not valid TOML: {exc}") from None
    base = Path(path).resolve().parent
    return parse(data, file=file, base=base, holidays=holidays), raw, data


def parse(
    data: dict[str, Any], file: str = "<config>", base: Path | None = None, holidays: Any = None
) -> Settings:
    """Validate an already-decoded TOML document (used by tests and the demo).

    A ``None`` value counts as an absent key (TOML has no null; tests build dicts).
    Relative paths are resolved against ``base`` (the config file's folder)."""
    from mailbot import config_models

    return config_models.build(data, file=file, base=base or Path.cwd(), holidays=holidays)
