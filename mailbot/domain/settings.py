"""The settings the domain needs, owned by the domain: the numbers of the process and
the shape of the business calendar. The config loader builds them; the domain never
imports the loader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class CalendarSettings:
    timezone: ZoneInfo
    country: str
    subdivision: str | None
    workdays: frozenset[int]
    start: time
    end: time
    extra_days_off: frozenset[date]


@dataclass(frozen=True)
class Policy:
    """The numbers of the process (defaults from the rules, docs/process.md)."""

    followup_business_days: int = 3  # R07
    info_followups_before_strikes: int = 1  # R07 then R11
    call_reminder_hours: int = 24  # R10
    post_solution_daily_followups: int = 3  # R10
    strike_interval_business_days: int = 3  # R11
    closure_min_business_days_after_strike3: int = 3  # R12
    closure_min_calendar_days_after_contact: int = 14  # R12, R13
    named_date_followup_time: time = time(14, 0)  # R07: on the customer's date, after lunch
    ooo_default_pause_business_days: int = 5  # R15
    ooo_max_pause_days: int = 30  # R15: no out-of-office reply pauses a case for longer
    rate_limit_per_minute: int = 30  # R26
    rejected_draft_hold_business_days: int = 3
    pause_business_days: int = 5  # the Pause signal without a date
    retention_days_after_closure: int = 90  # R28
    draft_reminder_business_hours: int = 8  # a draft left unapproved this long: one reminder


@dataclass(frozen=True)
class Organisation:
    """Who is not the customer: the engineer, their organisation, the service desk."""

    engineer: str
    support_address: str
    internal_domains: frozenset[str]

    def is_external(self, addr: str) -> bool:
        domain = addr.rsplit("@", 1)[-1]
        return (
            domain not in self.internal_domains
            and addr != self.support_address
            and domain != self.support_address.rsplit("@", 1)[-1]
            and addr != self.engineer
        )
