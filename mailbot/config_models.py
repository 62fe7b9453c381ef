"""The config file's schema as pydantic v2 models, and how a file becomes
:class:`mailbot.config.Settings`.

Three steps, each reporting one :class:`~mailbot.config.ConfigError` (file, dotted key,
why):

1. the raw document is searched for secrets (a key named like one, a private key in a
   value), anywhere, before anything else;
2. :class:`ConfigFile` validates the document: types, choices, formats, unknown keys
   (with the nearest valid name), sections and keys that do not apply to the chosen
   kind, TLS and https rules, folder names;
3. :func:`build` turns the validated models into the frozen dataclasses of
   :mod:`mailbot.config`: paths resolved against the config file's folder, secrets read
   from the environment, files checked, regexes compiled, the time zone loaded.

The models describe the file, not the program: every field is a TOML key with its
description, and :func:`schema` is the JSON Schema of config/mailbot.schema.json
(``scripts/config-schema`` writes it; a test fails when it is stale). Rules across keys
(what applies to which kind) are the loader's and are not in the schema. docs/config.md
gives the reasons.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args
from urllib.parse import parse_qs, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema

from mailbot.config import (
    CATEGORY_DEFAULTS,
    DEFAULT_CASE_PATTERNS,
    EMAIL_RE,
    SIGNATURE_FIELDS,
    WEEKDAYS,
    ConfigError,
    EwsSettings,
    Folders,
    GraphSettings,
    MailboxSettings,
    Settings,
    SmtpSettings,
)
from mailbot.config import Engineer as EngineerSettings
from mailbot.domain.kinds import APPROVAL_DEFAULTS, MailKind
from mailbot.domain.settings import CalendarSettings, Policy
from mailbot.exchange import CLOUDS, parse_version


class KeyProblem(ValueError):
    """A problem found by a check that sees a whole section: ``key`` is the key inside
    that section the problem belongs to."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(why)
        self.key = key


# --- value types: each says why a value is refused, and what the schema allows --------


def _string(check: Any, **schema: Any) -> Any:
    """A string type checked by ``check`` (which raises ValueError with the reason)."""
    return Annotated[str, AfterValidator(check), WithJsonSchema({"type": "string", **schema})]


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if "\r" in value or "\n" in value:
        raise ValueError("must be a single line")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not hold control characters")
    return value


SINGLE_LINE = r"^[^\r\n]*\S[^\r\n]*$"
Text = _string(_text, minLength=1, pattern=SINGLE_LINE)


def _email(value: str) -> str:
    _text(value)
    if not EMAIL_RE.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


Email = _string(_email, pattern=EMAIL_RE.pattern)

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _env_name(value: str) -> str:
    if not re.fullmatch(ENV_NAME, value):
        raise ValueError(
            "must be the name of an environment variable (letters, digits and _), "
            "never the secret itself"
        )
    return value


EnvName = _string(_env_name, pattern=ENV_NAME)


KEYRING_SERVICE = "mailbot"


def _from_keyring(var: str) -> str | None:
    """A secret kept in the OS keyring under (``mailbot``, ``var``), or None when the
    keyring package is not installed, has no usable backend, or has no such entry."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, var)
    except (KeyringError, RuntimeError):  # no backend on a headless machine
        return None


def _timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    _text(value)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin") from None
    return value


TimeZoneName = _string(_timezone, minLength=1)


def _language(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}", value):
        raise ValueError(f"{value!r} is not a two-letter language code like 'de'")
    return value


Language = _string(_language, pattern=r"^[a-z]{2}$")


def _case_pattern(value: str) -> str:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    if compiled.groups < 1:
        raise ValueError(f"{value!r} needs one group that captures the number")
    return value


CasePattern = _string(_case_pattern, minLength=1)

DOMAIN = r"^@?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"


def _domain(value: str) -> str:
    if not re.fullmatch(DOMAIN, value):
        raise ValueError(f"{value!r} is not a mail domain like contoso.example")
    return value


Domain = _string(_domain, pattern=DOMAIN)


def _host(value: str) -> str:
    _text(value)
    if "://" in value or "/" in value or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} must be a host name or address, not a URL")
    return value


Host = _string(_host, pattern=r"^[^/\s]+$")

# A folder path: parts separated by "/", none empty, none "." or "..".
FOLDER = r"^(?!.*(^|/)\.{1,2}(/|$))[^/\r\n]+(/[^/\r\n]+)*$"


def _folder(value: str) -> str:
    """The rules for every mailbox kind (Maildir adds its own, see Mailbox)."""
    _text(value)
    if value.startswith("/") or value.endswith("/"):
        raise ValueError(f"{value!r} must not start or end with /")
    parts = value.split("/")
    if "" in parts:
        raise ValueError(f"{value!r} has an empty part (//)")
    for part in parts:
        if part in (".", ".."):
            raise ValueError(f"{value!r} has a part {part!r}; folders are not relative paths")
        if part != part.strip():
            raise ValueError(f"{value!r}: the part {part!r} starts or ends with a space")
    return value


FolderName = _string(_folder, pattern=FOLDER)


def _https(value: str, *, host_only: bool, example: str, path_hint: str = "") -> str:
    _text(value)
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError(f"{value!r} is not a URL") from None
    if url.scheme.lower() != "https" or not url.hostname:
        raise ValueError(
            f"must be an https:// URL such as {example} (credentials and tokens never travel in clear)"
        )
    if url.username is not None or url.password is not None:
        raise ValueError("must not carry a user name or password; secrets never go in the file")
    if url.query or url.fragment:
        raise ValueError(f"must not have a query or fragment; use a URL such as {example}")
    if host_only and url.path not in ("", "/"):
        raise ValueError(
            f"give the scheme and host only: {url.scheme}://{url.netloc}{path_hint}; "
            f"{url.path!r} must go"
        )
    return value


HTTPS_HOST = r"^https://[^/?#@\s]+/?$"


def _https_type(example: str, path_hint: str = "", host_only: bool = True) -> Any:
    """An https URL type: scheme + host only (a host, as Graph and sign-in hosts are
    written), or a full URL with its path (the EWS endpoint)."""
    pattern = HTTPS_HOST if host_only else r"^https://[^/?#@\s]+(/[^?#\s]*)?$"
    return _string(
        lambda v: _https(v, host_only=host_only, example=example, path_hint=path_hint),
        pattern=pattern,
    )


GraphEndpoint = _https_type("https://graph.microsoft.com", " (mailbot adds /v1.0 itself)")
AuthorityHost = _https_type(
    "https://login.microsoftonline.com", " (the tenant comes from tenant_id)"
)
ResourceHost = _https_type("https://outlook.office365.com")
EwsUrl = _https_type("https://mail.contoso.example/EWS/Exchange.asmx", host_only=False)


def _version(value: str) -> str:
    _text(value)
    parse_version(value)  # its ValueError says which versions exist
    return value


EwsVersion = _string(_version, minLength=1)


def _hhmm(value: Any) -> Any:
    """``"09:00"`` (or a TOML local time) → :class:`datetime.time`."""
    if isinstance(value, str):
        if not re.fullmatch(r"\d{1,2}:\d{2}", value):
            raise ValueError('must be a time like "09:00"')
        hours, minutes = (int(p) for p in value.split(":"))
        if hours > 23 or minutes > 59:
            raise ValueError(f"{value!r} is not a time of day")
        return time(hours, minutes)
    return value


ClockTime = Annotated[
    time,
    BeforeValidator(_hhmm),
    WithJsonSchema({"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$"}),
]


def _clock(default: time, description: str) -> Any:
    """A time key's field: its default shown in the schema as the file writes it."""
    return Field(
        default, description=description, json_schema_extra={"default": f"{default:%H:%M}"}
    )


