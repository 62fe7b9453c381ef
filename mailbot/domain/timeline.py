"""A case is its timeline: its state is a fold over its events in the order they
happened, never in the order mailbot read them.

Mail can reach mailbot in any order: Sent Items may be read before the Inbox, a laptop
wakes up with a morning's mail at once, a first import walks a directory in no order at
all. So nothing here updates a case "as mail is read". Every fact that can move a case
is an event with a time (customer, engineer, automatic and other mail; the engineer's
signals; what the outbox sent or the engineer rejected), and :func:`fold` computes the
case from all of them, sorted by :func:`sort_key`. A late event simply takes its place
and the case is folded again: the same events give the same case, whatever the order.

Two clocks matter and are kept apart:

- ``at``: when the event happened in the mailbox (see :func:`mail_time`). The process
  runs on it: phases, silence, cadence anchors, the last contact.
- ``seen_at``: when mailbot learned of it. Only the outbox needs it, to tell whether a
  draft was written knowing about an event (R19: a draft made before mailbot saw the
  customer's reply is stale, even if the reply is older than the draft).

Pure: no I/O, no clock; the calendar and the policy numbers come in as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CLOSING_KINDS, NUDGE_KINDS, CaseState, Direction, MailKind
from mailbot.domain.settings import Organisation, Policy
from mailbot.domain.signals import SIGNALS, rule_of

WAITING = (CaseState.WAITING_INFO, CaseState.SOLUTION_DELIVERED)
# Mail a receipt time may correct: a Date up to an hour before its delivery is transit or
# a slow clock; a Date up to a day after it is a fast clock or a spoof. Beyond those, the
# "receipt" time belongs to a copy or an import, not to the delivery: the Date is used.
TRANSIT = timedelta(hours=1)
FAST_CLOCK = timedelta(days=1)
BACK_AND_FORTH = (6, 5)  # R08: this many messages of the thread within this many business days
STATE_SIGNALS = ("solution_delivered", "waiting_info", "researching")


def mail_time(date_header: datetime | None, delivered: datetime | None, seen: datetime) -> datetime:
    """When a message happened, for ordering: the mailbox's own delivery (or send) time
    when it is about this delivery, else the Date header; never later than when mailbot
    first saw it (a Date in the future is a wrong clock or a spoof)."""
    if date_header is None:
        when = delivered or seen
    elif delivered is None:
        when = date_header
    elif date_header - FAST_CLOCK <= delivered <= date_header + TRANSIT:
        when = delivered
    else:
        when = date_header
    return min(when, seen)


# -- events ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MailEvent:
    """A message filed into the case (direction and facts from the ingest filters)."""

    at: datetime
    seen_at: datetime
    order: str  # tie-break: Message-ID, else folder and key
    direction: str
    automatic: str | None
    message_id: str | None
    sender: str
    sender_name: str = ""
    subject: str = ""
    people: tuple[str, ...] = ()  # external addresses in To/Cc
    references: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rank(self) -> int:
        return 1 if self.direction == Direction.ENGINEER else 0


@dataclass(frozen=True)
class SignalEvent:
    """An engineer's signal from the CLI (``mailbot case N mark …``)."""

    at: datetime
    seen_at: datetime
    order: str
    name: str
    value: str | None = None
    source: str = "cli"
    rank: int = 2


@dataclass(frozen=True)
class OutboxEvent:
    """What mailbot's outbox did that the process counts: a send to the customer, or a
    draft the engineer rejected."""

    at: datetime
    order: str
    what: str  # "sent" | "rejected"
    kind: str
    rank: int = 3

    @property
    def seen_at(self) -> datetime:
        return self.at


CaseEvent = MailEvent | SignalEvent | OutboxEvent


def sort_key(event: CaseEvent) -> tuple[datetime, int, str]:
    """Time order with a fixed tie-break: at the same instant, mail from outside before
    the engineer's mail, before signals, before the outbox; then by Message-ID (or key).
    None of it depends on the order in which anything was read."""
    return (event.at, event.rank, event.order)


