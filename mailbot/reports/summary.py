"""The weekly manager summary (R29, R30): open cases by state, what mailbot drafted and
sent this week, strikes in progress and upcoming closures, cases at risk, and a chart
of case ages by state, as an email that holds up in Outlook (inline styles, tables, the
chart as an inline image with a text alternative)."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from sqlalchemy import select

from mailbot.app import App
from mailbot.domain.kinds import ENGINEER_KINDS, STRIKES, CaseState, MailKind, OutboxState
from mailbot.outbound.compose import environment
from mailbot.store.models import Case, Outbox

STATE_LABELS = {
    CaseState.NEW: "New",
    CaseState.ACTIVE: "Researching",
    CaseState.WAITING_INFO: "Waiting for information",
    CaseState.SOLUTION_DELIVERED: "Solution delivered",
    CaseState.RESOLVED: "Resolved, closing",
    CaseState.RESOLVED_BY_CUSTOMER: "Resolved by customer, closing",
}


@dataclass
class Summary:
    week_start: date
    week_end: date
    by_state: list[tuple[str, int]]
    ages: dict[str, list[float]]  # state label → ages in days
    drafted: list[tuple[str, int]]
    sent: list[tuple[str, int]]
    strikes: list[dict] = field(default_factory=list)
    closures: list[dict] = field(default_factory=list)
    at_risk: list[dict] = field(default_factory=list)

    @property
    def open_total(self) -> int:
        return sum(n for _, n in self.by_state)


def gather(app: App, now: datetime) -> Summary:
    cal = app.calendar
    since = now - timedelta(days=7)
    with app.sessions() as s:
        cases = s.scalars(select(Case).where(Case.state != CaseState.CLOSED)).all()
        rows = s.scalars(
            select(Outbox).where(Outbox.created_at >= since - timedelta(days=60))
        ).all()
    by_case: dict[int, list[Outbox]] = defaultdict(list)
    for r in rows:
        by_case[r.case_id].append(r)
    counts = Counter(STATE_LABELS.get(CaseState(c.state), c.state) for c in cases)
    ages: dict[str, list[float]] = defaultdict(list)
    for c in cases:
        ages[STATE_LABELS.get(CaseState(c.state), c.state)].append(
            (now - c.opened_at).total_seconds() / 86400
        )
    customer_rows = [r for r in rows if r.kind not in {k.value for k in ENGINEER_KINDS}]
    drafted = Counter(r.kind for r in customer_rows if r.created_at >= since)
    sent = Counter(
        r.kind
        for r in customer_rows
        if r.sent_at and r.sent_at >= since and r.state == OutboxState.SENT
    )
    summary = Summary(
        cal.local(since).date(),
        cal.local(now).date(),
        sorted(counts.items(), key=lambda kv: -kv[1]),
        dict(ages),
        sorted(drafted.items()),
        sorted(sent.items()),
    )
    for c in cases:
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
        risks = []
        if c.upset_at:
            risks.append(f"dissatisfied: {c.upset_why or 'marked upset'}")
        if c.promise_due and c.promise_due < now:
            risks.append(f"promised update overdue since {cal.local(c.promise_due):%a %d %b}")
        if risks:
            summary.at_risk.append(
                {"number": c.number, "why": "; ".join(risks), "premier": c.premier}
            )
    return summary


def chart_png(summary: Summary) -> bytes:
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


def _context(app: App, summary: Summary, chart_src: str) -> dict:
    return {
        "s": summary,
        "engineer": app.settings.engineer,
        "chart_src": chart_src,
        "chart_alt": chart_alt(summary),
    }


def chart_alt(summary: Summary) -> str:
    parts = [
        f"{label}: {n} case(s), oldest {max(summary.ages.get(label, [0])):.0f} days"
        for label, n in summary.by_state
    ]
    return "Case ages by state. " + ("; ".join(parts) if parts else "No open cases.")


def render_html(app: App, summary: Summary, chart_src: str) -> str:
    return environment().get_template("summary.html.j2").render(_context(app, summary, chart_src))


def render_text(app: App, summary: Summary) -> str:
    return environment().get_template("summary.txt.j2").render(_context(app, summary, ""))


def build_email(
    app: App, summary: Summary, now: datetime, recipients: list[str], key: str
) -> EmailMessage:
    """multipart/alternative: text, and HTML with the chart as an inline (cid) image."""
    from mailbot.mailbox.port import KEY_HEADER

    eng = app.settings.engineer
    cid = make_msgid(domain=eng.email.rsplit("@", 1)[-1])
    msg = EmailMessage()
    msg["From"] = formataddr((eng.name, eng.email))
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = (
        f"Weekly case summary, {eng.name}: {summary.week_start:%d %b} - {summary.week_end:%d %b %Y}"
    )
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=f"mailbot.{key}", domain=eng.email.rsplit("@", 1)[-1])
    msg[KEY_HEADER] = key
    msg["X-Mailbot-Kind"] = "summary_weekly"
    msg.set_content(render_text(app, summary))
    msg.add_alternative(render_html(app, summary, f"cid:{cid[1:-1]}"), subtype="html")
    msg.get_payload()[1].add_related(
        chart_png(summary), maintype="image", subtype="png", cid=cid, filename="case-ages.png"
    )
    return msg


def preview(app: App, now: datetime) -> str:
    """The summary as one HTML file (chart embedded as a data URI) for a browser."""
    import base64

    summary = gather(app, now)
    data = base64.b64encode(chart_png(summary)).decode("ascii")
    return render_html(app, summary, f"data:image/png;base64,{data}")