def _day(value: Any) -> Any:
    """``"2026-12-24"`` (or a TOML local date) → :class:`datetime.date`."""
    if isinstance(value, datetime) or (
        isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    ):
        raise ValueError(f"{str(value)!r} is not a date like 2026-12-24")
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date like 2026-12-24") from None
    return value


Day = Annotated[
    date,
    BeforeValidator(_day),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]

WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _weekday(value: Any) -> Any:
    if isinstance(value, str) and value not in WEEKDAYS:
        raise ValueError(f"{value!r} is not a weekday; use mon, tue, wed, thu, fri, sat or sun")
    return value


Weekday = Annotated[WeekdayName, BeforeValidator(_weekday)]


def _not_empty(items: list[Any]) -> list[Any]:
    if not items:
        raise ValueError("must name at least one")
    return items


# --- sections ----------------------------------------------------------------------


class Section(BaseModel):
    """A TOML table: strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # how an unknown key of this table is called in an error ("unknown key; ...")
    unknown_noun: ClassVar[str] = "key"


def _raw(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


class Engineer(Section):
    """The engineer's profile: every field is printed in the signature (R24)."""

    name: Text = Field(description="Full name, as signed.")
    email: Email = Field(description="The engineer's address (the mailbox's own).")
    title: Text = Field(description="Job title.")
    team: Text = Field(description="Team name.")
    working_hours: Text = Field(description='Working hours as shown, e.g. "Mon-Fri 09:00-17:00".')
    phone: Text = Field(description="Phone number.")
    manager_name: Text = Field(description="The manager's name.")
    manager_email: Email = Field(description="The manager's address (summary, R14).")


class Calendar(Section):
    """Business time (R23): nothing goes to a customer outside it."""

    timezone: TimeZoneName = Field(description="IANA time zone, e.g. Europe/Berlin.")
    country: Text = Field(description="Country for public holidays (ISO code, `holidays`).")
    subdivision: Text | None = Field(None, description="State or province code, optional.")
    workdays: Annotated[list[Weekday], AfterValidator(_not_empty)] = Field(
        ["mon", "tue", "wed", "thu", "fri"], description="Working days (mon..sun)."
    )
    start: ClockTime = _clock(time(9, 0), 'Start of the working day, "HH:MM".')
    end: ClockTime = _clock(time(17, 0), 'End of the working day, "HH:MM".')
    extra_days_off: list[Day] = Field([], description="Own days off, YYYY-MM-DD.")

    @model_validator(mode="after")
    def _order(self) -> Calendar:
        if self.end <= self.start:
            raise KeyProblem("end", "must be later than start")
        return self


class Cases(Section):
    """Which mail belongs to a case (R01) and who is not the customer."""

    support_address: Email = Field(description="The support address copied on case mail.")
    case_number_patterns: list[CasePattern] = Field(
        list(DEFAULT_CASE_PATTERNS),
        description="Regular expressions; the first group is the case number.",
    )
    internal_domains: list[Domain] | None = Field(
        None, description="Domains never taken for the customer (default: the engineer's)."
    )
    languages: Annotated[list[Language], AfterValidator(_not_empty)] = Field(
        ["en", "de", "fr", "es"],
        description="Languages customers write dates in (ISO 639-1).",
    )


class FoldersModel(Section):
    """Folder paths, "/" between levels."""

    model_config = ConfigDict(title="Folders")

    inbox: FolderName = Field(Folders.inbox, description="The Inbox.")
    sent: FolderName = Field(Folders.sent, description="Sent Items.")
    awaiting_approval: FolderName = Field(
        Folders.awaiting_approval, description="Where drafts wait for approval."
    )
    approved: FolderName = Field(Folders.approved, description="Move a draft here to approve.")
    rejected: FolderName = Field(Folders.rejected, description="Move a draft here to reject.")
    not_sent: FolderName = Field(
        Folders.not_sent, description="Drafts that will not go, with a note why."
    )