# -- the folded case ---------------------------------------------------------------------
@dataclass
class FoldedCase:
    """Everything the process knows about a case, as the fold leaves it. The fields are
    the case row's columns of the same names."""

    state: str = CaseState.NEW
    subject: str = ""  # the opening mail's
    opened_at: datetime | None = None
    phase_started_at: datetime | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    customer_cc: list[str] = field(default_factory=list)
    premier: bool = False
    tam_email: str | None = None
    last_customer_at: datetime | None = None
    last_customer_seen_at: datetime | None = None
    last_contact_at: datetime | None = None
    last_outbound_at: datetime | None = None
    last_engineer_manual_at: datetime | None = None
    last_engineer_seen_at: datetime | None = None
    customer_named_date: datetime | None = None
    named_date_words: str | None = None
    paused_until: datetime | None = None
    pause_why: str | None = None
    hold_until: datetime | None = None
    hold_why: str | None = None
    closed_at: datetime | None = None
    last_customer_message_id: str | None = None
    thread_references: str | None = None
    customer_messages: int = 0
    secret_pending: str | None = None
    secret_seen_at: datetime | None = None
    contact_preference: str = "email"
    collaboration: bool = False
    upset_at: datetime | None = None
    upset_why: str | None = None
    recent_message_times: list[str] = field(default_factory=list)
    promise_due: datetime | None = None
    promise_made_at: datetime | None = None
    promise_words: str | None = None
    last_call: str | None = None
    last_call_at: datetime | None = None
    last_call_seen_at: datetime | None = None
    stranger_seen_at: datetime | None = None  # the last mail from outside the case's people

    @property
    def people(self) -> set[str]:
        return {a for a in [self.customer_email, *self.customer_cc] if a}


FOLDED_FIELDS = tuple(f.name for f in fields(FoldedCase))


@dataclass(frozen=True)
class Note:
    """One line of the case timeline that the fold explains (kind, rule, words)."""

    at: datetime
    kind: str
    reason: str
    rule: str | None = None
    source: str = ""


def dedupe(events: Iterable[CaseEvent]) -> list[CaseEvent]:
    """Time-ordered events, each message once: the same Message-ID seen in two folders
    (the engineer copying themselves, say) counts once, preferring the engineer's own
    Sent copy, then the earliest."""
    best: dict[str, MailEvent] = {}
    rest: list[CaseEvent] = []
    for e in events:
        if isinstance(e, MailEvent) and e.message_id:
            held = best.get(e.message_id)
            if held is None or _preferred(e, held):
                best[e.message_id] = e
        else:
            rest.append(e)
    return sorted([*best.values(), *rest], key=sort_key)


def _preferred(a: MailEvent, b: MailEvent) -> bool:
    rank = {Direction.ENGINEER: 0, Direction.CUSTOMER: 1}
    return (rank.get(a.direction, 2), sort_key(a)) < (rank.get(b.direction, 2), sort_key(b))


def fold(
    events: Iterable[CaseEvent],
    cal: BusinessCalendar,
    policy: Policy,
    org: Organisation,
    start: FoldedCase | None = None,
) -> tuple[FoldedCase, list[Note]]:
    """The case after ``events`` (in any order), with the timeline lines that explain it.
    ``start`` continues from an earlier fold (a checkpoint); by default a new case."""
    folder = _Folder(start, cal, policy, org)
    for event in dedupe(events):
        folder.apply(event)
    return folder.case, folder.notes


