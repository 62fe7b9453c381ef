"""The weekly manager summary (R29, R30): open cases by state, what mailbot drafted and
sent this week, strikes in progress and upcoming closures, cases at risk, and a chart
of case ages by state, as an email that holds up in Outlook (inline styles, tables, the
chart as an inline image with a text alternative)."""

from __future__ import annotations

import io
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.domain.kinds import (
    ENGINEER_KINDS,
    OPEN_OUTBOX_STATES,
    STRIKES,
    CaseState,
    Direction,
    MailKind,
    OutboxState,
)
from mailbot.outbound.compose import environment
from mailbot.reports.labels import KIND_LABELS, kind_label, state_label
from mailbot.store.models import Case, MailItem, Outbox


@dataclass
class Week:
    """One week's movement: what a manager compares week on week."""

    start: datetime
    end: datetime
    opened: int = 0
    closed: int = 0
    backlog: int = 0  # cases open when the week ended
    first_response_hours: list[float] = field(default_factory=list)  # business hours

    @property
    def median_first_response(self) -> float | None:
        return statistics.median(self.first_response_hours) if self.first_response_hours else None

    def plus(self, other: Week) -> Week:
        return Week(
            self.start,
            self.end,
            self.opened + other.opened,
            self.closed + other.closed,
            self.backlog + other.backlog,
            self.first_response_hours + other.first_response_hours,
        )


@dataclass
class Summary:
    """One engineer's week."""

    week_start: date
    week_end: date
    by_state: list[tuple[str, int]]
    ages: dict[str, list[float]]  # state label → ages in days
    drafted: list[tuple[str, int]]  # kind label → count (customer mail only)
    sent: list[tuple[str, int]]
    strikes: list[dict] = field(default_factory=list)
    closures: list[dict] = field(default_factory=list)
    at_risk: list[dict] = field(default_factory=list)
    engineer: str = ""
    this_week: Week | None = None
    last_week: Week | None = None

    @property
    def open_total(self) -> int:
        return sum(n for _, n in self.by_state)