class Maildir(Section):
    """A local Maildir++ (Dovecot layout)."""

    path: Text = Field(description="Maildir++ root (the Inbox); relative to this file.")
    send: Literal["pickup", "smtp"] = Field(
        "pickup", description='"pickup" (files for your MTA) or "smtp" ([mailbox.smtp]).'
    )
    pickup_dir: Text | None = Field(
        None, description="send = pickup: where <key>.eml files go (default: <path>-outgoing)."
    )


class Smtp(Section):
    """SMTP submission for a Maildir (send = "smtp")."""

    host: Host = Field(description="SMTP server host name or address.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    starttls: bool | None = Field(
        None, description="Upgrade with STARTTLS (default: true unless implicit TLS)."
    )
    implicit_tls: bool | None = Field(
        None, description="TLS from the first byte (default: true on port 465)."
    )
    username: Text | None = Field(None, description="Sign-in name (with password_env).")
    password_env: EnvName | None = Field(
        None, description="Environment variable holding the SMTP password."
    )
    ca_bundle: Text | None = Field(None, description="CA file to verify the server against.")

    @property
    def tls(self) -> tuple[bool, bool]:
        """(starttls, implicit_tls) with the defaults applied."""
        implicit = self.implicit_tls
        if implicit is None:
            implicit = self.port == 465 and self.starttls is not True
        starttls = self.starttls if self.starttls is not None else not implicit
        return starttls, implicit

    @model_validator(mode="after")
    def _transport(self) -> Smtp:
        starttls, implicit = self.tls
        if starttls and implicit:
            raise KeyProblem(
                "starttls",
                "and implicit_tls exclude each other: TLS is either upgraded or implicit",
            )
        if self.password_env and not self.username:
            raise KeyProblem("username", "is required with password_env (the sign-in name)")
        if self.username and not self.password_env:
            raise KeyProblem("password_env", "is required with username (the sign-in password)")
        if self.username and not (starttls or implicit):
            raise KeyProblem(
                "starttls",
                f"must be true to sign in on port {self.port}: a password is never sent in "
                "clear (or use implicit TLS: port 465 or implicit_tls = true)",
            )
        return self


EWS_AUTHORITY = "https://login.microsoftonline.com"
EWS_RESOURCE = "https://outlook.office365.com"
EWS_KEYS_FOR = {
    # key: the auth kinds it applies to
    "username": ("ntlm", "basic"),
    "password_env": ("ntlm", "basic"),
    "tenant_id": ("oauth-app", "oauth-delegated"),
    "client_id": ("oauth-app", "oauth-delegated"),
    "authority_host": ("oauth-app", "oauth-delegated"),
    "oauth_resource": ("oauth-app", "oauth-delegated"),
    "client_secret_env": ("oauth-app",),
    "certificate_path": ("oauth-app",),
    "certificate_thumbprint": ("oauth-app",),
    "token_cache": ("oauth-delegated",),
}
GRAPH_KEYS_FOR = {
    "client_secret_env": ("app",),
    "certificate_path": ("app",),
    "certificate_thumbprint": ("app",),
    "token_cache": ("delegated",),
}


def _keys_apply(data: Any, default: str, table: dict[str, tuple[str, ...]]) -> None:
    """A key meant for another ``auth`` than the chosen one is an error (an unknown
    ``auth`` is left to its own error, which lists the choices)."""
    raw, choice = _raw(data), "auth"
    chosen = raw.get(choice, default)
    valid = {kind for kinds in table.values() for kind in kinds}
    if chosen not in valid:
        return
    for key in raw:
        kinds = table.get(key)
        if kinds and chosen not in kinds:
            only = " and ".join(f'"{k}"' for k in kinds)
            raise KeyProblem(
                key, f'does not apply to {choice} = "{chosen}" (only to {only}); remove it'
            )


def _credential(section: SignIn) -> None:
    """App-only sign-in: a secret or a certificate, exactly one; a thumbprint with it."""
    secret, cert = section.client_secret_env, section.certificate_path
    thumb = section.certificate_thumbprint
    if secret and cert:
        raise KeyProblem("certificate_path", "give client_secret_env or certificate_path, not both")
    if not secret and not cert:
        raise KeyProblem(
            "client_secret_env", "app-only auth needs client_secret_env or certificate_path"
        )
    if cert and not thumb:
        raise KeyProblem("certificate_thumbprint", "is required with certificate_path")
    if thumb and not cert:
        raise KeyProblem("certificate_thumbprint", "does not apply without certificate_path")


class SignIn(Section):
    """What the EWS and Graph sections share: app-only credentials (a secret or a
    certificate), the delegated token cache, a CA bundle; and the rule that a key for
    another ``auth`` than the chosen one does not apply."""

    auth_default: ClassVar[str]
    keys_for: ClassVar[dict[str, tuple[str, ...]]]

    client_secret_env: EnvName | None = Field(
        None, description="App-only: environment variable holding the client secret."
    )
    certificate_path: Text | None = Field(
        None, description="App-only: PEM with the app's certificate and key (no secret)."
    )
    certificate_thumbprint: Text | None = Field(
        None, description="App-only: the certificate's thumbprint."
    )
    token_cache: Text | None = Field(
        None, description="Delegated: token cache file (default: in the data dir)."
    )
    ca_bundle: Text | None = Field(None, description="CA file to verify the server against.")

    @model_validator(mode="before")
    @classmethod
    def _applies(cls, data: Any) -> Any:
        _keys_apply(data, cls.auth_default, cls.keys_for)
        return data


