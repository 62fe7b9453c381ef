"""Load and validate the TOML configuration into typed, frozen settings.

Every problem is reported as a :class:`ConfigError` naming the file, the key and why, so
``mailbot check`` can print one clear line and exit 2. Secrets never live in the file:
the file names an environment variable (``*_env`` keys) and the value is read from it.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailbot.domain.kinds import APPROVAL_DEFAULTS, MailKind
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
    summary_enabled: bool = True  # R29
    summary_recipients: tuple[str, ...] = ()
    summary_weekday: int = 0
    summary_time: time = time(8, 0)
    languages: tuple[str, ...] = ("en", "de", "fr", "es")  # for dates customers write
    categories: dict[str, str] = field(default_factory=lambda: dict(CATEGORY_DEFAULTS))

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


class _Reader:
    """Typed access to a TOML table that reports errors with the dotted key."""

    def __init__(self, file: str, data: dict[str, Any], prefix: str = "") -> None:
        self.file, self.data, self.prefix = file, data, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def error(self, name: str, why: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), why)

    def table(self, name: str, required: bool = False) -> _Reader:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.error(name, "this section is required")
            value = {}
        if not isinstance(value, dict):
            raise self.error(name, "must be a table")
        return _Reader(self.file, value, self.key(name))

    def str(self, name: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.data.get(name, default)
        if value is None:
            if required:
                raise self.error(name, "is required")
            return None
        if not isinstance(value, str):
            raise self.error(name, f"must be a string, not {type(value).__name__}")
        if required and not value.strip():
            raise self.error(name, "must not be empty")
        if "\r" in value or "\n" in value:
            raise self.error(name, "must be a single line")
        return value

    def int(self, name: str, default: int, minimum: int = 0) -> int:
        value = self.data.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(name, "must be a whole number")
        if value < minimum:
            raise self.error(name, f"must be at least {minimum}")
        return value

    def bool(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, "must be true or false")
        return value

    def list(self, name: str, default: list[Any]) -> list[Any]:
        value = self.data.get(name, default)
        if not isinstance(value, list):
            raise self.error(name, "must be a list")
        return value

    def time(self, name: str, default: str) -> time:
        raw = self.data.get(name, default)
        if isinstance(raw, time):
            return raw
        if not isinstance(raw, str) or not re.fullmatch(r"\d{1,2}:\d{2}", raw):
            raise self.error(name, 'must be a time like "09:00"')
        hours, minutes = (int(p) for p in raw.split(":"))
        if hours > 23 or minutes > 59:
            raise self.error(name, f"{raw!r} is not a time of day")
        return time(hours, minutes)

    def email(self, name: str, required: bool = True) -> str | None:
        value = self.str(name, required=required)
        if value is not None and not EMAIL_RE.match(value):
            raise self.error(name, f"{value!r} is not an email address")
        return value

    def secret(self, name: str) -> str | None:
        """Read ``<name>_env`` and return the environment variable it names."""
        if name in self.data:
            raise self.error(
                name,
                f"secrets never go in the file; set {name}_env to the name of an environment variable",
            )
        var = self.str(f"{name}_env")
        if var is None:
            return None
        value = os.environ.get(var)
        if not value:
            raise self.error(f"{name}_env", f"environment variable {var} is not set")
        return value


def _resolve(base: Path, raw: str) -> Path:
    path = Path(os.path.expandvars(raw)).expanduser()
    return path if path.is_absolute() else (base / path)


def load(path: str | os.PathLike[str]) -> Settings:
    """Read, validate and return the settings, or raise :class:`ConfigError`."""
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
    return parse(data, file=file, base=Path(path).resolve().parent)


def parse(data: dict[str, Any], file: str = "<config>", base: Path | None = None) -> Settings:
    """Validate an already-decoded TOML document (used by tests and the demo)."""
    base = base or Path.cwd()
    root = _Reader(file, data)

    eng = root.table("engineer", required=True)
    values = {}
    for name in SIGNATURE_FIELDS:
        if name.endswith("email"):
            values[name] = eng.email(name)
        else:
            values[name] = eng.str(name, required=True)
    engineer = Engineer(**values)  # R24: every signature field present

    cal = root.table("calendar", required=True)
    tz_name = cal.str("timezone", required=True)
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise cal.error(
            "timezone", f"{tz_name!r} is not an IANA time zone such as Europe/Berlin"
        ) from None
    country = (cal.str("country", required=True) or "").upper()
    subdivision = cal.str("subdivision")
    _check_holidays(cal, country, subdivision)
    workdays = set()
    for day in cal.list("workdays", ["mon", "tue", "wed", "thu", "fri"]):
        if not isinstance(day, str) or day.lower()[:3] not in WEEKDAYS:
            raise cal.error("workdays", f"{day!r} is not a weekday (mon..sun)")
        workdays.add(WEEKDAYS[day.lower()[:3]])
    if not workdays:
        raise cal.error("workdays", "needs at least one day")
    start, end = cal.time("start", "09:00"), cal.time("end", "17:00")
    if end <= start:
        raise cal.error("end", "must be later than start")
    days_off = set()
    for item in cal.list("extra_days_off", []):
        if isinstance(item, date):
            days_off.add(item)
            continue
        try:
            days_off.add(date.fromisoformat(str(item)))
        except ValueError:
            raise cal.error("extra_days_off", f"{item!r} is not a date like 2026-12-24") from None
    calendar = CalendarSettings(
        tz, country, subdivision, frozenset(workdays), start, end, frozenset(days_off)
    )

    cases = root.table("cases", required=True)
    support = cases.email("support_address")
    domains = cases.list("internal_domains", [engineer.email.split("@", 1)[1]])
    internal = frozenset(str(d).lower().lstrip("@") for d in domains)
    patterns = []
    for pattern in cases.list("case_number_patterns", list(DEFAULT_CASE_PATTERNS)):
        try:
            compiled = re.compile(str(pattern))
        except re.error as exc:
            raise cases.error(
                "case_number_patterns", f"{pattern!r} is not a valid regular expression: {exc}"
            ) from None
        if compiled.groups < 1:
            raise cases.error(
                "case_number_patterns", f"{pattern!r} needs one group that captures the number"
            )
        patterns.append(compiled)

    data_table = root.table("data")
    data_dir = _resolve(base, data_table.str("dir", "~/.local/share/mailbot") or "")

    mailbox = _mailbox(root.table("mailbox", required=True), base, data_dir)

    db = root.table("database")
    db_url = db.str("url", f"sqlite:///{data_dir / 'mailbot.db'}") or ""
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", db_url):
        raise db.error("url", "must be a sqlite:/// or postgresql:// URL")
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://") :]
    if "{password}" in db_url:
        db_url = db_url.replace("{password}", db.secret("password") or "")

    pol = root.table("policy")
    defaults = Policy()
    policy = Policy(
        followup_business_days=pol.int(
            "followup_business_days", defaults.followup_business_days, 1
        ),
        info_followups_before_strikes=pol.int(
            "info_followups_before_strikes", defaults.info_followups_before_strikes
        ),
        call_reminder_hours=pol.int("call_reminder_hours", defaults.call_reminder_hours, 1),
        post_solution_daily_followups=pol.int(
            "post_solution_daily_followups", defaults.post_solution_daily_followups
        ),
        strike_interval_business_days=pol.int(
            "strike_interval_business_days", defaults.strike_interval_business_days, 1
        ),
        closure_min_business_days_after_strike3=pol.int(
            "closure_min_business_days_after_strike3",
            defaults.closure_min_business_days_after_strike3,
            1,
        ),
        closure_min_calendar_days_after_contact=pol.int(
            "closure_min_calendar_days_after_contact",
            defaults.closure_min_calendar_days_after_contact,
            14,
        ),
        named_date_followup_time=pol.time("named_date_followup_time", "14:00"),
        ooo_default_pause_business_days=pol.int(
            "ooo_default_pause_business_days", defaults.ooo_default_pause_business_days, 1
        ),
        rate_limit_per_minute=pol.int("rate_limit_per_minute", defaults.rate_limit_per_minute, 1),
        rejected_draft_hold_business_days=pol.int(
            "rejected_draft_hold_business_days", defaults.rejected_draft_hold_business_days, 1
        ),
        pause_business_days=pol.int("pause_business_days", defaults.pause_business_days, 1),
        ooo_max_pause_days=pol.int("ooo_max_pause_days", defaults.ooo_max_pause_days, 1),
        draft_reminder_business_hours=pol.int(
            "draft_reminder_business_hours", defaults.draft_reminder_business_hours, 1
        ),
        retention_days_after_closure=pol.int(
            "retention_days_after_closure", defaults.retention_days_after_closure, 1
        ),
    )

    appr = root.table("approval")
    known = {k.value for k in MailKind}
    for name in appr.data:
        if name not in known:
            raise appr.error(name, f"unknown template kind; known: {', '.join(sorted(known))}")
    approval = {kind: appr.bool(kind.value, APPROVAL_DEFAULTS.get(kind, True)) for kind in MailKind}

    daemon = root.table("daemon")
    summ = root.table("summary")
    recipients = []
    for addr in summ.list("recipients", [engineer.manager_email]):
        if not isinstance(addr, str) or not EMAIL_RE.match(addr):
            raise summ.error("recipients", f"{addr!r} is not an email address")
        recipients.append(addr)
    day = (summ.str("day", "mon") or "mon").lower()[:3]
    if day not in WEEKDAYS:
        raise summ.error("day", f"{day!r} is not a weekday (mon..sun)")
    return Settings(
        source=file,
        engineer=engineer,
        calendar=calendar,
        support_address=(support or "").lower(),
        internal_domains=internal,
        case_patterns=tuple(patterns),
        languages=_languages(root.table("cases")),
        categories=_categories(root.table("categories")),
        mailbox=mailbox,
        database_url=db_url,
        data_dir=data_dir,
        policy=policy,
        approval_required=approval,
        poll_seconds=daemon.int("poll_seconds", 60, 5),
        summary_enabled=summ.bool("enabled", True),
        summary_recipients=tuple(recipients),
        summary_weekday=WEEKDAYS[day],
        summary_time=summ.time("time", "08:00"),
    )


def _categories(table: _Reader) -> dict[str, str]:
    """``[categories]``: the Outlook category name for each signal, when the team's
    differ from the defaults (e.g. ``pause = "On hold"``)."""
    out = dict(CATEGORY_DEFAULTS)
    for name in table.data:
        if name not in CATEGORY_DEFAULTS:
            raise table.error(name, f"unknown signal; known: {', '.join(CATEGORY_DEFAULTS)}")
        out[name] = (table.str(name, required=True) or "").strip().lower()
    labels = list(out.values())
    if len(set(labels)) != len(labels):
        raise table.error("*", "two signals share one category name")
    return out


def _languages(cases: _Reader) -> tuple[str, ...]:
    """``[cases] languages``: the languages customers write dates in (ISO 639-1 codes,
    as dateparser knows them); a message's own Content-Language comes first."""
    langs = cases.list("languages", ["en", "de", "fr", "es"])
    for lang in langs:
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2}", lang):
            raise cases.error("languages", f"{lang!r} is not a two-letter language code like 'de'")
    if not langs:
        raise cases.error("languages", "name at least one language")
    return tuple(langs)


