"""A month of mixed cases, run twice: once with mail picked up as it arrives (a tick
every 15 minutes), once in bursts (the laptop asleep for hours, the daemon restarted,
several hours of mail and the engineer's own replies read in one sync). What the
process sends and reminds in the first run is the expectation; the figure is how much
of it the bursty run does at the right time (no later than the burst that brought its
cause, plus the next business window), and how many rules it breaks.

Cases (seeded): silent customers going to closure, customers who answer, confirm the
fix or fix it themselves, out-of-office replies, phone preferences, solutions marked by
category, the engineer writing before mailbot's draft is approved. The simulated
engineer approves every draft at the next tick they are at their desk.

Run: ``.venv/bin/python bench/month.py [--cases 40] [--seed 1]``
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time_machine  # noqa: E402

from mailbot import app as app_mod  # noqa: E402
from mailbot import config  # noqa: E402
from mailbot.cycle import run_cycle  # noqa: E402
from tests import helpers  # noqa: E402

START = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
DAYS = 31


@dataclass(frozen=True)
class Mail:
    at: datetime
    case: int
    who: str  # customer | engineer | auto
    body: str
    keywords: str | None = None


def script(rng: random.Random, cases: int) -> list[Mail]:
    """Each case's mail, at the times it is written."""
    out = []
    for c in range(cases):
        at = START + timedelta(days=rng.randrange(0, 14), hours=rng.randrange(1, 9))
        out.append(Mail(at, c, "customer", "Hello, our export job fails since Monday."))
        kind = rng.choice(["silent", "answers", "confirms", "fixes", "ooo", "phone", "quick"])
        if kind == "quick":  # the engineer answers within minutes, before any approval
            at += timedelta(minutes=rng.randrange(5, 40))
        else:
            at += timedelta(hours=rng.randrange(2, 20))
        out.append(
            Mail(
                at,
                c,
                "engineer",
                "Please raise the timeout to 300 seconds.",
                "Mailbot: Solution delivered",
            )
        )
        if kind == "answers":
            at += timedelta(hours=rng.randrange(20, 60))
            out.append(Mail(at, c, "customer", "It still does not work, same error."))
            at += timedelta(hours=rng.randrange(2, 8))
            out.append(Mail(at, c, "engineer", "Could you send the run ID?"))
        elif kind == "confirms":
            at += timedelta(hours=rng.randrange(3, 40))
            out.append(Mail(at, c, "customer", "That worked, thank you! You can close the case."))
        elif kind == "fixes":
            at += timedelta(hours=rng.randrange(3, 40))
            out.append(Mail(at, c, "customer", "We fixed it ourselves, it works now."))
        elif kind == "ooo":
            at += timedelta(minutes=3)
            out.append(Mail(at, c, "auto", "I am out of the office until 23 November 2026."))
        elif kind == "phone":
            at += timedelta(hours=rng.randrange(3, 30))
            out.append(Mail(at, c, "customer", "Please call me tomorrow, that is easier."))
    return sorted(out, key=lambda m: m.at)


def _deliver(root: Path, m: Mail) -> None:
    number = f"26110200{m.case:08d}"
    subject = f"Export job fails - TrackingID#{number}"
    customer = f"Customer {m.case} <c{m.case}@fabrikam{m.case}.example>"
    if m.who == "engineer":
        msg = helpers.mail(
            sender=f"Alex Rivera <{helpers.ENGINEER}>",
            to=f"c{m.case}@fabrikam{m.case}.example",
            subject="RE: " + subject,
            body=m.body,
            when=m.at,
            headers={"Keywords": m.keywords} if m.keywords else None,
        )
        helpers.deliver(root, msg, "Sent Items")
        return
    headers = {"Auto-Submitted": "auto-replied"} if m.who == "auto" else None
    msg = helpers.mail(
        sender=customer,
        subject=("Automatic reply: RE: " if m.who == "auto" else "") + subject,
        body=m.body,
        when=m.at,
        headers=headers,
    )
    helpers.deliver(root, msg)