class Ews(SignIn):
    """Exchange Server, hybrid or Exchange Online through EWS (kind = "ews")."""

    auth_default: ClassVar[str] = "ntlm"
    keys_for: ClassVar[dict[str, tuple[str, ...]]] = EWS_KEYS_FOR

    email: Email = Field(description="The mailbox's primary SMTP address.")
    service_endpoint: EwsUrl | None = Field(
        None, description="The EWS URL, https:// (or autodiscover = true)."
    )
    autodiscover: bool = Field(False, description="Find the EWS URL by autodiscover.")
    version: EwsVersion | None = Field(
        None, description="Pin the Exchange version: 2010 .. 2019, online, or a build."
    )
    auth: Literal["ntlm", "basic", "oauth-app", "oauth-delegated"] = Field(
        "ntlm", description="How to sign in."
    )
    access: Literal["delegate", "impersonation"] | None = Field(
        None, description='"delegate" or "impersonation" (default: impersonation for oauth-app).'
    )
    username: Text | None = Field(None, description="ntlm, basic: DOMAIN\\user or UPN.")
    password_env: EnvName | None = Field(
        None, description="ntlm, basic: environment variable holding the password."
    )
    tenant_id: Text | None = Field(None, description="oauth-*: the directory (tenant) id.")
    client_id: Text | None = Field(None, description="oauth-*: the app registration's id.")
    authority_host: AuthorityHost = Field(
        EWS_AUTHORITY, description="oauth-*: sign-in host, scheme + host only."
    )
    oauth_resource: ResourceHost = Field(
        EWS_RESOURCE, description="oauth-*: the EWS resource, scheme + host only."
    )

    @model_validator(mode="after")
    def _complete(self) -> Ews:
        if self.service_endpoint and self.autodiscover:
            raise KeyProblem(
                "autodiscover", "give either service_endpoint or autodiscover = true, not both"
            )
        if not self.service_endpoint and not self.autodiscover:
            raise KeyProblem(
                "service_endpoint",
                "is required (e.g. https://mail.contoso.com/EWS/Exchange.asmx) unless autodiscover = true",
            )
        if self.auth == "oauth-app" and self.access == "delegate":
            raise KeyProblem("access", "app-only OAuth reaches a mailbox only by impersonation")
        if self.auth in ("ntlm", "basic"):
            for key in ("username", "password_env"):
                if getattr(self, key) is None:
                    raise KeyProblem(key, f"is required with auth = {self.auth!r}")
            return self
        for key in ("tenant_id", "client_id"):
            if getattr(self, key) is None:
                raise KeyProblem(key, f"is required with auth = {self.auth!r}")
        if self.auth == "oauth-app":
            _credential(self)
        return self


class Graph(SignIn):
    """Exchange Online through Microsoft Graph (kind = "graph")."""

    auth_default: ClassVar[str] = "app"
    keys_for: ClassVar[dict[str, tuple[str, ...]]] = GRAPH_KEYS_FOR

    user: Email = Field(description="The engineer's mailbox.")
    tenant_id: Text = Field(description="The directory (tenant) id.")
    client_id: Text = Field(description="The app registration's id.")
    auth: Literal["app", "delegated"] = Field(
        "app", description='"app" (client credentials) or "delegated" (mailbot login).'
    )
    cloud: Literal["global", "usgov", "usgov-dod", "china"] = Field(
        "global", description="National cloud: sets endpoint and authority_host."
    )
    endpoint: GraphEndpoint | None = Field(
        None, description="Graph host, scheme + host only, no /v1.0 (default: the cloud's)."
    )
    authority_host: AuthorityHost | None = Field(
        None, description="Sign-in host, scheme + host only (default: the cloud's)."
    )

    @model_validator(mode="after")
    def _complete(self) -> Graph:
        if self.auth == "app":
            _credential(self)
        return self


MAILBOX_KINDS = ("maildir", "ews", "graph")


class Mailbox(Section):
    """Which mailbox, and its folders."""

    kind: Literal["maildir", "ews", "graph"] = Field(
        "maildir", description='"maildir", "ews" (Exchange Server/hybrid) or "graph".'
    )
    folders: FoldersModel = Field(default_factory=FoldersModel, description="Folder names.")
    maildir: Maildir | None = Field(None, description='kind = "maildir": the Maildir.')
    smtp: Smtp | None = Field(None, description='send = "smtp": the SMTP server.')
    ews: Ews | None = Field(None, description='kind = "ews": Exchange through EWS.')
    graph: Graph | None = Field(None, description='kind = "graph": Exchange Online.')
    flag_reminders: bool = Field(
        True,
        description="Flag reminders for follow-up (a due date and a reminder; Outlook's To Do "
        "list; \\Flagged in a Maildir), completed when their purpose is done.",
    )
    daily_recipient_limit: int = Field(
        10000,
        ge=1,
        description="Recipients a day at most, over a rolling 24 hours "
        "(Exchange Online allows 10,000 per mailbox).",
    )

    @model_validator(mode="before")
    @classmethod
    def _sections_apply(cls, data: Any) -> Any:
        raw = _raw(data)
        kind = raw.get("kind", "maildir")
        if kind not in MAILBOX_KINDS:
            return data  # the kind's own error says what is allowed
        for other in MAILBOX_KINDS:
            if other != kind and other in raw:
                raise KeyProblem(
                    other,
                    f'does not apply: kind = "{kind}"{_holding(raw[other])}; '
                    f'remove the section or set kind = "{other}"',
                )
        if kind not in raw:
            raise KeyProblem(kind, f'this section is required with kind = "{kind}"')
        send = _raw(raw.get("maildir")).get("send", "pickup") if kind == "maildir" else None
        if "smtp" in raw and send != "smtp":
            why = f'send = "{send}" in [mailbox.maildir]' if send else f'kind = "{kind}"'
            raise KeyProblem(
                "smtp",
                f"does not apply: {why}{_holding(raw['smtp'])}; remove the section"
                + (' or set send = "smtp"' if send else ""),
            )
        if send == "smtp" and "smtp" not in raw:
            raise KeyProblem("smtp", 'this section is required with send = "smtp"')
        if send == "smtp" and "pickup_dir" in _raw(raw.get("maildir")):
            raise KeyProblem(
                "maildir.pickup_dir",
                'does not apply: send = "smtp"; remove it or set send = "pickup"',
            )
        return data

    @model_validator(mode="after")
    def _folders_distinct(self) -> Mailbox:
        seen: dict[str, str] = {}
        for key, name in self.folders:
            if self.kind == "maildir":
                _maildir_folder(key, name)
            other = seen.setdefault(name.casefold(), key)
            if other != key:
                raise KeyProblem(
                    f"folders.{key}",
                    f"{name!r} is already the {other} folder; every folder needs its own name",
                )
        return self