@dataclass
class Report:
    """What one summary email covers: one engineer, or a manager's team (each member's
    figures and the team's, first responses pooled rather than medians averaged)."""

    members: list[Summary]

    @property
    def is_team(self) -> bool:
        return len(self.members) > 1

    @property
    def week_start(self) -> date:
        return min(m.week_start for m in self.members)

    @property
    def week_end(self) -> date:
        return max(m.week_end for m in self.members)

    @property
    def this_week(self) -> Week:
        return _sum_weeks([m.this_week for m in self.members if m.this_week])

    @property
    def last_week(self) -> Week:
        return _sum_weeks([m.last_week for m in self.members if m.last_week])

    @property
    def open_total(self) -> int:
        return sum(m.open_total for m in self.members)

    @property
    def by_state(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for m in self.members:
            counts.update(dict(m.by_state))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def ages(self) -> dict[str, list[float]]:
        merged: dict[str, list[float]] = defaultdict(list)
        for m in self.members:
            for label, values in m.ages.items():
                merged[label].extend(values)
        return dict(merged)

    @property
    def activity(self) -> list[tuple[str, int, int]]:
        """(kind label, drafted, sent) over the members, in the order of the process."""
        drafted: Counter[str] = Counter()
        sent: Counter[str] = Counter()
        for m in self.members:
            drafted.update(dict(m.drafted))
            sent.update(dict(m.sent))
        order = {label: i for i, label in enumerate(KIND_LABELS.values())}
        labels = sorted(set(drafted) | set(sent), key=lambda k: (order.get(k, len(order)), k))
        return [(label, drafted[label], sent[label]) for label in labels]


def _sum_weeks(weeks: list[Week]) -> Week:
    total = weeks[0]
    for w in weeks[1:]:
        total = total.plus(w)
    return total


def _business_hours(app: App, start: datetime, end: datetime) -> float:
    cal = app.calendar
    day = (datetime.combine(date.min, cal.end) - datetime.combine(date.min, cal.start)).seconds
    return cal.business_days_between(start, end) * day / 3600


def _week(
    app: App, start: datetime, end: datetime, cases: list[Case], first: dict[int, datetime]
) -> Week:
    week = Week(start, end)
    for c in cases:
        if start <= c.opened_at < end:
            week.opened += 1
            answered = first.get(c.id)
            if answered is not None and answered < end:
                week.first_response_hours.append(
                    round(_business_hours(app, c.opened_at, answered), 1)
                )
        if c.closed_at is not None and start <= c.closed_at < end:
            week.closed += 1
        still_open = c.state != CaseState.CLOSED or c.closed_at is None or c.closed_at >= end
        if c.opened_at < end and still_open:  # a reopened case keeps its old closed_at
            week.backlog += 1
    return week


def _first_answers(s: Session, case_ids: list[int]) -> dict[int, datetime]:
    """When each case first heard from the engineer: their own reply filed from Sent
    Items, or customer mail mailbot sent for them, whichever came first."""
    first: dict[int, datetime] = {}

    def seen(case_id: int | None, at: datetime | None) -> None:
        if case_id is not None and at is not None and (case_id not in first or at < first[case_id]):
            first[case_id] = at

    for chunk in (case_ids[i : i + 500] for i in range(0, len(case_ids), 500)):
        for case_id, at in s.execute(
            select(MailItem.case_id, MailItem.at).where(
                MailItem.case_id.in_(chunk), MailItem.direction == Direction.ENGINEER
            )
        ):
            seen(case_id, at)
        for case_id, at in s.execute(
            select(Outbox.case_id, Outbox.sent_at).where(
                Outbox.case_id.in_(chunk),
                Outbox.state == OutboxState.SENT,
                Outbox.audience == "customer",
            )
        ):
            seen(case_id, at)
    return first


def _next_step(app: App, case: Case, rows: list[Outbox]) -> tuple[str, str]:
    """The case's next step in a manager's words, and when (due, waiting since, goes out)."""
    cal = app.calendar

    def at(when: datetime | None, words: str) -> str:
        return f"{words} {cal.local(when):%a %d %b %H:%M}" if when else ""

    for r in sorted(rows, key=lambda r: r.id, reverse=True):
        if r.audience != "customer" or r.state not in OPEN_OUTBOX_STATES:
            continue
        label = kind_label(r.kind)
        if r.state == OutboxState.DRAFTED:
            return f"Approve the draft: {label}", at(r.updated_at, "waiting since")
        if r.state == OutboxState.PLANNED:
            return f"{label} (being drafted)", at(r.due_at, "due")
        return f"{label} (approved)", at(r.send_at or r.due_at, "goes out")
    if case.next_kind:
        return kind_label(case.next_kind), at(case.next_due_at, "due")
    return "None planned: the engineer decides", ""


def _risks(app: App, case: Case, rows: list[Outbox], now: datetime) -> list[str]:
    cal = app.calendar
    risks = []
    if case.upset_at:
        risks.append(f"dissatisfied customer: {case.upset_why or 'marked upset'}")
    if case.promise_due and case.promise_due < now:
        risks.append(f"promised update overdue since {cal.local(case.promise_due):%a %d %b}")
    if case.trouble:
        risks.append(f"mailbot cannot complete a step: {case.trouble}")
    for r in rows:
        if r.state == OutboxState.SCHEDULED and r.blocked_reason and r.audience == "customer":
            risks.append(f"approved {kind_label(r.kind).lower()} is held: {r.blocked_reason}")
    return risks


def gather(app: App, now: datetime) -> Summary:
    cal = app.calendar
    since = now - timedelta(days=7)
    before = since - timedelta(days=7)
    with app.sessions() as s:
        cases = s.scalars(
            select(Case).where(
                or_(
                    Case.state != CaseState.CLOSED,
                    Case.closed_at.is_(None),
                    Case.closed_at >= before,
                )
            )
        ).all()
        rows = s.scalars(
            select(Outbox).where(Outbox.created_at >= before - timedelta(days=60))
        ).all()
        first = _first_answers(s, [c.id for c in cases if c.opened_at >= before])
    open_cases = [c for c in cases if c.state != CaseState.CLOSED]
    by_case: dict[int, list[Outbox]] = defaultdict(list)
    for r in rows:
        by_case[r.case_id].append(r)
    counts = Counter(state_label(c.state) for c in open_cases)
    ages: dict[str, list[float]] = defaultdict(list)
    for c in open_cases:
        ages[state_label(c.state)].append((now - c.opened_at).total_seconds() / 86400)
    # customer mail of cases only: reminders are the engineer's, and the summary (no
    # case) does not list itself
    customer_rows = [
        r for r in rows if r.case_id is not None and r.kind not in {k.value for k in ENGINEER_KINDS}
    ]
    drafted = Counter(kind_label(r.kind) for r in customer_rows if r.created_at >= since)
    sent = Counter(
        kind_label(r.kind)
        for r in customer_rows
        if r.sent_at and r.sent_at >= since and r.state == OutboxState.SENT
    )
    summary = Summary(
        cal.local(since).date(),
        cal.local(now).date(),
        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
        dict(ages),
        sorted(drafted.items()),
        sorted(sent.items()),
        engineer=app.settings.engineer.name,
        this_week=_week(app, since, now, list(cases), first),
        last_week=_week(app, before, since, list(cases), first),
    )
    for c in sorted(open_cases, key=lambda c: (c.opened_at, c.number)):
        mine = sorted(by_case.get(c.id, []), key=lambda r: r.created_at)
        strikes_sent = [
            r
            for r in mine
            if r.kind in {k.value for k in STRIKES}
            and r.state == OutboxState.SENT
            and r.sent_at
            and r.sent_at >= c.phase_started_at
        ]
        if strikes_sent:
            last = strikes_sent[-1]
            summary.strikes.append(
                {
                    "number": c.number,
                    "strike": len(strikes_sent),
                    "since": f"{cal.local(last.sent_at):%a %d %b}",
                }
            )
            if last.kind == MailKind.STRIKE_3 and (last.facts or {}).get("closure_date"):
                summary.closures.append(
                    {"number": c.number, "date": (last.facts or {})["closure_date"]}
                )
        risks = _risks(app, c, mine, now)
        if risks:
            step, when = _next_step(app, c, mine)
            summary.at_risk.append(
                {
                    "number": c.number,
                    "why": "; ".join(risks),
                    "premier": c.premier,
                    "engineer": summary.engineer,
                    "next": step,
                    "next_at": when,
                }
            )
    return summary


def chart_png(summary: Summary | Report) -> bytes:
    """Case ages by state as a horizontal bar chart (median age, with the oldest marked)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [label for label, _ in summary.by_state] or ["(no open cases)"]
    ages = [sorted(max(0.0, a) for a in summary.ages.get(label, [0.0])) for label in labels]
    medians = [a[len(a) // 2] for a in ages]
    oldest = [a[-1] for a in ages]
    fig, ax = plt.subplots(figsize=(6.4, max(1.8, 0.8 + 0.45 * len(labels))), dpi=100)
    ax.barh(labels, oldest, color="#c7d7ee")
    ax.barh(labels, medians, color="#2f6db3")
    ax.set_title(
        "Case age in days by state: median (dark) and oldest (light)", fontsize=9, loc="left"
    )
    ax.invert_yaxis()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def as_report(summary: Summary | Report) -> Report:
    return summary if isinstance(summary, Report) else Report([summary])


def title(report: Report) -> str:
    who = (
        f"team of {len(report.members)} engineers" if report.is_team else report.members[0].engineer
    )
    return f"Weekly case summary, {who}: {report.week_start:%d %b} - {report.week_end:%d %b %Y}"


def _hours(week: Week) -> str:
    value = week.median_first_response
    if value is not None:
        return f"{value:.1f} business hours"
    return "none answered yet" if week.opened else "no new cases"


def _context(app: App, summary: Summary | Report, chart_src: str) -> dict:
    report = as_report(summary)
    return {
        "r": report,
        "title": title(report),
        "hours": _hours,
        "engineer": app.settings.engineer,
        "chart_src": chart_src,
        "chart_alt": chart_alt(report),
    }


def chart_alt(summary: Summary | Report) -> str:
    parts = [
        f"{label}: {n} case(s), oldest {max(summary.ages.get(label, [0])):.0f} days"
        for label, n in summary.by_state
    ]
    return "Case ages by state. " + ("; ".join(parts) if parts else "No open cases.")


def render_html(app: App, summary: Summary | Report, chart_src: str) -> str:
    return environment().get_template("summary.html.j2").render(_context(app, summary, chart_src))


def render_text(app: App, summary: Summary | Report) -> str:
    return environment().get_template("summary.txt.j2").render(_context(app, summary, ""))


def build_email(
    app: App, summary: Summary | Report, now: datetime, recipients: list[str], key: str
) -> EmailMessage:
    """multipart/alternative: text, and HTML with the chart as an inline (cid) image."""
    from mailbot.mailbox.port import KEY_HEADER

    report = as_report(summary)
    eng = app.settings.engineer
    cid = make_msgid(domain=eng.email.rsplit("@", 1)[-1])
    msg = EmailMessage()
    msg["From"] = formataddr((eng.name, eng.email))
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = title(report)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=f"mailbot.{key}", domain=eng.email.rsplit("@", 1)[-1])
    msg[KEY_HEADER] = key
    msg["X-Mailbot-Kind"] = "summary_weekly"
    msg.set_content(render_text(app, report))
    msg.add_alternative(render_html(app, report, f"cid:{cid[1:-1]}"), subtype="html")
    msg.get_payload()[1].add_related(
        chart_png(report), maintype="image", subtype="png", cid=cid, filename="case-ages.png"
    )
    return msg


def preview(app: App, now: datetime, report: Report | None = None) -> str:
    """The summary as one HTML file (chart embedded as a data URI) for a browser."""
    import base64

    report = report or Report([gather(app, now)])
    data = base64.b64encode(chart_png(report)).decode("ascii")
    return render_html(app, report, f"data:image/png;base64,{data}")
