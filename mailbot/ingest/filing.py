"""File a filtered message: record it, and move its case through the lifecycle.

Customer mail that a person wrote is contact (R03 keeps automatic mail out); the
engineer's own mail starts or continues a waiting phase; an out-of-office reply pauses
the cadence (R15); a reply after closure reopens the case (R21).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import CaseState, Direction
from mailbot.ingest.message import IncomingMessage
from mailbot.store.models import Case, MailItem
from mailbot.store.repo import record

WAITING = (CaseState.WAITING_INFO, CaseState.SOLUTION_DELIVERED)


@dataclass
class FilingCache:
    """What a batch needs to know about the database, fetched once per batch and kept
    current as the batch files messages (new cases, new Message-IDs)."""

    by_number: dict[str, int] = field(default_factory=dict)
    by_message_id: dict[str, int] = field(default_factory=dict)
    cases: dict[int, Case] = field(default_factory=dict)  # strong refs: no reload per message
    items: list[dict] = field(default_factory=list)  # mail_items rows of the batch

    def flush_items(self, s: Session) -> None:
        if self.items:
            s.execute(insert(MailItem), self.items)
            self.items.clear()

    def case_for_message_ids(self, ids: list[str]) -> int | None:
        return next((self.by_message_id[i] for i in ids if i in self.by_message_id), None)


def _customer_name(display: str) -> str | None:
    display = display.strip()
    if not display or "@" in display:
        return None
    if "," in display:  # "Doe, Jane"
        display = display.split(",", 1)[1].strip()
    first = display.split()[0] if display.split() else ""
    return first[:60] or None


def _new_case(msg: IncomingMessage, now: datetime) -> Case:
    when = msg.when
    state = CaseState.NEW if msg.direction == Direction.CUSTOMER else CaseState.WAITING_INFO
    return Case(
        number=msg.case_number,
        subject=msg.subject,
        state=state,
        opened_at=when,
        phase_started_at=when,
        last_contact_at=when if msg.direction == Direction.CUSTOMER else None,
        customer_cc=[],
        premier=False,
        customer_messages=0,
        updated_at=now,
    )


def file_message(
    s: Session,
    msg: IncomingMessage,
    cal: BusinessCalendar,
    settings,
    now: datetime,
    cache: FilingCache,
) -> tuple[dict, Case | None]:  # type: ignore[no-untyped-def]
    """Queue the item's row and apply it to its case; returns both (case None when unrelated).
    The caller writes the queued rows with :meth:`FilingCache.flush_items`."""
    case = (cache.cases.get(msg.case_id) or s.get(Case, msg.case_id)) if msg.case_id else None
    if (
        case is None
        and msg.case_number
        and msg.has_support_cc
        and not msg.automatic
        and msg.direction in (Direction.CUSTOMER, Direction.ENGINEER)
    ):
        case = _new_case(msg, now)
        s.add(case)
        s.flush()
        cache.by_number[case.number] = case.id
        cache.cases[case.id] = case
        record(
            s,
            case.id,
            msg.when,
            "opened",
            f"case opened by a {msg.direction} message with the case number and the support address",
            "R01",
        )
    # The same message seen twice (e.g. in Inbox and Sent Items) affects its case once.
    duplicate = bool(msg.message_id and msg.message_id in cache.by_message_id)
    if case is not None and msg.message_id:
        cache.by_message_id[msg.message_id] = case.id
    item = dict(
        folder=msg.ref.folder,
        item_key=msg.ref.key,
        message_id=msg.message_id,
        case_id=case.id if case else None,
        subject=msg.subject,
        sender=msg.sender[1] or None,
        sent_at=msg.date,
        ingested_at=now,
        direction=msg.direction or Direction.OTHER,
        automatic=msg.automatic,
        facts=msg.facts,
    )
    cache.items.append(item)  # inserted in one statement per batch
    if case is None or duplicate:
        return item, case
    case.updated_at = now
    if msg.direction == Direction.CUSTOMER:
        _customer(s, case, msg, cal, settings, now)
    elif msg.direction == Direction.ENGINEER:
        _engineer(s, case, msg, cal, settings, now)
    else:
        record(
            s,
            case.id,
            msg.when,
            "filed",
            f"message from {msg.sender[1] or 'an unknown sender'} filed (not the customer)",
        )
    return item, case


def _customer(
    s: Session, case: Case, msg: IncomingMessage, cal: BusinessCalendar, settings, now: datetime
) -> None:  # type: ignore[no-untyped-def]
    when = msg.when
    if msg.automatic:
        if msg.facts.get("out_of_office"):
            until_raw = msg.facts.get("ooo_until")
            if until_raw:
                until = cal.next_business_time(
                    cal.at_local(datetime.fromisoformat(until_raw).date(), cal.start)
                )
                why = f'out-of-office reply says "{msg.facts.get("ooo_words")}"'
            else:
                until = cal.add_business_days(now, settings.policy.ooo_default_pause_business_days)
                why = f"out-of-office reply without a return date: default pause of {settings.policy.ooo_default_pause_business_days} business days"
            case.paused_until = until
            record(
                s,
                case.id,
                when,
                "paused",
                f"{why}; follow-ups wait until {cal.local(until):%a %d %b %H:%M}; not counted as a reply (R03)",
                "R15",
            )
        else:
            record(
                s,
                case.id,
                when,
                "ignored",
                f"automatic mail ({msg.automatic}) filed; not a customer reply, not answered",
                "R03",
            )
        return
    case.last_customer_at = max(filter(None, [case.last_customer_at, when]))
    case.last_contact_at = max(filter(None, [case.last_contact_at, when]))
    case.last_customer_seen_at = now
    case.customer_messages += 1
    name, addr = msg.sender
    case.customer_email = addr
    case.customer_name = _customer_name(name) or case.customer_name
    others = [a for _, a in msg.addresses("To", "Cc") if _is_external(a, settings) and a != addr]
    case.customer_cc = sorted(set(others))[:20]
    if msg.message_id:
        case.last_customer_message_id = msg.message_id
        refs = (msg.header("References") + " " + msg.message_id).split()
        case.thread_references = " ".join(refs[-20:])
    case.paused_until = None
    case.hold_until = case.hold_why = None
    before = case.state
    intent = msg.facts.get("intent")
    words = msg.facts.get("intent_words")
    if msg.facts.get("secret_kind"):
        case.secret_pending = msg.facts["secret_kind"]
    _attention(s, case, msg, cal, when)
    if before == CaseState.CLOSED:
        case.state = CaseState.ACTIVE
        case.closed_at = None
        record(
            s,
            case.id,
            when,
            "reopened",
            "the customer wrote after closure: case reopened for you; strikes do not restart by themselves",
            "R21",
        )
    elif intent == "confirmed" and before != CaseState.NEW:
        case.state = CaseState.RESOLVED
    elif intent == "resolved_by_customer":
        case.state = CaseState.RESOLVED_BY_CUSTOMER
    elif intent == "not_working":
        if before != CaseState.NEW:
            case.state = CaseState.ACTIVE
    elif msg.facts.get("named_date") and before in WAITING:
        pass  # the customer will come back on their date: still waiting for them (R07/R10)
    elif before in (*WAITING, CaseState.ACTIVE):
        case.state = CaseState.ACTIVE
    if msg.facts.get("named_date"):
        named = datetime.fromisoformat(msg.facts["named_date"])
        case.customer_named_date = cal.at_local(named.date(), cal.start)
        case.named_date_words = msg.facts.get("named_date_words")
    elif case.state != before:
        case.customer_named_date = None
    if before != CaseState.NEW:
        case.phase_started_at = when
    detail = f' ("{words}")' if words else ""
    rule = {"confirmed": "R17", "resolved_by_customer": "R17", "not_working": "R21"}.get(
        intent or "", "R01"
    )
    text = "customer message filed" + (
        f"; state {before} → {case.state}" if case.state != before else f"; state {before}"
    )
    if intent:
        text += f"; reads as {intent.replace('_', ' ')}{detail}"
    if msg.facts.get("named_date"):
        text += f'; names a date: {msg.facts["named_date"]} ("{msg.facts.get("named_date_words")}") (R07)'
    if msg.facts.get("secret_kind"):
        text += f"; contains a {msg.facts['secret_kind']} (R27, value not stored)"
    record(s, case.id, when, "customer", text, rule)


BACK_AND_FORTH = (6, 5)  # R08: this many customer messages within this many business days


def _attention(
    s: Session, case: Case, msg: IncomingMessage, cal: BusinessCalendar, when: datetime
) -> None:
    """R05 (phone preference) and R08 (upset wording, too much back and forth)."""
    if msg.facts.get("prefers_phone") and case.contact_preference != "phone":
        case.contact_preference = "phone"
        record(
            s,
            case.id,
            when,
            "preference",
            f'the customer prefers the phone ("{msg.facts["prefers_phone"]}"): follow-ups become call reminders',
            "R05",
        )
    recent = [*(case.recent_customer_at or []), when.isoformat()][-10:]
    case.recent_customer_at = recent
    count, days = BACK_AND_FORTH
    window = [
        t for t in recent if cal.business_days_between(datetime.fromisoformat(t), when) <= days
    ]
    why = None
    if msg.facts.get("upset_words"):
        why = f'strong wording ("{msg.facts["upset_words"]}")'
    elif len(window) >= count:
        why = f"{len(window)} customer messages within {days} business days"
    if why and (case.upset_at is None or cal.business_days_between(case.upset_at, when) > days):
        case.upset_at, case.upset_why = when, why
        record(s, case.id, when, "attention", f"the customer may be dissatisfied: {why}", "R08")


def _engineer(
    s: Session, case: Case, msg: IncomingMessage, cal: BusinessCalendar, settings, now: datetime
) -> None:
    when = msg.when
    if msg.automatic:  # our own sends and reminders come back through Sent Items / Inbox
        return
    case.last_outbound_at = max(filter(None, [case.last_outbound_at, when]))
    case.last_engineer_manual_at = max(filter(None, [case.last_engineer_manual_at, when]))
    if case.promise_made_at and when > case.promise_made_at:
        record(
            s,
            case.id,
            when,
            "promise",
            "you wrote to the customer: your promised update is kept",
            "R06",
        )
        case.promise_due = case.promise_made_at = case.promise_words = None
    if msg.facts.get("promise_date"):
        day = datetime.fromisoformat(msg.facts["promise_date"]).date()
        case.promise_due = cal.next_business_time(
            cal.at_local(cal.business_day_on_or_after(day), cal.start)
        )
        case.promise_made_at, case.promise_words = when, msg.facts.get("promise_words")
        record(
            s,
            case.id,
            when,
            "promise",
            f'you promised an update ("{case.promise_words}"): reminder {cal.local(case.promise_due):%a %d %b %H:%M}',
            "R06",
        )
    for name in msg.facts.get("signals", []):
        if name not in ("solution_delivered", "waiting_info", "researching"):
            from mailbot.signals import SIGNALS, apply_signal, pause_until, rule_of

            hold = pause_until(cal, settings.policy, when, None) if name == "pause" else None
            apply_signal(case, name, when, now, hold_until=hold)
            record(
                s,
                case.id,
                when,
                "signal",
                f"{name} (from an Outlook category): {SIGNALS[name]}",
                rule_of(name),
            )
    signal = msg.facts.get("signal")
    before = case.state
    if signal == "solution_delivered":
        case.state = CaseState.SOLUTION_DELIVERED
    elif signal == "researching":
        case.state = CaseState.ACTIVE
    elif signal == "waiting_info" or before in (CaseState.NEW, CaseState.ACTIVE):
        case.state = CaseState.WAITING_INFO
    if case.state != before:
        case.phase_started_at = when
        case.customer_named_date = None
        case.hold_until = case.hold_why = None
    how = ""
    if signal:
        how = f"; signal {signal.replace('_', ' ')} from {msg.facts.get('signal_source')}"
        if msg.facts.get("signal_words"):
            how += f' ("{msg.facts["signal_words"]}")'
    record(
        s,
        case.id,
        when,
        "engineer",
        f"your mail to the customer filed; state {before} → {case.state}{how}"
        if case.state != before
        else f"your mail to the customer filed{how}",
        "R10" if signal == "solution_delivered" else None,
    )


def _is_external(addr: str, settings) -> bool:  # type: ignore[no-untyped-def]
    domain = addr.rsplit("@", 1)[-1]
    return (
        domain not in settings.internal_domains
        and addr != settings.support_address
        and domain != settings.support_address.rsplit("@", 1)[-1]
        and addr != settings.engineer.email.lower()
    )