def _holding(section: Any) -> str:
    keys = [k for k in _raw(section) if k]
    return f" (so {', '.join(keys)} would never be used)" if keys else ""


def _maildir_folder(key: str, name: str) -> None:
    """Maildir++ writes a folder ``A/B`` as the directory ``.A.B``: a "." inside a part
    would be read back as another level, and any INBOX is the root itself."""
    if key == "inbox":
        return
    if name.casefold() == "inbox":
        raise KeyProblem(f"folders.{key}", f"{name!r} is the Maildir root (the Inbox)")
    if any("." in part for part in name.split("/")):
        raise KeyProblem(
            f"folders.{key}",
            f'{name!r}: a Maildir++ folder name cannot hold "." (it separates levels: '
            f'"A/B" is the directory ".A.B"); use "/" for a subfolder or another character',
        )


class Data(Section):
    """Where mailbot keeps its state."""

    dir: Text = Field(
        "~/.local/share/mailbot", description="Data directory (database, token caches, lock)."
    )


class Database(Section):
    """The database (SQLite in the data directory unless a URL is given)."""

    url: Text | None = Field(
        None, description="sqlite:///FILE or postgresql://user@host/db; {password} is filled."
    )
    password_env: EnvName | None = Field(
        None, description="Environment variable whose value replaces {password} in url."
    )

    @model_validator(mode="after")
    def _url(self) -> Database:
        url = self.url
        if url is None:
            if self.password_env:
                raise KeyProblem("password_env", "does not apply: there is no url to fill in")
            return self
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
            raise KeyProblem("url", "must be a sqlite:/// or postgresql:// URL")
        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError:
            raise KeyProblem("url", "is not a valid URL") from None
        in_query = any("password" in k.lower() for k in parse_qs(parts.query))
        if (password is not None and password != "{password}") or in_query:
            raise KeyProblem(
                "url",
                "holds a password; secrets never go in the file: write {password} in its "
                "place and set password_env",
            )
        if "{password}" in url and not self.password_env:
            raise KeyProblem("password_env", "is required: url has {password} to fill in")
        if self.password_env and "{password}" not in url:
            raise KeyProblem("password_env", "does not apply: url has no {password} to fill in")
        return self


_POLICY = Policy()


def _policy_field(name: str, minimum: int, description: str) -> Any:
    return Field(getattr(_POLICY, name), ge=minimum, description=description)


class PolicyModel(Section):
    """The numbers of the process (defaults from the rules)."""

    model_config = ConfigDict(title="Policy")

    followup_business_days: int = _policy_field("followup_business_days", 1, "R07")
    info_followups_before_strikes: int = _policy_field(
        "info_followups_before_strikes", 0, "R07, then R11"
    )
    call_reminder_hours: int = _policy_field("call_reminder_hours", 1, "R10")
    post_solution_daily_followups: int = _policy_field("post_solution_daily_followups", 0, "R10")
    strike_interval_business_days: int = _policy_field("strike_interval_business_days", 1, "R11")
    closure_min_business_days_after_strike3: int = _policy_field(
        "closure_min_business_days_after_strike3", 1, "R12"
    )
    closure_min_calendar_days_after_contact: int = _policy_field(
        "closure_min_calendar_days_after_contact", 14, "R12, R13 (never less than 14)"
    )
    named_date_followup_time: ClockTime = _clock(
        _POLICY.named_date_followup_time, "R07: time of day on the named date."
    )
    ooo_default_pause_business_days: int = _policy_field(
        "ooo_default_pause_business_days", 1, "R15"
    )
    ooo_max_pause_days: int = _policy_field("ooo_max_pause_days", 1, "R15: the longest pause")
    rate_limit_per_minute: int = _policy_field("rate_limit_per_minute", 1, "R26")
    rejected_draft_hold_business_days: int = _policy_field(
        "rejected_draft_hold_business_days", 1, "Hold after a rejected nudge."
    )
    pause_business_days: int = _policy_field(
        "pause_business_days", 1, "The Pause signal without a date."
    )
    draft_reminder_business_hours: int = _policy_field(
        "draft_reminder_business_hours", 1, "One reminder for a draft left this long."
    )
    retention_days_after_closure: int = _policy_field(
        "retention_days_after_closure", 1, "R28: erase thread data this long after closure."
    )


class ApprovalBase(Section):
    unknown_noun: ClassVar[str] = "template kind"


Approval = create_model(
    "Approval",
    __base__=ApprovalBase,
    __doc__="Per template kind: must the engineer approve it before it is sent?",
    **{
        kind.value: (
            bool,
            Field(
                APPROVAL_DEFAULTS.get(kind, True),
                description=f"Approve {kind.value} before it goes.",
            ),
        )
        for kind in MailKind
    },
)


class CategoriesBase(Section):
    unknown_noun: ClassVar[str] = "signal"

    @model_validator(mode="after")
    def _distinct(self) -> CategoriesBase:
        given = dict(labels_of(self))
        owner: dict[str, str] = {}
        for signal, default in CATEGORY_DEFAULTS.items():
            label = given.get(signal, default)
            first = owner.setdefault(label, signal)
            if first != signal:  # blame the key the file wrote
                blamed, other = (signal, first) if signal in given else (first, signal)
                raise KeyProblem(
                    blamed,
                    f'"{label}" is already the category of the signal {other}; '
                    "two signals cannot share one category name",
                )
        return self


def labels_of(categories: BaseModel) -> list[tuple[str, str]]:
    """(signal, label) for the signals the file names, labels as matched (lower case)."""
    out = []
    for name, info in type(categories).model_fields.items():
        value = getattr(categories, name)
        if value is not None:
            out.append((info.alias or name, value.strip().lower()))
    return out