# -- applying one event ------------------------------------------------------------------
class _Folder:
    def __init__(
        self,
        start: FoldedCase | None,
        cal: BusinessCalendar,
        policy: Policy,
        org: Organisation,
    ) -> None:
        # a checkpoint is copied (the caller's stays as it was); a new case needs no copy
        if start is None:
            self.case = FoldedCase()
        else:
            self.case = replace(start, customer_cc=list(start.customer_cc))
        self.cal, self.policy, self.org = cal, policy, org
        self.opened = start is not None
        self.notes: list[Note] = []

    def note(self, at: datetime, kind: str, reason: str, rule: str | None, source: str) -> None:
        self.notes.append(Note(at, kind, reason, rule, source))

    def apply(self, e: CaseEvent) -> None:
        if isinstance(e, MailEvent):
            self._mail(e)
        elif isinstance(e, SignalEvent):
            self._signal(e.name, e.at, e.seen_at, e.value, f"from {e.source}", f"signal:{e.order}")
        else:
            self._outbox(e)

    # who opened it -------------------------------------------------------------------
    def _open(self, e: MailEvent) -> None:
        c = self.case
        self.opened = True
        c.opened_at = c.phase_started_at = e.at
        c.subject = e.subject or c.subject
        c.state = CaseState.NEW if e.direction == Direction.CUSTOMER else CaseState.WAITING_INFO
        self.note(
            e.at,
            "opened",
            f"case opened by a {e.direction} message with the case number and the support address",
            "R01",
            f"mail:{e.order}",
        )

    def _mail(self, e: MailEvent) -> None:
        real = not e.automatic
        if not self.opened and real and e.direction in (Direction.CUSTOMER, Direction.ENGINEER):
            self._open(e)
        if self.case.opened_at is None:  # automatic mail before anyone wrote: still keep time
            self.case.opened_at = self.case.phase_started_at = e.at
        source = f"mail:{e.order}"
        if e.direction == Direction.CUSTOMER:
            stranger = self._is_stranger(e)
            if e.automatic:
                self._automatic(e, source, stranger)
            elif stranger:
                self._stranger(e, source)
            else:
                self._customer(e, source)
        elif e.direction == Direction.ENGINEER:
            if real:
                self._engineer(e, source)
        else:
            self.note(
                e.at,
                "filed",
                f"message from {e.sender or 'an unknown sender'} filed (not the customer)",
                None,
                source,
            )

    # the case's people (issue: only they move the case) --------------------------------
    def _is_stranger(self, e: MailEvent) -> bool:
        c = self.case
        if c.customer_email is None:
            return False  # the first customer mail names the customer
        if e.sender in c.people:
            return False
        # a colleague of the customer, from their own domain, who copies the service desk
        domains = {a.rsplit("@", 1)[-1] for a in c.people}
        return not (e.sender.rsplit("@", 1)[-1] in domains and e.facts.get("support_cc"))

    def _stranger(self, e: MailEvent, source: str) -> None:
        self.case.stranger_seen_at = max(filter(None, [self.case.stranger_seen_at, e.seen_at]))
        self.note(
            e.at,
            "other",
            f"message from {e.sender or 'an unknown sender'}, who is not one of the case's people: "
            "filed, but it changes nothing (no state, no recipient, no pause)",
            "R01",
            source,
        )

    def _learn_people(self, e: MailEvent, *, first: bool) -> None:
        c = self.case
        if first:
            if e.direction == Direction.CUSTOMER:
                c.customer_email = e.sender
                c.customer_name = _first_name(e.sender_name)
            else:  # the engineer wrote first: the customer is whom they wrote to
                c.customer_email = e.people[0] if e.people else None
            c.customer_cc = sorted({a for a in e.people if a != c.customer_email})[:20]
            return
        if e.direction == Direction.ENGINEER:
            added = {a for a in e.people if a not in c.people}  # the engineer chose them
        else:  # the customer may copy colleagues of their own domain
            domains = {a.rsplit("@", 1)[-1] for a in c.people}
            added = {a for a in e.people if a not in c.people and a.rsplit("@", 1)[-1] in domains}
        if e.direction == Direction.CUSTOMER and e.sender not in c.people:
            added.add(e.sender)
        if added and c.customer_email:
            c.customer_cc = sorted({*c.customer_cc, *added} - {c.customer_email})[:20]

    # customer mail -------------------------------------------------------------------
    def _automatic(self, e: MailEvent, source: str, stranger: bool) -> None:
        c, cal = self.case, self.cal
        if not e.facts.get("out_of_office") or stranger:
            whose = " from outside the case's people: it pauses nothing" if stranger else ""
            self.note(
                e.at,
                "ignored",
                f"automatic mail ({e.automatic}){whose} filed; not a customer reply, not answered",
                "R03",
                source,
            )
            return
        cap = self.policy.ooo_max_pause_days
        until_raw = e.facts.get("ooo_until")
        if until_raw:
            until = cal.next_business_time(
                cal.at_local(datetime.fromisoformat(until_raw).date(), cal.start)
            )
            why = f'out-of-office reply says "{e.facts.get("ooo_words")}"'
        else:
            days = self.policy.ooo_default_pause_business_days
            until = cal.add_business_days(e.at, days)
            why = (
                f"out-of-office reply without a return date: default pause of {days} business days"
            )
        limit = cal.next_business_time(e.at + timedelta(days=cap))
        if until > limit:
            until = limit
            why += f" (capped at {cap} days)"
        c.paused_until, c.pause_why = until, why
        self.note(
            e.at,
            "paused",
            f"{why}; follow-ups wait until {cal.local(until):%a %d %b %H:%M}; automatic ({e.automatic}), not counted as a reply (R03)",
            "R15",
            source,
        )

    def _customer(self, e: MailEvent, source: str) -> None:
        c, cal = self.case, self.cal
        when = e.at
        self._learn_people(e, first=c.customer_email is None)
        c.customer_name = c.customer_name or _first_name(e.sender_name)
        c.last_customer_at = _later(c.last_customer_at, when)
        c.last_contact_at = _later(c.last_contact_at, when)
        c.last_customer_seen_at = _later(c.last_customer_seen_at, e.seen_at)
        c.customer_messages += 1
        if e.message_id:
            c.last_customer_message_id = e.message_id
            c.thread_references = " ".join([*e.references, e.message_id][-20:])
        c.paused_until = c.pause_why = None
        c.hold_until = c.hold_why = None
        before = c.state
        intent = e.facts.get("intent")
        words = e.facts.get("intent_words")
        if e.facts.get("secret_kind"):
            c.secret_pending = e.facts["secret_kind"]
            c.secret_seen_at = _later(c.secret_seen_at, e.seen_at)
        if e.facts.get("prefers_phone") and c.contact_preference != "phone":
            c.contact_preference = "phone"
            self.note(
                when,
                "preference",
                f'the customer prefers the phone ("{e.facts["prefers_phone"]}"): follow-ups become call reminders',
                "R05",
                source,
            )
        self._back_and_forth(when, e.facts.get("upset_words"), source, "c")
        if before == CaseState.CLOSED:
            c.state = CaseState.ACTIVE
            c.closed_at = None
            self.note(
                when,
                "reopened",
                "the customer wrote after closure: case reopened for you; strikes do not restart by themselves",
                "R21",
                source,
            )
        elif intent == "confirmed" and before != CaseState.NEW:
            c.state = CaseState.RESOLVED
        elif intent == "resolved_by_customer":
            c.state = CaseState.RESOLVED_BY_CUSTOMER
        elif intent == "not_working":
            if before != CaseState.NEW:
                c.state = CaseState.ACTIVE
        elif e.facts.get("named_date") and before in WAITING:
            pass  # the customer comes back on their date: still waiting for them (R07/R10)
        elif before in (*WAITING, CaseState.ACTIVE):
            c.state = CaseState.ACTIVE
        if e.facts.get("named_date"):
            named = datetime.fromisoformat(e.facts["named_date"])
            c.customer_named_date = cal.at_local(named.date(), cal.start)
            c.named_date_words = e.facts.get("named_date_words")
        elif c.state != before:
            c.customer_named_date = None
        if before != CaseState.NEW:
            c.phase_started_at = when
        detail = f' ("{words}")' if words else ""
        rule = {"confirmed": "R17", "resolved_by_customer": "R17", "not_working": "R21"}.get(
            intent or "", "R01"
        )
        text = "customer message filed" + (
            f"; state {before} → {c.state}" if c.state != before else f"; state {before}"
        )
        if intent:
            text += f"; reads as {intent.replace('_', ' ')}{detail}"
        if e.facts.get("named_date"):
            text += f'; names a date: {e.facts["named_date"]} ("{e.facts.get("named_date_words")}") (R07)'
        if e.facts.get("secret_kind"):
            text += f"; contains a {e.facts['secret_kind']} (R27, value not stored)"
        self.note(when, "customer", text, rule, source)

    def _back_and_forth(
        self, when: datetime, upset_words: str | None, source: str, side: str
    ) -> None:
        """R08: strong wording, or too much back and forth: every message of the thread
        (both directions: the customer's, the engineer's, mailbot's sends) within the
        window counts, provided both sides wrote at least twice in it. Follow-ups to a
        silent customer are not back and forth."""
        c, cal = self.case, self.cal
        count, days = BACK_AND_FORTH
        recent = [*c.recent_message_times, f"{side}:{when.isoformat()}"][-count:]
        c.recent_message_times = recent
        # in time order, so the window holds `count` messages when the oldest of the
        # last `count` is inside it (one calendar computation per message, not ten)
        ours = sum(1 for entry in recent if entry[:2] == "e:")  # bare times are the customer's
        theirs = len(recent) - ours
        in_window = (
            len(recent) >= count
            and theirs >= 2
            and ours >= 2
            and cal.business_days_between(_recent_time(recent[0]), when) <= days
        )
        why = None
        if upset_words:
            why = f'strong wording ("{upset_words}")'
        elif in_window:
            why = f"{count} messages back and forth within {days} business days"
        if why and (c.upset_at is None or cal.business_days_between(c.upset_at, when) > days):
            c.upset_at, c.upset_why = when, why
            self.note(when, "attention", f"the customer may be dissatisfied: {why}", "R08", source)

    # the engineer's mail ---------------------------------------------------------------
    def _engineer(self, e: MailEvent, source: str) -> None:
        c, cal = self.case, self.cal
        when = e.at
        self._learn_people(e, first=c.customer_email is None)
        c.last_outbound_at = _later(c.last_outbound_at, when)
        c.last_engineer_manual_at = _later(c.last_engineer_manual_at, when)
        c.last_engineer_seen_at = _later(c.last_engineer_seen_at, e.seen_at)
        self._back_and_forth(when, None, source, "e")
        if c.promise_made_at and when > c.promise_made_at:
            self.note(
                when,
                "promise",
                "you wrote to the customer: your promised update is kept",
                "R06",
                source,
            )
            c.promise_due = c.promise_made_at = c.promise_words = None
        if e.facts.get("promise_date"):
            day = datetime.fromisoformat(e.facts["promise_date"]).date()
            c.promise_due = cal.next_business_time(
                cal.at_local(cal.business_day_on_or_after(day), cal.start)
            )
            c.promise_made_at, c.promise_words = when, e.facts.get("promise_words")
            self.note(
                when,
                "promise",
                f'you promised an update ("{c.promise_words}"): reminder {cal.local(c.promise_due):%a %d %b %H:%M}',
                "R06",
                source,
            )
        for name in e.facts.get("signals", []):
            if name not in STATE_SIGNALS:
                self._signal(name, when, e.seen_at, None, "from an Outlook category", source)
        signal = e.facts.get("signal")
        before = c.state
        if signal == "solution_delivered":
            c.state = CaseState.SOLUTION_DELIVERED
        elif signal == "researching":
            c.state = CaseState.ACTIVE
        elif signal == "waiting_info" or before in (CaseState.NEW, CaseState.ACTIVE):
            c.state = CaseState.WAITING_INFO
        if c.state != before:
            c.phase_started_at = when
            c.customer_named_date = None
            c.hold_until = c.hold_why = None
        how = ""
        if signal:
            how = f"; signal {signal.replace('_', ' ')} from {e.facts.get('signal_source')}"
            if e.facts.get("signal_words"):
                how += f' ("{e.facts["signal_words"]}")'
        self.note(
            when,
            "engineer",
            f"your mail to the customer filed; state {before} → {c.state}{how}"
            if c.state != before
            else f"your mail to the customer filed{how}",
            "R10" if signal == "solution_delivered" else None,
            source,
        )

    # signals -----------------------------------------------------------------------------
    def _signal(
        self,
        name: str,
        at: datetime,
        seen_at: datetime,
        value: str | None,
        how: str,
        source: str,
    ) -> None:
        c = self.case
        if name == "solution-delivered":
            c.state, c.phase_started_at, c.customer_named_date = (
                CaseState.SOLUTION_DELIVERED,
                at,
                None,
            )
        elif name == "waiting":
            c.state, c.phase_started_at = CaseState.WAITING_INFO, at
        elif name == "researching":
            c.state, c.phase_started_at = CaseState.ACTIVE, at
        elif name == "called-reached":
            c.last_contact_at = _later(c.last_contact_at, at)
            c.last_call, c.last_call_at = "reached", at
            c.last_call_seen_at = _later(c.last_call_seen_at, seen_at)
            c.phase_started_at = at  # a conversation happened: the cadence restarts
        elif name == "called-voicemail":
            c.last_call, c.last_call_at = "voicemail", at
            c.last_call_seen_at = _later(c.last_call_seen_at, seen_at)
        elif name in ("prefers-phone", "prefers-email"):
            c.contact_preference = name.split("-", 1)[1]
        elif name == "collaboration":
            c.collaboration = True
        elif name == "upset":
            c.upset_at, c.upset_why = at, "you marked the customer as dissatisfied"
        elif name == "premier":
            c.premier = True
            c.tam_email = value or c.tam_email
        elif name == "pause":
            c.hold_until = pause_until(self.cal, self.policy, at, value)
            c.hold_why = "you paused the case"
        elif name == "closed":
            c.state, c.closed_at = CaseState.CLOSED, at
        self.note(at, "signal", f"{name} ({how}): {SIGNALS.get(name, name)}", rule_of(name), source)

    # the outbox ----------------------------------------------------------------------------
    def _outbox(self, e: OutboxEvent) -> None:
        c = self.case
        if e.what == "rejected":
            if e.kind in NUDGE_KINDS:
                c.hold_until = self.cal.add_business_days(
                    e.at, self.policy.rejected_draft_hold_business_days
                )
                c.hold_why = "you rejected the last draft"
            return
        c.last_outbound_at = _later(c.last_outbound_at, e.at)
        self._back_and_forth(e.at, None, f"outbox:{e.order}", "e")
        if e.kind == MailKind.FIRST_RESPONSE and c.state == CaseState.NEW:
            # the first response asks; now we wait for the customer (R07)
            c.state, c.phase_started_at = CaseState.WAITING_INFO, e.at
        if e.kind in CLOSING_KINDS:
            c.state, c.closed_at = CaseState.CLOSED, e.at
            c.secret_pending = None


def pause_until(cal: BusinessCalendar, policy: Policy, at: datetime, value: str | None) -> datetime:
    """The end of a pause (CLI or Outlook category): the date the engineer gave (at the
    start of that business day), else ``policy.pause_business_days`` business days on."""
    if value:
        day = date.fromisoformat(value)
        return cal.next_business_time(cal.at_local(day, cal.start))
    return cal.add_business_days(at, policy.pause_business_days)


def _recent_time(entry: str) -> datetime:
    """A ``recent_message_times`` entry: "c:<iso>" (customer) or "e:<iso>" (our side);
    entries from before the sides were kept are bare times."""
    return datetime.fromisoformat(entry[2:] if entry[1:2] == ":" else entry)


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def _first_name(display: str) -> str | None:
    display = (display or "").strip()
    if not display or "@" in display:
        return None
    if "," in display:  # "Doe, Jane"
        display = display.split(",", 1)[1].strip()
    first = display.split()[0] if display.split() else ""
    return first[:60] or None
