"""Run the scripted demo: a throwaway Maildir and SQLite database, the real engine over
about five simulated weeks, an engineer who approves drafts at fixed times, and a
timeline of everything that happened with the rule behind it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as _default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path

import structlog
from sqlalchemy import select

from mailbot import app as app_mod
from mailbot import clock, config
from mailbot.cycle import run_cycle
from mailbot.demo.script import ENGINEER, STEPS, SUPPORT, Step
from mailbot.store.models import Case, Event, MailItem, Outbox

default_policy = _default_policy.clone(max_line_length=200)
START = date(2026, 11, 30)  # a Monday; the run crosses weekends, a day off and Christmas
DAYS = 35  # five weeks: strike 3 before Christmas closes after the holidays (R12, R13)
TICK = timedelta(minutes=15)
# When the demo engineer looks at the approval folder (local time): weekdays at lunch and
# in the evening, plus Saturday morning. Evening and weekend approvals show R23 at work.
ENGINEER_CHECKS = {
    0: ["12:30", "19:00"],
    1: ["12:30", "19:00"],
    2: ["12:30", "19:00"],
    3: ["12:30", "19:00"],
    4: ["12:30", "19:00"],
    5: ["11:00"],
    6: [],
}

CONFIG = """
[engineer]
name = "Alex Rivera"
email = "{engineer}"
title = "Support Engineer"
team = "Data Platform Support"
working_hours = "Mon-Fri 09:00-17:00 (Europe/Berlin)"
phone = "+49 30 5550 1234"
manager_name = "Sam Okafor"
manager_email = "sam.okafor@contoso.example"

[calendar]
timezone = "Europe/Berlin"
country = "DE"
subdivision = "BE"
start = "09:00"
end = "17:00"
extra_days_off = ["2026-12-24"]

[cases]
support_address = "{support}"
internal_domains = ["contoso.example"]

[mailbox]
kind = "maildir"

[mailbox.maildir]
path = "Maildir"
send = "pickup"
pickup_dir = "outgoing"