Categories = create_model(
    "Categories",
    __base__=CategoriesBase,
    __doc__="Outlook category names for the signals, where the team's differ.",
    **{
        signal.replace("-", "_"): (
            Text | None,
            Field(None, alias=signal, description=f'default "{label}"'),
        )
        for signal, label in CATEGORY_DEFAULTS.items()
    },
)


class Summary(Section):
    """R29: the weekly summary for the managers."""

    enabled: bool = Field(True, description="Send the weekly summary.")
    recipients: list[Email] | None = Field(
        None, description="Who gets it (default: the engineer's manager)."
    )
    day: Weekday = Field("mon", description="Weekday it goes out (mon..sun).")
    time: ClockTime = _clock(time(8, 0), 'Time of day, "HH:MM", local.')


class Daemon(Section):
    """``mailbot run``."""

    poll_seconds: int = Field(60, ge=5, description="Seconds between mailbox polls.")
    metrics_address: str = Field(
        "",
        description='Serve Prometheus metrics and /healthz here, "127.0.0.1:9464"; '
        "loopback only; empty: off.",
    )

    @field_validator("metrics_address")
    @classmethod
    def _loopback(cls, v: str) -> str:
        if not v:
            return v
        import ipaddress

        host, sep, port = v.rpartition(":")
        host = host.strip("[]")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError('expected "HOST:PORT", e.g. "127.0.0.1:9464"')
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(
                f"{host} is not a loopback address: metrics are served on 127.0.0.1 or ::1 "
                "only (put a reverse proxy in front to expose them)"
            )
        return v


class ConfigFile(Section):
    """mailbot's configuration (TOML). Secrets never go in it: *_env keys name an
    environment variable. Rules across keys are checked by `mailbot check`."""

    engineer: Engineer
    calendar: Calendar
    cases: Cases
    mailbox: Mailbox
    categories: Categories = Field(default_factory=Categories)  # type: ignore[valid-type]
    data: Data = Field(default_factory=Data)
    database: Database = Field(default_factory=Database)
    policy: PolicyModel = Field(default_factory=PolicyModel)
    approval: Approval = Field(default_factory=Approval)  # type: ignore[valid-type]
    summary: Summary = Field(default_factory=Summary)
    daemon: Daemon = Field(default_factory=Daemon)


# --- the model tree: what keys exist where -------------------------------------------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found:
            return found
    return None


def _keys(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    """The TOML keys of a table, each with the model of its sub-table (or None)."""
    return {
        (info.alias or name): _model_of(info.annotation)
        for name, info in model.model_fields.items()
    }


def _tables(model: type[BaseModel], prefix: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    yield prefix, model
    for key, sub in _keys(model).items():
        if sub is not None:
            yield from _tables(sub, (*prefix, key))


TABLES: dict[tuple[str, ...], type[BaseModel]] = dict(_tables(ConfigFile))
WHERE: dict[str, list[tuple[str, ...]]] = {}
for _path, _model in TABLES.items():
    for _key in _keys(_model):
        WHERE.setdefault(_key, []).append(_path)


def dotted(path: tuple[Any, ...] | list[Any]) -> str:
    """A TOML dotted key; a part that is not a bare key is quoted; list indexes dropped."""
    parts = [p for p in path if isinstance(p, str)]
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p) for p in parts)


# --- secrets: refused wherever they are ----------------------------------------------

SECRET_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "private_key",
    "privatekey",
    "access_key",
    "credential",
)
# a key ending like this names where a secret is (a variable, a file), not the secret
POINTER_SUFFIXES = ("_env", "_path", "_file", "_cache", "_dir", "_thumbprint")


def holds_secret(key: str) -> bool:
    """Is ``key`` named like a key that holds a secret itself?"""
    name = key.lower().replace("-", "_")
    if name.endswith(POINTER_SUFFIXES):
        return False
    return any(word in name for word in SECRET_WORDS)


def _refuse_secrets(data: dict[str, Any], file: str, path: tuple[str, ...] = ()) -> None:
    for key, value in data.items():
        here = (*path, str(key))
        if holds_secret(str(key)):
            table = TABLES.get(path)
            pointer = f"{key}_env"
            if table is not None and pointer in _keys(table):
                why = f"secrets never go in the file; set {pointer} to the name of an environment variable that holds it"
            else:
                why = (
                    "secrets never go in the file, and none is read here: mailbot reads a "
                    "secret only from the environment variable a *_env key names "
                    "(password_env, client_secret_env)"
                )
            raise ConfigError(file, dotted(here), why)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                _refuse_secrets(item, file, here)
            elif isinstance(item, str) and "PRIVATE KEY" in item and "-----BEGIN" in item:
                raise ConfigError(
                    file,
                    dotted(here),
                    "holds a private key; secrets never go in the file: keep the key in a "
                    "file of its own and name it with certificate_path",
                )


# --- pydantic's errors as one line ---------------------------------------------------

_TYPE_NAMES = (
    (bool, "true/false"),
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "a table"),
    (datetime, "a date and time"),
    (date, "a date"),
    (time, "a time"),
)


def _type_name(value: Any) -> str:
    return next((name for t, name in _TYPE_NAMES if isinstance(value, t)), type(value).__name__)