def _check_holidays(cal: _Reader, country: str, subdivision: str | None) -> None:
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        raise cal.error(
            "country",
            f"{country!r} is not a country the holidays package knows (ISO code such as DE, US)",
        ) from None
    except Exception as exc:  # the package raises plain errors for unknown subdivisions
        raise cal.error("subdivision", f"{subdivision!r}: {exc}") from None


def _graph(g: _Reader, base: Path, data_dir: Path) -> GraphSettings:
    from mailbot.mailbox.graph.auth import CLOUDS

    auth = g.str("auth", "app")
    if auth not in ("app", "delegated"):
        raise g.error(
            "auth", 'must be "app" (client credentials) or "delegated" (device-code sign-in)'
        )
    cloud = g.str("cloud", "global") or "global"
    if cloud not in CLOUDS:
        raise g.error("cloud", f"must be one of {', '.join(CLOUDS)}")
    endpoint, authority = CLOUDS[cloud]
    secret = cert = thumb = None
    if auth == "app":
        secret = g.secret("client_secret")
        cert_raw = g.str("certificate_path")
        if cert_raw:
            cert = _resolve(base, cert_raw)
            if not cert.exists():
                raise g.error("certificate_path", f"{cert} does not exist")
            thumb = g.str("certificate_thumbprint", required=True)
        if not secret and not cert:
            raise g.error(
                "client_secret_env", "app-only auth needs client_secret_env or certificate_path"
            )
    ca = g.str("ca_bundle")
    ca_path = _resolve(base, ca) if ca else None
    if ca_path and not ca_path.exists():
        raise g.error("ca_bundle", f"{ca_path} does not exist")
    return GraphSettings(
        user=g.email("user") or "",
        tenant_id=g.str("tenant_id", required=True) or "",
        client_id=g.str("client_id", required=True) or "",
        auth=auth,
        endpoint=(g.str("endpoint", endpoint) or endpoint).rstrip("/"),
        authority_host=(g.str("authority_host", authority) or authority).rstrip("/"),
        token_cache=_resolve(
            base, g.str("token_cache", str(data_dir / "graph-token-cache.json")) or ""
        ),
        client_secret=secret,
        certificate_path=cert,
        certificate_thumbprint=thumb,
        ca_bundle=ca_path,
    )


