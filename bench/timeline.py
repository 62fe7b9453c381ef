"""Time order, not read order, measured.

1. A first import of the same generated mailbox (default 10,000 mails) in three
   directory orders (the folder listing shuffled with three seeds, as file systems hand
   out entries in no particular order): are the resulting cases identical (the
   ``mailbot cases --json`` data), and how many customer replies ended outside their case?
2. The cost of a late event: one message dated in the middle of a case with 200 events,
   read last (the case is replayed), against one dated after all of them, and the pure
   fold of 200 events.

Run: ``.venv/bin/python bench/timeline.py [--mails 10000]``
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mailbox import ENGINEER, START, SUPPORT, generate  # noqa: E402
from mailbot import app as app_mod  # noqa: E402
from mailbot import clock  # noqa: E402
from mailbot import config as config_mod  # noqa: E402
from mailbot.domain.timeline import fold  # noqa: E402
from mailbot.ingest.sync import sync_all  # noqa: E402
from mailbot.mailbox.maildir import MaildirMailbox, open_maildir  # noqa: E402
from mailbot.store.models import Case, MailItem  # noqa: E402
from mailbot.timeline import load_events  # noqa: E402
from mailbot.views.data import open_cases  # noqa: E402
from tests import helpers  # noqa: E402


class ShuffledListing(MaildirMailbox):
    """The same Maildir, its directory entries handed out in a seeded random order."""

    seed = 0

    def _iter(self, folder):  # type: ignore[no-untyped-def]
        items = list(super()._iter(folder))
        random.Random(self.seed).shuffle(items)
        return iter(items)


def settings_for(work: Path, maildir: Path):  # type: ignore[no-untyped-def]
    data = helpers.config_dict(work, f"sqlite:///{work / 'mailbot.db'}")
    data["mailbox"]["maildir"] = {"path": str(maildir), "pickup_dir": str(work / "outgoing")}
    return config_mod.parse(data, file="bench.toml", base=work)


def first_import(maildir: Path, truth, seed: int, work: Path) -> tuple[str, int, float]:  # type: ignore[no-untyped-def]
    settings = settings_for(work, maildir)
    base = open_maildir(settings)
    ShuffledListing.seed = seed
    box = ShuffledListing(
        base.root, base.folders, base.sent_folder, base.inbox_folder, base.transmit
    )
    app = app_mod.build(settings, mailbox=box)
    now = START + timedelta(days=40)
    clock.use(lambda: now)
    t = time.perf_counter()
    sync_all(app, now)
    elapsed = time.perf_counter() - t
    cases = open_cases(app, now)
    with app.sessions() as s:
        where = dict(s.query(MailItem.message_id, MailItem.case_id).all())
        number_of = dict(s.query(Case.id, Case.number).all())
    outside = sum(
        1
        for number, ids in truth.cases.items()
        for mid in ids
        if number_of.get(where.get(mid)) != number
    )
    app.engine.dispose()
    clock.use(None)
    return json.dumps(cases, sort_keys=True, default=str), outside, elapsed


def long_case(work: Path, events: int) -> tuple[float, float, float]:
    """(ms to file a late message, ms to file an in-order one, ms for the pure fold)."""
    maildir = work / "Maildir"
    settings = settings_for(work, maildir)
    app = app_mod.build(settings)
    when = START
    parent = None
    subject = "Export fails - TrackingID#2610000000009999"
    for i in range(events):
        when += timedelta(hours=3)
        engineer = i % 2 == 1
        msg = helpers.mail(
            sender=f"Alex Rivera <{ENGINEER}>" if engineer else "Maria <maria@fabrikam.example>",
            to="maria@fabrikam.example" if engineer else ENGINEER,
            cc=SUPPORT,
            subject=("RE: " if i else "") + subject,
            body="One more detail." if not engineer else "Thanks, looking.",
            when=when,
            in_reply_to=parent,
        )
        parent = msg["Message-ID"]
        helpers.deliver(maildir, msg, "Sent Items" if engineer else None, when=when)
    now = when + timedelta(hours=1)
    clock.use(lambda: now)
    sync_all(app, now)

    def file_one(at) -> float:  # type: ignore[no-untyped-def]
        msg = helpers.mail(
            sender="Maria <maria@fabrikam.example>",
            subject="RE: " + subject,
            body="A late one.",
            when=at,
            in_reply_to=parent,
        )
        helpers.deliver(maildir, msg, when=at)
        t = time.perf_counter()
        sync_all(app, now)
        return (time.perf_counter() - t) * 1000

    late = min(file_one(START + timedelta(hours=3 * events / 2 + 1)) for _ in range(3))
    in_order = min(file_one(now - timedelta(minutes=30 - i)) for i in range(3))
    with app.sessions() as s:
        case = s.query(Case).one()
        evs = load_events(s, [case])[case.id]
    org = app.settings.organisation
    t = time.perf_counter()
    for _ in range(10):
        fold(evs, app.calendar, app.settings.policy, org)
    pure = (time.perf_counter() - t) * 100
    app.engine.dispose()
    clock.use(None)
    return late, in_order, pure


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mails", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        maildir = root / "Maildir"
        truth = generate(maildir, args.mails)
        print(
            f"generated {truth.mails} mails ({truth.sent} in Sent Items), {len(truth.cases)} cases"
        )
        results = []
        for seed in (1, 2, 3):
            work = root / f"run{seed}"
            work.mkdir()
            results.append(first_import(maildir, truth, seed, work))
            shutil.rmtree(work / "data", ignore_errors=True)
        for seed, (_, outside, elapsed) in zip((1, 2, 3), results, strict=True):
            print(
                f"  directory order {seed}: {elapsed:.1f} s, replies outside their case: {outside}"
            )
        same = len({r[0] for r in results}) == 1
        print(f"first import in three directory orders: identical cases: {'yes' if same else 'NO'}")
        work = root / "long"
        work.mkdir()
        late, in_order, pure = long_case(work, args.events)
        print(
            f"late event in a case of {args.events} events: {late:.1f} ms to file it "
            f"(case replayed), {in_order:.1f} ms for one in order; pure fold {pure:.2f} ms "
            f"({late / in_order:.2f}x)"
        )


if __name__ == "__main__":
    main()