def _unknown(path: tuple[str, ...], key: str, value: Any) -> str:
    table = TABLES.get(path)
    known = list(_keys(table)) if table else []
    noun = table.unknown_noun if table is not None else "key"  # type: ignore[attr-defined]
    if isinstance(value, dict) and noun == "key":
        noun = "section"
    elsewhere = [p for p in WHERE.get(key, []) if p != path]
    if elsewhere:  # a key in the wrong table
        places = " or ".join(f"[{dotted(p)}]" if p else "the top level" for p in elsewhere)
        hint = f'"{key}" belongs in {places}'
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            hint = f'did you mean "{close[0]}"? ({hint})'
        return f"unknown {noun}; {hint}"
    ranked = difflib.get_close_matches(key, known, n=1, cutoff=0.0)
    if not ranked:
        return f"unknown {noun}; this table takes no keys"
    best = ranked[0]
    hint = (
        f"did you mean [{dotted((*path, best))}]?"
        if noun == "section"
        else f'did you mean "{best}"?'
    )
    if difflib.SequenceMatcher(None, key, best).ratio() < 0.6:  # a far guess: list them all
        hint += f" (known: {', '.join(known)})"
    return f"unknown {noun}; {hint}"


def _is_section(path: tuple[Any, ...]) -> bool:
    parent = TABLES.get(tuple(path[:-1]))
    return parent is not None and _keys(parent).get(path[-1]) is not None


def _why(err: dict[str, Any]) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "missing":
        return "this section is required" if _is_section(err["loc"]) else "is required"
    if kind == "literal_error":
        return f"must be one of {ctx['expected'].replace(chr(39), chr(34))}, not {value!r}"
    simple = {
        "string_type": f"must be a string, not {_type_name(value)}",
        "int_type": f"must be a whole number, not {_type_name(value)}",
        "bool_type": f"must be true or false, not {_type_name(value)}",
        "list_type": f"must be a list, not {_type_name(value)}",
        "model_type": "must be a table (a [section])",
        "model_attributes_type": "must be a table (a [section])",
        "time_type": 'must be a time like "09:00"',
        "date_type": "must be a date like 2026-12-24",
        "string_too_short": "must not be empty",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
    }
    return simple.get(kind, err["msg"])


def _config_error(exc: ValidationError, file: str) -> ConfigError:
    """The error that explains most: an unknown key (a typo also makes a key missing)
    first, else the first in the file's order."""
    errors = exc.errors(include_url=False)
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        path = tuple(p for p in loc[:-1] if isinstance(p, str))
        return ConfigError(file, dotted(loc), _unknown(path, str(loc[-1]), err.get("input")))
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, KeyProblem):
        loc = (*loc, *problem.key.split("."))
    index = next((p for p in loc if isinstance(p, int)), None)
    why = _why(err)
    if index is not None and err["type"].endswith("_type"):
        why = f"item {index + 1} ({err.get('input')!r}) {why}"
    return ConfigError(file, dotted(loc) or "-", " ".join(why.split()))


# --- from models to Settings ---------------------------------------------------------


def _without_none(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_none(v) for v in data]
    return data


def build(data: dict[str, Any], file: str, base: Path, holidays: Any = None) -> Settings:
    """Validate a decoded TOML document and build the settings (see the module doc).
    ``holidays``: a :class:`mailbot.snapshot.HolidayCache`, asked before the package."""
    data = _without_none(data)
    if not isinstance(data, dict):
        raise ConfigError(file, "-", "must be a TOML document of tables")
    _refuse_secrets(data, file)
    try:
        doc = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, file) from None
    return _Builder(file, base, holidays).settings(doc)