EWS_AUTH = ("ntlm", "basic", "oauth-app", "oauth-delegated")


def _ews(e: _Reader, base: Path, data_dir: Path) -> EwsSettings:
    auth = e.str("auth", "ntlm") or "ntlm"
    if auth not in EWS_AUTH:
        raise e.error("auth", f"must be one of {', '.join(EWS_AUTH)}")
    endpoint = e.str("service_endpoint")
    autodiscover = e.bool("autodiscover", False)
    if endpoint and autodiscover:
        raise e.error(
            "autodiscover", "give either service_endpoint or autodiscover = true, not both"
        )
    if not endpoint and not autodiscover:
        raise e.error(
            "service_endpoint",
            "is required (e.g. https://mail.contoso.com/EWS/Exchange.asmx) unless autodiscover = true",
        )
    if endpoint and not endpoint.lower().startswith("https://"):
        raise e.error(
            "service_endpoint", "must be an https:// URL (credentials never travel in clear)"
        )
    version = e.str("version")
    if version is not None:
        from mailbot.mailbox.ews.versions import parse_version

        try:
            parse_version(version)
        except ValueError as exc:
            raise e.error("version", str(exc)) from None
    default_access = "impersonation" if auth == "oauth-app" else "delegate"
    access = e.str("access", default_access) or default_access
    if access not in ("delegate", "impersonation"):
        raise e.error("access", 'must be "delegate" or "impersonation"')
    if auth == "oauth-app" and access != "impersonation":
        raise e.error("access", "app-only OAuth reaches a mailbox only by impersonation")
    ca = e.str("ca_bundle")
    ca_path = _resolve(base, ca) if ca else None
    if ca_path and not ca_path.exists():
        raise e.error("ca_bundle", f"{ca_path} does not exist")
    values: dict[str, Any] = {}
    if auth in ("ntlm", "basic"):
        values["username"] = e.str("username", required=True)
        values["password"] = e.secret("password")
        if values["password"] is None:
            raise e.error("password_env", f"{auth} auth needs password_env")
    else:
        values["tenant_id"] = e.str("tenant_id", required=True)
        values["client_id"] = e.str("client_id", required=True)
        values["authority_host"] = (
            e.str("authority_host", "https://login.microsoftonline.com") or ""
        ).rstrip("/")
        values["oauth_resource"] = (
            e.str("oauth_resource", "https://outlook.office365.com") or ""
        ).rstrip("/")
        values["token_cache"] = _resolve(
            base, e.str("token_cache", str(data_dir / "ews-token-cache.json")) or ""
        )
    if auth == "oauth-app":
        values["client_secret"] = e.secret("client_secret")
        cert_raw = e.str("certificate_path")
        if cert_raw:
            cert = _resolve(base, cert_raw)
            if not cert.exists():
                raise e.error("certificate_path", f"{cert} does not exist")
            values["certificate_path"] = cert
            values["certificate_thumbprint"] = e.str("certificate_thumbprint", required=True)
        if not values["client_secret"] and not cert_raw:
            raise e.error(
                "client_secret_env", "app-only auth needs client_secret_env or certificate_path"
            )
    return EwsSettings(
        email=e.email("email") or "",
        auth=auth,
        access=access,
        service_endpoint=endpoint,
        version=version,
        ca_bundle=ca_path,
        **values,
    )


