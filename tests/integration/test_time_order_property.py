"""Property: a case's state is a function of its events in time order, never of the
order mailbot reads them. A random case history (customer, engineer, automatic and
stranger mail, replies that kept only their threading headers, CLI signals) is
delivered once one message at a time in date order, and once in a random order, in
random batches split across the Inbox and Sent Items, with the folder listed in random
order and random batch sizes. Case state, cadence anchors, last contact, the case's
people and the plan must come out identical, and no reply may be left outside its case.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mailbot import app as app_mod
from mailbot import signals
from mailbot.domain.policy import plan
from mailbot.domain.timeline import FOLDED_FIELDS
from mailbot.ingest import sync
from mailbot.ingest.sync import sync_all
from mailbot.mailbox.maildir import MaildirMailbox, open_maildir
from mailbot.store.models import Case, MailItem
from mailbot.store.repo import case_view
from tests import helpers
from tests.integration.world import berlin

START = berlin(2026, 11, 2, 9)
SUBJECT = f"Export job fails - TrackingID#{helpers.CASE}"
# knowledge times legitimately differ between the two deliveries: when mailbot learned
KNOWLEDGE = {
    "last_customer_seen_at",
    "last_engineer_seen_at",
    "last_call_seen_at",
    "secret_seen_at",
    "stranger_seen_at",
}
KINDS = [
    "reply",
    "reply_lost",
    "confirm",
    "not_working",
    "ooo",
    "eng",
    "eng_solution",
    "eng_waiting",
    "stranger",
    "colleague",
    "mark_called",
    "mark_pause",
    "mark_premier",
]


class ShuffledMaildir(MaildirMailbox):
    """A Maildir whose directory listing comes in a random order, as a file system may
    hand it out (the adapter's only I/O that varies with the machine)."""

    rng = random.Random(0)

    def _iter(self, folder):  # type: ignore[no-untyped-def]
        items = list(super()._iter(folder))
        self.rng.shuffle(items)
        return iter(items)


@dataclass
class Step:
    kind: str
    at: datetime


@st.composite
def histories(draw) -> list[Step]:
    n = draw(st.integers(1, 9))
    at = START + timedelta(minutes=draw(st.integers(0, 600)))
    steps = [Step(draw(st.sampled_from(["open", "open", "eng_open"])), at)]
    for _ in range(n):
        at += timedelta(minutes=draw(st.integers(1, 3 * 24 * 60)))
        steps.append(Step(draw(st.sampled_from(KINDS)), at))
    return steps


def _messages(steps: list[Step]) -> list[tuple[Step, object, str | None]]:
    """(step, message or signal, folder) for each step; replies thread to the mail before."""
    out = []
    last_id = None
    for i, step in enumerate(steps):
        kw = dict(when=step.at, message_id=f"<m{i}@history.example>", in_reply_to=last_id)
        folder = None
        k = step.kind
        if k == "open":
            msg = helpers.mail(subject=SUBJECT, **{**kw, "in_reply_to": None})
        elif k == "eng_open":
            msg = helpers.mail(
                sender=f"Alex Rivera <{helpers.ENGINEER}>",
                to=helpers.CUSTOMER,
                subject=SUBJECT,
                body="Hello, I am opening this case for the export job we discussed.",
                **{**kw, "in_reply_to": None},
            )
            folder = "Sent Items"
        elif k in ("reply", "confirm", "not_working"):
            body = {
                "reply": "Here are the logs you asked for.",
                "confirm": "That worked, thank you! You can close the case.",
                "not_working": "It still does not work, same error as before.",
            }[k]
            msg = helpers.mail(subject="RE: " + SUBJECT, body=body, **kw)
        elif k == "reply_lost":  # a reply that lost the number and the support address
            msg = helpers.mail(subject="RE: export", cc=None, body="Any news?", **kw)
        elif k == "ooo":
            msg = helpers.mail(
                subject="Automatic reply: " + SUBJECT,
                body="I am out of the office until 14 December 2026.",
                headers={"Auto-Submitted": "auto-replied"},
                **kw,
            )
        elif k in ("eng", "eng_solution", "eng_waiting"):
            keywords = {
                "eng_solution": "Mailbot: Solution delivered",
                "eng_waiting": "Mailbot: Waiting for customer",
            }.get(k)
            msg = helpers.mail(
                sender=f"Alex Rivera <{helpers.ENGINEER}>",
                to=helpers.CUSTOMER,
                subject="RE: " + SUBJECT,
                body="Could you check the gateway settings?",
                headers={"Keywords": keywords} if keywords else None,
                **kw,
            )
            folder = "Sent Items"
        elif k == "stranger":
            msg = helpers.mail(
                sender="Eve <eve@evil.example>",
                cc="accomplice@evil2.example",
                subject="RE: " + SUBJECT,
                body="The fix works, you can close the case.",
                **{**kw, "in_reply_to": None},
            )
        elif k == "colleague":  # the customer's colleague, copying the service desk
            msg = helpers.mail(
                sender="Jonas Berg <jonas.berg@fabrikam.example>",
                subject="RE: " + SUBJECT,
                body="I am Maria's colleague; here is one more detail.",
                **kw,
            )
        else:
            out.append((step, k.removeprefix("mark_"), None))
            continue
        if k not in ("stranger",):
            last_id = msg["Message-ID"]
        out.append((step, msg, folder))
    return out


SIGNAL_NAMES = {"called": "called-reached", "pause": "pause", "premier": "premier"}


def _run(tmp: Path, template: Path, deliveries, batch: int) -> dict:
    """Deliver ``deliveries`` (a list of batches, each a list of (step, item, folder))
    and return what the case came to."""
    shutil.copy(template, tmp / "mailbot.db")
    cfg = helpers.settings(tmp, f"sqlite:///{tmp / 'mailbot.db'}")
    end = max(step.at for b in deliveries for step, _, _ in b) + timedelta(hours=1)
    with time_machine.travel(START - timedelta(hours=1), tick=False) as traveller:
        base = open_maildir(cfg)
        box = ShuffledMaildir(
            base.root, base.folders, base.sent_folder, base.inbox_folder, base.transmit
        )
        application = app_mod.build(cfg, mailbox=box, migrate=False)
        original = sync.BATCH
        sync.BATCH = batch
        try:
            for group in deliveries:
                latest = max(step.at for step, _, _ in group)
                for step, item, folder in group:
                    if isinstance(item, str):  # a signal, with the time it was given
                        if _has_case(application):
                            signals.add(
                                application,
                                helpers.CASE,
                                SIGNAL_NAMES[item],
                                step.at,
                                value="tam@fabrikam.example" if item == "premier" else None,
                            )
                    else:
                        helpers.deliver(cfg.mailbox.maildir_path, item, folder)
                traveller.move_to(latest + timedelta(minutes=1))
                sync_all(application, application_now())
            traveller.move_to(end)
            signals.apply_pending(application, application_now())
            return _outcome(application, end)
        finally:
            sync.BATCH = original
            application.engine.dispose()


def application_now() -> datetime:
    from mailbot import clock

    return clock.now()


def _has_case(application) -> bool:  # type: ignore[no-untyped-def]
    with application.sessions() as s:
        return s.scalar(select(Case.id).where(Case.number == helpers.CASE)) is not None


def _outcome(application, now: datetime) -> dict:  # type: ignore[no-untyped-def]
    with application.sessions() as s:
        case = s.scalar(select(Case).where(Case.number == helpers.CASE))
        statuses = sorted((m.message_id or "", m.status) for m in s.scalars(select(MailItem)))
        if case is None:
            return {"case": None, "statuses": statuses}
        state = {f: getattr(case, f) for f in FOLDED_FIELDS if f not in KNOWLEDGE}
        decisions = plan(case_view(case, []), application.calendar, application.settings.policy)
        return {
            "case": state,
            # a step already due is due now, however long ago it fell due
            "plan": sorted((d.kind, d.rule, max(d.due_at, now)) for d in decisions),
            "statuses": statuses,
        }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=histories(), seed=st.integers(0, 10**6), batch=st.integers(1, 4))
def test_any_read_order_gives_the_case_of_the_time_order(
    tmp_path_factory, template_db, steps, seed, batch
):
    items = _messages(steps)
    in_order = [[x] for x in items]
    rng = random.Random(seed)
    ShuffledMaildir.rng = random.Random(seed)
    mail = [x for x in items if not isinstance(x[1], str)]
    marks = [x for x in items if isinstance(x[1], str)]
    rng.shuffle(mail)
    cuts = sorted(rng.sample(range(1, len(mail)), k=min(len(mail) - 1, rng.randint(0, 3))))
    groups = [mail[a:b] for a, b in zip([0, *cuts], [*cuts, len(mail)], strict=True)]
    # signals carry the time the engineer gave them; here they are recorded after all
    # the mail was read, so late mail sorts before and after them
    shuffled = [*groups, marks] if marks else groups
    expected = _run(tmp_path_factory.mktemp("ordered"), template_db, in_order, 500)
    got = _run(tmp_path_factory.mktemp("shuffled"), template_db, shuffled, batch)
    assert got == expected
    # nothing whose parent is in the history is left outside its case
    assert all(status != "parked" for _, status in got["statuses"])