def run(
    work: Path, mails: list[Mail], ticks: list[datetime]
) -> tuple[list[tuple[str, str, datetime]], dict[tuple[str, str], str]]:
    """(case number, kind, when it left or was reminded) for everything mailbot did, and
    the customer drafts it withdrew because the engineer acted first (with the reason)."""
    settings = config.parse(
        helpers.config_dict(work, f"sqlite:///{work / 'mailbot.db'}"), file="month", base=work
    )
    root = settings.mailbox.maildir_path
    pending = list(mails)
    with time_machine.travel(ticks[0], tick=False) as traveller:
        application = app_mod.build(settings)
        for t in ticks:
            while pending and pending[0].at <= t:  # what arrived while mailbot was away
                m = pending.pop(0)
                traveller.move_to(m.at)
                _deliver(root, m)
            traveller.move_to(t)
            run_cycle(application)
            if helpers.approve_all(root, edit=False):  # the engineer, at their desk
                run_cycle(application)
        withdrawn = _superseded(application)
        application.engine.dispose()
    done = []
    for p in (work / "outgoing").glob("*.eml"):
        msg = message_from_bytes(p.read_bytes())
        done.append(
            (msg["X-Mailbot-Case"], msg["X-Mailbot-Kind"], parsedate_to_datetime(msg["Date"]))
        )
    for sub in ("new", "cur"):
        for p in (root / sub).iterdir():
            msg = message_from_bytes(p.read_bytes())
            if msg["X-Mailbot-Kind"]:
                done.append(
                    (
                        msg["X-Mailbot-Case"],
                        msg["X-Mailbot-Kind"],
                        parsedate_to_datetime(msg["Date"]),
                    )
                )
    return sorted(done, key=lambda d: d[2]), withdrawn


def _superseded(application) -> dict[tuple[str, str], str]:
    """Drafts retired because the engineer's own action made them pointless: not a miss
    when the steady run (which saw the case earlier) sent them."""
    from sqlalchemy import select

    from mailbot.domain.kinds import OutboxState
    from mailbot.store.models import Case, Outbox

    with application.sessions() as s:
        rows = s.execute(
            select(Case.number, Outbox.kind, Outbox.blocked_reason)
            .join(Case, Case.id == Outbox.case_id)
            .where(Outbox.state == OutboxState.SUPERSEDED)
        )
        return {(n, k): why or "" for n, k, why in rows}


def steady_ticks() -> list[datetime]:
    return [START + timedelta(minutes=15 * i) for i in range(DAYS * 24 * 4)]