def _mailbox(mb: _Reader, base: Path, data_dir: Path) -> MailboxSettings:
    kind = mb.str("kind", "maildir")
    f = mb.table("folders")
    d = Folders()
    folders = Folders(
        inbox=f.str("inbox", d.inbox) or d.inbox,
        sent=f.str("sent", d.sent) or d.sent,
        awaiting_approval=f.str("awaiting_approval", d.awaiting_approval) or d.awaiting_approval,
        approved=f.str("approved", d.approved) or d.approved,
        rejected=f.str("rejected", d.rejected) or d.rejected,
        not_sent=f.str("not_sent", d.not_sent) or d.not_sent,
    )
    names = [
        folders.inbox,
        folders.sent,
        folders.awaiting_approval,
        folders.approved,
        folders.rejected,
        folders.not_sent,
    ]
    if len(set(names)) != len(names):
        raise f.error("*", "every folder needs its own name")
    if kind == "graph":
        return MailboxSettings(
            kind="graph",
            folders=folders,
            graph=_graph(mb.table("graph", required=True), base, data_dir),
        )
    if kind == "ews":
        return MailboxSettings(
            kind="ews",
            folders=folders,
            ews=_ews(mb.table("ews", required=True), base, data_dir),
        )
    if kind != "maildir":
        raise mb.error("kind", f'{kind!r} is not a mailbox kind; use "maildir", "ews" or "graph"')
    md = mb.table("maildir")
    path = _resolve(base, md.str("path", required=True) or "")
    send_via = md.str("send", "pickup")
    pickup = smtp = None
    if send_via == "pickup":
        pickup = _resolve(base, md.str("pickup_dir", str(path) + "-outgoing") or "")
    elif send_via == "smtp":
        s = mb.table("smtp", required=True)
        smtp = SmtpSettings(
            host=s.str("host", required=True) or "",
            port=s.int("port", 587, 1),
            starttls=s.bool("starttls", True),
            username=s.str("username"),
            password=s.secret("password"),
        )
    else:
        raise md.error("send", 'must be "pickup" or "smtp"')
    return MailboxSettings(
        kind="maildir",
        folders=folders,
        maildir_path=path,
        send_via=send_via,
        pickup_dir=pickup,
        smtp=smtp,
    )
