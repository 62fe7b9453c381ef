"""Business time: the engineer's working hours in their zone, minus weekends, public
holidays (the ``holidays`` package) and extra days off. All business-time arithmetic in
mailbot goes through one :class:`BusinessCalendar` so the rules never disagree about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.domain.settings import CalendarSettings

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo
    workdays: frozenset[int]
    start: time
    end: time
    country: str
    subdivision: str | None = None
    extra_days_off: frozenset[date] = frozenset()
    # The public holidays of the years ``known_years`` (first, last), worked out before
    # (the config snapshot holds them: the holidays package costs 70 ms to load); other
    # years are asked of the package.
    known_holidays: dict[date, str] | None = field(default=None, compare=False, repr=False)
    known_years: tuple[int, int] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_settings(
        cls, s: CalendarSettings, known: dict[str, Any] | None = None
    ) -> BusinessCalendar:
        """``known``: the public holidays as the config snapshot holds them
        ({"years": [first, last], "days": {ISO date: name}}), or None."""
        return cls(
            s.timezone,
            s.workdays,
            s.start,
            s.end,
            s.country,
            s.subdivision,
            s.extra_days_off,
            {date.fromisoformat(d): name for d, name in known["days"].items()} if known else None,
            (known["years"][0], known["years"][1]) if known else None,
        )

    @cached_property
    def _holidays(self):  # type: ignore[no-untyped-def]
        import holidays  # imported when a date is first asked about (start-up stays fast)

        return holidays.country_holidays(self.country, subdiv=self.subdivision)

    # -- days ---------------------------------------------------------------------------
    def day_off_reason(self, day: date) -> str | None:
        """Why ``day`` is not a business day (None when it is one)."""
        if day.weekday() not in self.workdays:
            return DAY_NAMES[day.weekday()]
        known, years = self.known_holidays, self.known_years
        if known is not None and years is not None and years[0] <= day.year <= years[1]:
            name = known.get(day)
        else:
            name = self._holidays.get(day)
        if name:
            return f"public holiday ({name})"
        if day in self.extra_days_off:
            return "day off"
        return None

    def is_business_day(self, day: date) -> bool:
        return self.business_window(day) is not None

    @cached_property
    def _windows(self) -> dict[date, tuple[datetime, datetime] | None]:
        return {}

    def business_window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's working window as UTC instants, or None on a day off (memoised:
        the timeline and the planner ask about the same few weeks over and over)."""
        try:
            return self._windows[day]
        except KeyError:
            found = None if self.day_off_reason(day) else self.window(day)
            self._windows[day] = found
            return found

    def business_day_on_or_after(self, day: date) -> date:
        for _ in range(3660):
            if self.is_business_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no business day within ten years; check workdays and days off")

    def next_business_day(self, day: date) -> date:
        return self.business_day_on_or_after(day + timedelta(days=1))

    # -- instants -----------------------------------------------------------------------
    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def at_local(self, day: date, clock: time) -> datetime:
        """The UTC instant of ``clock`` on ``day`` in the engineer's zone."""
        return datetime.combine(day, clock, tzinfo=self.tz).astimezone(UTC)

    def window(self, day: date) -> tuple[datetime, datetime]:
        return self.at_local(day, self.start), self.at_local(day, self.end)

    def is_business_time(self, at: datetime) -> bool:
        day = self.local(at).date()
        if not self.is_business_day(day):
            return False
        start, end = self.window(day)
        return start <= at < end

    def next_business_time(self, at: datetime) -> datetime:
        """``at`` itself when it is business time, else the start of the next window."""
        day = self.local(at).date()
        found = self.business_window(day)
        if found is not None:
            start, end = found
            if at < start:
                return start
            if at < end:
                return at.astimezone(UTC)
        return self.window(self.next_business_day(day))[0]

    def why_not_business_time(self, at: datetime) -> str | None:
        """A plain-words reason a send at ``at`` must wait (R23), or None."""
        local = self.local(at)
        reason = self.day_off_reason(local.date())
        if reason:
            return reason
        if local.time() < self.start:
            return f"before working hours ({self.start:%H:%M})"
        if local.time() >= self.end:
            return f"after working hours ({self.end:%H:%M})"
        return None

    def days_off_between(self, start: datetime, end: datetime) -> list[str]:
        """The days off from ``start``'s date up to ``end``'s, for explaining a wait."""
        out = []
        day = self.local(start).date()
        while day < self.local(end).date():
            reason = self.day_off_reason(day)
            if reason:
                out.append(
                    f"{day:%a %d %b} {reason}"
                    if not reason.startswith(DAY_NAMES[day.weekday()])
                    else f"{day:%a %d %b}"
                )
            day += timedelta(days=1)
        return out

    def add_business_days(self, at: datetime, days: int) -> datetime:
        """The same time of day ``days`` business days later (counting from the next
        business moment when ``at`` falls outside business time)."""
        base = self.local(self.next_business_time(at))
        day = base.date()
        for _ in range(days):
            day = self.next_business_day(day)
        return datetime.combine(day, base.time().replace(tzinfo=None), tzinfo=self.tz).astimezone(
            UTC
        )

    def add_business_hours(self, at: datetime, hours: float) -> datetime:
        """The instant ``hours`` of business time after ``at`` (counted from the next
        business moment when ``at`` falls outside business time)."""
        left = timedelta(hours=hours)
        now = self.next_business_time(at)
        for _ in range(3660):
            day = self.local(now).date()
            end = self.window(day)[1]
            if now + left <= end:
                return now + left
            left -= end - now
            now = self.window(self.next_business_day(day))[0]
        raise ValueError("no business time within ten years; check workdays and days off")

    def business_days_between(self, start: datetime, end: datetime) -> float:
        """Business time elapsed from ``start`` to ``end``, in working days (e.g. 2.5).
        The first and last days are measured to the second; the whole days between are
        counted from a memo of business days per month, so a long silence costs no more
        than a short one."""
        if end <= start:
            return 0.0
        window_seconds = (
            datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        ).total_seconds()
        first, last = self.local(start).date(), self.local(end).date()
        if first == last:
            return self._seconds_on(first, start, end) / window_seconds
        total = self._seconds_on(first, start, end) + self._seconds_on(last, start, end)
        whole = self._business_days_in(first + timedelta(days=1), last - timedelta(days=1))
        return total / window_seconds + whole

    def _seconds_on(self, day: date, start: datetime, end: datetime) -> float:
        found = self.business_window(day)
        if found is None:
            return 0.0
        lo, hi = max(found[0], start), min(found[1], end)
        return max((hi - lo).total_seconds(), 0.0)

    @cached_property
    def _months(self) -> dict[tuple[int, int], list[int]]:
        return {}

    def _month(self, year: int, month: int) -> list[int]:
        """Business days of a month counted up to each day: ``[0, c1, c2, ...]``."""
        key = (year, month)
        found = self._months.get(key)
        if found is None:
            day = date(year, month, 1)
            found = [0]
            while day.month == month:
                found.append(found[-1] + self.is_business_day(day))
                day += timedelta(days=1)
            self._months[key] = found
        return found

    def _business_days_in(self, first: date, last: date) -> int:
        """How many business days from ``first`` to ``last``, both included."""
        if last < first:
            return 0
        head = self._month(first.year, first.month)
        if (first.year, first.month) == (last.year, last.month):
            return head[last.day] - head[first.day - 1]
        count = head[-1] - head[first.day - 1]
        y, m = first.year, first.month
        while True:
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            if (y, m) == (last.year, last.month):
                return count + self._month(y, m)[last.day]
            count += self._month(y, m)[-1]

    def closure_date(
        self,
        strike3_sent: datetime,
        last_contact: datetime,
        min_business_days: int,
        min_calendar_days: int,
    ) -> date:
        """R12: the first business day at least ``min_business_days`` business days after
        strike 3 and at least ``min_calendar_days`` calendar days after the last contact."""
        after_strike = self.local(self.add_business_days(strike3_sent, min_business_days)).date()
        after_contact = self.local(last_contact).date() + timedelta(days=min_calendar_days)
        return self.business_day_on_or_after(max(after_strike, after_contact))