class _Builder:
    """What needs the world: the environment, the file system, the holidays package."""

    def __init__(self, file: str, base: Path, holidays: Any = None) -> None:
        self.file, self.base, self.holidays_cache = file, base, holidays

    def error(self, key: str, why: str) -> ConfigError:
        return ConfigError(self.file, key, why)

    def path(self, raw: str) -> Path:
        path = Path(os.path.expandvars(raw)).expanduser()
        return path if path.is_absolute() else (self.base / path)

    def existing(self, key: str, raw: str | None) -> Path | None:
        if raw is None:
            return None
        path = self.path(raw)
        if not path.exists():
            raise self.error(key, f"{path} does not exist")
        return path

    def secret(self, key: str, var: str | None) -> str | None:
        """The value of the environment variable ``var`` that ``key`` names; when it is not
        set, the OS keyring's entry for service ``mailbot`` and user ``var`` (where the
        optional keyring package is installed: Windows Credential Manager, macOS
        Keychain, the Secret Service on Linux desktops)."""
        if var is None:
            return None
        value = os.environ.get(var) or _from_keyring(var)
        if not value:
            raise self.error(
                key,
                f"environment variable {var} is not set (nor is it in the OS keyring: "
                f"keyring set {KEYRING_SERVICE} {var})",
            )
        return value

    def settings(self, doc: ConfigFile) -> Settings:
        from zoneinfo import ZoneInfo

        engineer = EngineerSettings(
            **{name: getattr(doc.engineer, name) for name in SIGNATURE_FIELDS}
        )
        cal = doc.calendar
        country = cal.country.upper()
        public_holidays = self.holidays(country, cal.subdivision)
        calendar = CalendarSettings(
            ZoneInfo(cal.timezone),
            country,
            cal.subdivision,
            frozenset(WEEKDAYS[d] for d in cal.workdays),
            cal.start,
            cal.end,
            frozenset(cal.extra_days_off),
        )
        cases = doc.cases
        domains = cases.internal_domains or [engineer.email.split("@", 1)[1]]
        data_dir = self.path(doc.data.dir)
        db_url = doc.database.url or f"sqlite:///{data_dir / 'mailbot.db'}"
        if db_url.startswith("postgresql://"):
            db_url = "postgresql+psycopg://" + db_url[len("postgresql://") :]
        if doc.database.password_env:
            password = self.secret("database.password_env", doc.database.password_env) or ""
            db_url = db_url.replace("{password}", password)
        summary = doc.summary
        return Settings(
            source=self.file,
            engineer=engineer,
            calendar=calendar,
            support_address=cases.support_address.lower(),
            internal_domains=frozenset(d.lower().lstrip("@") for d in domains),
            case_patterns=tuple(re.compile(p) for p in cases.case_number_patterns),
            languages=tuple(cases.languages),
            categories={**CATEGORY_DEFAULTS, **dict(labels_of(doc.categories))},
            mailbox=self.mailbox(doc.mailbox, data_dir),
            database_url=db_url,
            data_dir=data_dir,
            policy=Policy(**doc.policy.model_dump()),
            approval_required={kind: getattr(doc.approval, kind.value) for kind in MailKind},
            poll_seconds=doc.daemon.poll_seconds,
            metrics_address=doc.daemon.metrics_address,
            summary_enabled=summary.enabled,
            summary_recipients=tuple(summary.recipients or [engineer.manager_email]),
            summary_weekday=WEEKDAYS[summary.day],
            summary_time=summary.time,
            public_holidays=public_holidays,
        )

    def holidays(self, country: str, subdivision: str | None) -> dict[str, Any] | None:
        """Check that the holidays package knows the calendar; with a holidays cache,
        return its table of public holidays (the cache's when it holds a good answer
        for this calendar: then the package is not loaded at all)."""
        cache = self.holidays_cache
        if cache is not None:
            known = cache.get(country, subdivision)
            if known is not None:
                return known
        import holidays

        try:
            holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError:
            raise self.error(
                "calendar.country",
                f"{country!r} is not a country the holidays package knows (ISO code such as DE, US)",
            ) from None
        except Exception as exc:  # the package raises plain errors for unknown subdivisions
            raise self.error("calendar.subdivision", f"{subdivision!r}: {exc}") from None
        return cache.put(country, subdivision) if cache is not None else None

    def mailbox(self, mb: Mailbox, data_dir: Path) -> MailboxSettings:
        folders = Folders(**mb.folders.model_dump())
        limits = {
            "flag_reminders": mb.flag_reminders,
            "daily_recipient_limit": mb.daily_recipient_limit,
        }
        if mb.kind == "graph" and mb.graph:
            return MailboxSettings(
                kind="graph", folders=folders, graph=self.graph(mb.graph, data_dir), **limits
            )
        if mb.kind == "ews" and mb.ews:
            return MailboxSettings(
                kind="ews", folders=folders, ews=self.ews(mb.ews, data_dir), **limits
            )
        md = mb.maildir
        assert md is not None  # Mailbox requires the kind's section
        path = self.path(md.path)
        smtp = pickup = None
        if md.send == "smtp" and mb.smtp:
            s = mb.smtp
            starttls, implicit = s.tls
            smtp = SmtpSettings(
                host=s.host,
                port=s.port,
                starttls=starttls,
                username=s.username,
                password=self.secret("mailbox.smtp.password_env", s.password_env),
                ca_bundle=self.existing("mailbox.smtp.ca_bundle", s.ca_bundle),
                implicit_tls=implicit,
            )
        else:
            pickup = self.path(md.pickup_dir or str(path) + "-outgoing")
        return MailboxSettings(
            kind="maildir",
            folders=folders,
            maildir_path=path,
            send_via=md.send,
            pickup_dir=pickup,
            smtp=smtp,
            **limits,
        )

    def graph(self, g: Graph, data_dir: Path) -> GraphSettings:
        endpoint, authority = CLOUDS[g.cloud]
        return GraphSettings(
            user=g.user,
            tenant_id=g.tenant_id,
            client_id=g.client_id,
            auth=g.auth,
            endpoint=(g.endpoint or endpoint).rstrip("/"),
            authority_host=(g.authority_host or authority).rstrip("/"),
            token_cache=self.path(g.token_cache or str(data_dir / "graph-token-cache.json")),
            client_secret=self.secret("mailbox.graph.client_secret_env", g.client_secret_env),
            certificate_path=self.existing("mailbox.graph.certificate_path", g.certificate_path),
            certificate_thumbprint=g.certificate_thumbprint,
            ca_bundle=self.existing("mailbox.graph.ca_bundle", g.ca_bundle),
        )

    def ews(self, e: Ews, data_dir: Path) -> EwsSettings:
        oauth = e.auth.startswith("oauth-")
        token_cache = e.token_cache or str(data_dir / "ews-token-cache.json")
        return EwsSettings(
            email=e.email,
            auth=e.auth,
            access=e.access or ("impersonation" if e.auth == "oauth-app" else "delegate"),
            service_endpoint=e.service_endpoint,
            version=e.version,
            username=e.username,
            password=self.secret("mailbox.ews.password_env", e.password_env),
            tenant_id=e.tenant_id,
            client_id=e.client_id,
            client_secret=self.secret("mailbox.ews.client_secret_env", e.client_secret_env),
            certificate_path=self.existing("mailbox.ews.certificate_path", e.certificate_path),
            certificate_thumbprint=e.certificate_thumbprint,
            authority_host=e.authority_host.rstrip("/"),
            oauth_resource=e.oauth_resource.rstrip("/"),
            token_cache=self.path(token_cache) if oauth else None,
            ca_bundle=self.existing("mailbox.ews.ca_bundle", e.ca_bundle),
        )


# --- the JSON Schema -------------------------------------------------------------------


class _Schema(GenerateJsonSchema):
    """TOML has no null: an optional key is simply absent, so ``X | None`` is ``X``."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False  # the key is its own title

    def nullable_schema(self, schema: Any) -> dict[str, Any]:
        return self.generate_inner(schema["schema"])

    def generate(self, schema: Any, mode: Any = "validation") -> dict[str, Any]:
        out = super().generate(schema, mode=mode)
        return _drop_null_defaults(out)


def _drop_null_defaults(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _drop_null_defaults(v) for k, v in node.items() if not (k == "default" and v is None)
        }
    if isinstance(node, list):
        return [_drop_null_defaults(v) for v in node]
    return node


def schema() -> dict[str, Any]:
    """The JSON Schema of the config file (as config/mailbot.schema.json holds it)."""
    body = ConfigFile.model_json_schema(schema_generator=_Schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "mailbot.schema.json",
        **body,
    }


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m mailbot.config_models FILE: write the schema
    Path(sys.argv[1]).write_text(schema_text(), encoding="utf-8")