def bursty_ticks(rng: random.Random) -> list[datetime]:
    out, t = [], START
    while t < START + timedelta(days=DAYS):
        out.append(t)
        t += timedelta(minutes=rng.choice([15, 30, 120, 240, 360, 600]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    mails = script(rng, args.cases)
    bursts = bursty_ticks(rng)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "steady", Path(tmp) / "bursty"
        a.mkdir()
        b.mkdir()
        expected, _ = run(a, mails, steady_ticks())
        got, withdrawn = run(b, mails, bursts)
    settings = config.parse(helpers.config_dict(Path(tmp), "sqlite:///x.db"), file="m")
    from mailbot.domain.calendar import BusinessCalendar

    cal = BusinessCalendar.from_settings(settings.calendar)

    def slack(at: datetime) -> datetime:
        """The latest a bursty run may do what the steady one did at ``at``: the next
        tick after it, then the next business moment, plus the next tick after that."""
        later = [t for t in bursts if t >= at]
        first = later[0] if later else at
        window = cal.next_business_time(first)
        after = [t for t in bursts if t >= window]
        return (after[0] if after else window) + timedelta(minutes=16)

    # A case's later steps count from its earlier sends, so a step is on time when it
    # comes no later than the steady run's time, shifted by how late (in business time)
    # the case's earlier steps already were, plus the wait for the next tick and window.
    hours = (cal.end.hour - cal.start.hour) or 8

    def shifted(at: datetime, late_days: float) -> datetime:
        return cal.add_business_hours(at, late_days * hours) if late_days > 0 else at

    def answered_unseen(number: str) -> bool:
        """The engineer's own first answer was in the mailbox before the bursty run's
        first tick after the customer's first mail: no first response was ever due."""
        case = int(number[-8:])
        first = min(m.at for m in mails if m.case == case and m.who == "customer")
        answer = min(m.at for m in mails if m.case == case and m.who == "engineer")
        seen = min((t for t in bursts if t >= first), default=first)
        return answer <= seen

    pool = Counter((c, k) for c, k, _ in got)
    used: Counter = Counter()
    shift: dict[str, float] = {}  # business days behind
    matched = on_time = beyond = 0
    missing = []
    rightly_not: list = []  # withdrawn: the engineer's own mail came first in this run
    tardy: list = []
    horizon = bursts[-1]
    for c, k, at in expected:
        times = sorted(t for cc, kk, t in got if (cc, kk) == (c, k))
        if pool[(c, k)] == 0:
            if slack(shifted(at, shift.get(c, 0.0))) > horizon:
                beyond += 1  # the bursty month ended before its turn came
            elif (c, k) in withdrawn:
                rightly_not.append((c, k, at, withdrawn[(c, k)]))
            elif k == "first_response" and answered_unseen(c):
                rightly_not.append((c, k, at, "the engineer answered before mailbot saw the case"))
            else:
                missing.append((c, k, at))
            continue
        pool[(c, k)] -= 1
        matched += 1
        mine = times[min(used[(c, k)], len(times) - 1)]
        used[(c, k)] += 1
        late = shift.get(c, 0.0)
        if mine <= slack(shifted(at, late)):
            on_time += 1
        else:
            tardy.append((c, k, at, mine, late))
        shift[c] = max(late, cal.business_days_between(at, mine))
    if "--verbose" in sys.argv:
        for c, k, at in expected:
            mine = [t for cc, kk, t in got if (cc, kk) == (c, k)]
            print(
                f"    {c} {k:28} steady {at:%a %d %H:%M}  bursty {[f'{t:%a %d %H:%M}' for t in mine]}"
            )
    customer = [d for d in got if not d[1].startswith("remind_")]
    outside = [d for d in customer if not cal.is_business_time(d[2])]
    twice = sum(n - 1 for n in Counter((c, k, t) for c, k, t in customer).values() if n > 1)
    extra = sum(pool.values())
    print(
        f"{args.cases} cases, {len(mails)} mails over {DAYS} days; steady run: {len(expected)} "
        f"emails and reminders; bursty run ({len(bursts)} ticks): {len(got)}"
    )
    due = len(expected) - beyond - len(rightly_not)
    print(
        f"  found in the bursty run: {matched}/{due} (and {beyond} not yet due when its month "
        f"ended, {len(rightly_not)} rightly withdrawn); at the right time: {on_time}/{due} "
        f"({100 * on_time / max(due, 1):.1f} %); extra: {extra}"
    )
    for c, k, at, why in rightly_not:
        print(
            f"  withdrawn in the bursty run: case {c} {k} (steady run sent it {at:%a %d %b %H:%M}"
            f" UTC, before the engineer's own mail; bursty: {why})"
        )
    for c, k, at, mine, late in tardy:
        print(
            f"  late: case {c} {k}: steady {at:%a %d %b %H:%M}, bursty {mine:%a %d %b %H:%M} "
            f"(case already {late:.1f} business days behind) UTC"
        )
    for c, k, at in missing:
        print(f"  not in the bursty run: case {c} {k} (steady run: {at:%a %d %b %H:%M} UTC)")
    print(f"  rule violations: {len(outside)} customer emails outside business time, {twice} twice")


if __name__ == "__main__":
    main()