[data]
dir = "."
"""


def _write_config(base: Path) -> Path:
    path = base / "mailbot.toml"
    path.write_text(CONFIG.format(engineer=ENGINEER, support=SUPPORT), encoding="utf-8")
    return path


def _folder(root: Path, name: str | None) -> Path:
    return root if not name else root / ("." + name.replace("/", "."))


def _deliver(root: Path, folder: str | None, data: bytes, seq: int) -> None:
    base = _folder(root, folder)
    name = f"demo{seq:05d}.{os.getpid()}"
    (base / "tmp" / name).write_bytes(data)
    os.replace(base / "tmp" / name, base / "new" / name)


def _message(step: Step, when: datetime, last_ids: dict[str, str]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = step.sender
    customer = next(
        (s.sender for s in STEPS if s.case == step.case and s.action == "customer"), None
    )
    msg["To"] = (customer or "") if step.action == "engineer" else ENGINEER
    if step.case:
        msg["Cc"] = SUPPORT
    msg["Subject"] = step.subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="demo.example")
    if step.reply and step.case and step.case in last_ids:
        msg["In-Reply-To"] = last_ids[step.case]
        msg["References"] = last_ids[step.case]
    for k, v in step.headers.items():
        msg[k] = v
    msg.set_content(step.body)
    if step.case:
        last_ids[step.case] = msg["Message-ID"]
    return msg


def _approve_all(root: Path) -> int:
    """The demo engineer: reads each draft and approves it by moving it to Approved."""
    awaiting = _folder(root, "Mailbot/Awaiting Approval")
    approved = _folder(root, "Mailbot/Approved")
    moved = 0
    for sub in ("new", "cur"):
        for path in sorted((awaiting / sub).iterdir()):
            os.replace(path, approved / "cur" / path.name)
            moved += 1
    return moved


def run_demo(directory: str | None = None, as_json: bool = False) -> int:
    started = time.perf_counter()
    import logging

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    base = (
        Path(directory).resolve() if directory else Path(tempfile.mkdtemp(prefix="mailbot-demo-"))
    )
    if directory and (base / "Maildir").exists():
        shutil.rmtree(base / "Maildir")
        shutil.rmtree(base / "outgoing", ignore_errors=True)
        for f in base.glob("mailbot.db*"):
            f.unlink()
    base.mkdir(parents=True, exist_ok=True)
    settings = config.load(_write_config(base))
    cal_tz = settings.calendar.timezone
    start = datetime.combine(START, datetime.min.time(), tzinfo=cal_tz)
    sim = clock.SimulatedClock(start + timedelta(hours=7))
    clock.use(sim)
    try:
        app = app_mod.build(settings)
        root = settings.mailbox.maildir_path
        script = sorted(
            (
                (start + timedelta(days=s.day, hours=int(s.at[:2]), minutes=int(s.at[3:])), i, s)
                for i, s in enumerate(STEPS)
            ),
            key=lambda t: (t[0], t[1]),
        )
        checks = sorted(
            start + timedelta(days=d, hours=int(hm[:2]), minutes=int(hm[3:]))
            for d in range(DAYS + 1)
            for hm in ENGINEER_CHECKS[(START + timedelta(days=d)).weekday()]
        )
        last_ids: dict[str, str] = {}
        now = sim.current
        end = start + timedelta(days=DAYS)
        seq = 0
        while now <= end:
            sim.advance_to(now)
            while script and script[0][0] <= now:
                when, _, step = script.pop(0)
                seq += 1
                folder = settings.mailbox.folders.sent if step.action == "engineer" else None
                _deliver(root, folder, _message(step, when, last_ids).as_bytes(), seq)
            run_cycle(app)
            if checks and checks[0] <= now:
                while checks and checks[0] <= now:
                    checks.pop(0)
                if _approve_all(root):
                    run_cycle(app)
            now += TICK
        elapsed = time.perf_counter() - started
        rows = _timeline(app)
        if as_json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            _print(rows, app, base, elapsed, directory is not None)
        app.engine.dispose()
    finally:
        clock.use(None)
    if not directory:
        shutil.rmtree(base, ignore_errors=True)
    return 0


LABELS = {
    "2611300010000101": "A confirms",
    "2611300010000202": "B silent",
    "2612020010000303": "C names date",
    "2612080010000404": "D self-fixed",
    "2612230010000505": "E password",
}
SHOWN = {
    "opened",
    "customer",
    "engineer",
    "paused",
    "ignored",
    "reopened",
    "planned",
    "drafted",
    "approved",
    "scheduled",
    "held",
    "sent",
    "stale",
    "rejected",
    "blocked",
    "closed",
    "reminded",
    "failed",
    "recovered",
    "signal",
}


def _timeline(app) -> list[dict]:  # type: ignore[no-untyped-def]
    out = []
    cal = app.calendar
    with app.sessions() as s:
        numbers = {c.id: c.number for c in s.scalars(select(Case))}
        for e in s.scalars(select(Event).order_by(Event.at, Event.id)):
            if e.kind not in SHOWN or e.kind == "planned":
                continue
            number = numbers.get(e.case_id, "") if e.case_id is not None else "managers"
            out.append(
                {
                    "at": f"{cal.local(e.at):%a %d %b %H:%M}",
                    "sort": e.at.isoformat(),
                    "case": LABELS.get(number, number),
                    "rule": e.rule or "",
                    "what": e.kind,
                    "detail": e.reason,
                }
            )
        for item in s.scalars(select(MailItem).where(MailItem.case_id.is_(None))):
            if item.automatic == "mailbot's own mail":
                continue
            why = item.facts.get("not_a_case") or "no case number in the subject"
            out.append(
                {
                    "at": f"{cal.local(item.sent_at or item.ingested_at):%a %d %b %H:%M}",
                    "sort": (item.sent_at or item.ingested_at).isoformat(),
                    "case": "-",
                    "rule": "R03" if item.automatic else "R01",
                    "what": "left alone",
                    "detail": f'"{item.subject}": {why}'
                    + (f" ({item.automatic})" if item.automatic else ""),
                }
            )
        sent = s.scalars(
            select(Outbox).where(Outbox.state == "sent", Outbox.audience == "customer")
        ).all()
        out.append(
            {
                "at": "",
                "sort": "9999",
                "case": "",
                "rule": "",
                "what": "total",
                "detail": f"{len(sent)} emails sent to customers",
            }
        )
    return sorted(out, key=lambda r: r["sort"])


def _print(rows: list[dict], app, base: Path, elapsed: float, kept: bool) -> None:  # type: ignore[no-untyped-def]
    from mailbot.views.table import render_table

    table = [(r["at"], r["case"], r["rule"], r["what"], r["detail"]) for r in rows]
    print(
        render_table(
            "mailbot demo: five weeks of five cases (times in Europe/Berlin)",
            ("when", "case", "rule", "what", "why"),
            table,
        )
    )
    pickup = list((base / "outgoing").glob("*.eml")) if (base / "outgoing").exists() else []
    print(
        f"{len(pickup)} messages in the pickup directory; simulated {DAYS} days in {elapsed:.1f} s."
    )
    if kept:
        print(
            f"Kept for inspection: {base} (config mailbot.toml; try: mailbot cases --config {base / 'mailbot.toml'})"
        )
