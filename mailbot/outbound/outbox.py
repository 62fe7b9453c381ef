"""The durable outbox: planned → drafted → approved → scheduled → sending → sent, or
stale / rejected / cancelled / failed.

Every transition is committed *before* the side effect it permits, and every side
effect is idempotent by the row's key, so a crash at any point is resumed by
:func:`recover` without a second email: a ``sending`` row is resolved by looking its key
up in Sent Items before anything is retried, and when the mailbox cannot prove either
way the row fails loudly (a reminder to the engineer) instead of sending again.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from mailbot import trouble
from mailbot.app import App
from mailbot.domain.kinds import (
    CLOSING_KINDS,
    DEAD_OUTBOX_STATES,
    ENGINEER_KINDS,
    FINAL_OUTBOX_STATES,
    NUDGE_KINDS,
    CaseState,
    MailKind,
    OutboxState,
)
from mailbot.domain.policy import Decision
from mailbot.domain.policy.cadence import closure_date_for
from mailbot.domain.policy.supersede import retire_reason
from mailbot.mailbox.port import MailboxError, SentLookup
from mailbot.mailbox.rfc822 import recipients_of
from mailbot.outbound.compose import (
    build_message,
    case_subject,
    markers_in_message,
    markers_in_rendered,
    render,
)
from mailbot.planning import refresh_due
from mailbot.store.bulk import insert_rows, update_rows
from mailbot.store.models import Case, Outbox
from mailbot.store.repo import buffered_events, case_view, outbox_rows, record
from mailbot.timeline import refold

log = structlog.get_logger("mailbot.outbox")
MAX_SEND_ATTEMPTS = 5


# -- planning ----------------------------------------------------------------------------
def recipients_for(app: App, case: Case, kind: MailKind) -> dict[str, list[str]]:
    s = app.settings
    if kind in ENGINEER_KINDS:
        return {"to": [s.engineer.email], "cc": []}
    cc = [s.support_address, *case.customer_cc]  # R02: the service desk files it too
    if kind == MailKind.CLOSURE_UNRESPONSIVE:  # R14: the unresolved closure copies TAM and manager
        cc += [a for a in (case.tam_email, s.engineer.manager_email) if a]
    seen: set[str] = set()
    cc = [a for a in cc if not (a.lower() in seen or seen.add(a.lower()))]
    return {"to": [case.customer_email] if case.customer_email else [], "cc": cc}


APPROVAL_SLACK_BUSINESS_DAYS = 1  # R12: time the engineer has to approve a strike 3


def _strike3_closure(
    app: App, s: Session, case: Case, decision: Decision, now: datetime
) -> Decision:
    """R12: the closure date a strike 3 names, counted from when it can really leave: not
    before now (a late draft, a redraft after a stale one), plus a business day for the
    engineer's approval. A later date than the minimum is always allowed; an earlier one
    never, so without this a draft approved late would go stale again and again."""
    cal = app.calendar
    leaves = cal.next_business_time(max(decision.due_at, now))
    if app.settings.requires_approval(MailKind.STRIKE_3):
        leaves = cal.add_business_days(leaves, APPROVAL_SLACK_BUSINESS_DAYS)
    view = case_view(case, outbox_rows(s, case.id))
    closure = closure_date_for(view, cal, app.settings.policy, leaves)
    reason = decision.reason.split("; it names the closure date")[0]
    return Decision(
        decision.kind,
        decision.rule,
        f"{reason}; it names the closure date {closure:%A %d %B %Y} (R12)",
        decision.due_at,
        {**decision.facts, "closure_date": closure.isoformat()},
    )


def plan_row(app: App, s: Session, case: Case, decision: Decision, now: datetime) -> Outbox:
    row = Outbox(**_planned(app, s, case, decision, now))
    s.add(row)
    _record_planned(s, case.id, row.kind, row.audience, row.reason, row.rule, row.key, now)
    return row


def _planned(app: App, s: Session, case: Case, decision: Decision, now: datetime) -> dict:
    """The columns of the outbox row a decision plans (as :func:`plan_row` adds it)."""
    audience = "engineer" if decision.kind in ENGINEER_KINDS else "customer"
    if decision.kind == MailKind.STRIKE_3:
        decision = _strike3_closure(app, s, case, decision, now)
    return dict(
        key=uuid.uuid4().hex,
        case_id=case.id,
        kind=decision.kind.value,
        audience=audience,
        rule=decision.rule,
        reason=decision.reason,
        state=OutboxState.PLANNED,
        subject=case_subject(case.subject, case.number, decision.kind),
        recipients=recipients_for(app, case, decision.kind),
        facts=dict(decision.facts),
        due_at=decision.due_at,
        created_at=now,
        updated_at=now,
    )


def _record_planned(
    s: Session,
    case_id: int,
    kind: str,
    audience: str,
    reason: str,
    rule: str,
    key: str,
    now: datetime,
) -> None:
    verb = "reminder planned" if audience == "engineer" else "draft planned"
    record(s, case_id, now, "planned", f"{kind} {verb}: {reason}", rule, key=key)


def evaluate(app: App, now: datetime) -> int:
    """Plan every due step of every case whose ``next_due_at`` has come: in batches,
    with one query for the batch's cases and one for their outbox rows; a batch in which
    one case fails is planned again case by case, each in its own failure boundary."""
    planned = 0
    with app.sessions() as s:
        ids = list(
            s.scalars(
                select(Case.id).where(
                    Case.next_due_at.is_not(None),
                    Case.next_due_at <= now,
                    Case.state != CaseState.CLOSED,
                    or_(Case.retry_at.is_(None), Case.retry_at <= now),
                )
            )
        )
        for start in range(0, len(ids), PLAN_BATCH):
            batch = ids[start : start + PLAN_BATCH]
            try:
                planned += _plan_cases(app, s, batch, now)
                s.commit()
            except Exception:
                s.rollback()
                for case_id in batch:
                    try:
                        count = _plan_cases(app, s, [case_id], now)
                        s.commit()
                        planned += count
                    except Exception as exc:  # one case never stops the others
                        s.rollback()
                        trouble.flag(app, s, case_id, trouble.describe("planning", exc), now)
                        s.commit()
    return planned


PLAN_BATCH = 200


def _plan_cases(app: App, s: Session, case_ids: list[int], now: datetime) -> int:
    """Plan the due steps of these cases and store their next ones. The planned rows are
    only written here, so they go in as one INSERT (not an ORM object and a flush each),
    the next steps as one UPDATE, and the outbox rows the planner reads are columns."""
    from collections import defaultdict

    from mailbot.domain.policy import plan
    from mailbot.planning import next_step

    cal, policy = app.calendar, app.settings.policy
    rows: dict[int, list] = defaultdict(list)
    for r in s.execute(
        select(*_VIEW_COLUMNS).where(Outbox.case_id.in_(case_ids)).order_by(Outbox.id)
    ):
        rows[r.case_id].append(r)
    count = 0
    planned: list[dict] = []
    next_steps: list[dict] = []
    # the batch's timeline lines in one INSERT, with the batch's commit
    with buffered_events(s), s.no_autoflush:
        for case in s.scalars(select(Case).where(Case.id.in_(case_ids))):
            for decision in plan(case_view(case, rows[case.id]), cal, policy):
                if decision.due_at <= now:
                    values = _planned(app, s, case, decision, now)
                    planned.append(values)
                    _record_planned(
                        s,
                        case.id,
                        values["kind"],
                        values["audience"],
                        values["reason"],
                        values["rule"],
                        values["key"],
                        now,
                    )
                    rows[case.id].append(_PlannedRow(values))
                    count += 1
            next_steps.append(
                {"id": case.id, **next_step(plan(case_view(case, rows[case.id]), cal, policy))}
            )
        insert_rows(s, Outbox, planned)
        update_rows(s, Case, next_steps)
    return count


# what the planner reads of a case's outbox rows (see repo.case_view)
_VIEW_COLUMNS = (
    Outbox.case_id,
    Outbox.key,
    Outbox.kind,
    Outbox.audience,
    Outbox.rule,
    Outbox.state,
    Outbox.subject,
    Outbox.facts,
    Outbox.created_at,
    Outbox.updated_at,
    Outbox.sent_at,
)


class _PlannedRow:
    """A row planned in this batch, as the planner reads it (an ORM object added to the
    session has the same values, and None for the columns not given)."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)
        self.sent_at = None


# -- drafting ----------------------------------------------------------------------------
def _template_data(app: App, s: Session, case: Case, row: Outbox, attempt: int) -> dict:
    """What the templates may say, each fact taken from the event it names: the solution's
    date is when the solution went out (the start of the post-solution phase), the
    information was asked for when the waiting phase began, a call is mentioned only
    when one was logged."""
    cal = app.calendar
    phase = case.phase_started_at
    last_sent = case.last_outbound_at or phase
    called = bool(case.last_call and case.last_call_at and case.last_call_at >= phase)
    data = {
        "case_number": case.number,
        "customer_name": case.customer_name,
        "issue": _issue(case),
        "last_sent": f"{cal.local(last_sent):%A %d %B}",
        "solution_sent": f"{cal.local(phase):%A %d %B}",
        "asked_on": f"{cal.local(phase):%A %d %B}",
        "called": called,
        "call_day": f"{cal.local(case.last_call_at):%A %d %B}" if case.last_call_at else "",
        "reason": row.reason,
        "tam_email": case.tam_email,
        "secret_kind": (row.facts or {}).get("secret_kind", "credential"),
        "attempt": attempt,
        "draft_subject": (row.facts or {}).get("draft_subject", ""),
        "where": (row.facts or {}).get("where", "your Sent Items"),
    }
    closure = (row.facts or {}).get("closure_date")
    if closure:
        data["closure_date"] = f"{datetime.fromisoformat(closure):%A %d %B %Y}"
    if row.kind == MailKind.REMIND_CLOSURE_CHECKLIST:
        from mailbot.outbound.closure_notes import closure_notes

        data["notes"] = closure_notes(s, case, cal)  # R20
    return data


COUNTED_KINDS = {MailKind.FOLLOWUP_SOLUTION.value, MailKind.STRIKE_2.value}  # templates say "again"


def _attempts(s: Session, rows: list[Outbox]) -> dict[int, int]:
    """Row id → 1 + how many of its kind were sent to the customer in its case's phase,
    for the rows whose templates count; one query for a batch (one per such row was a
    tenth of drafting)."""
    counted = [r for r in rows if r.kind in COUNTED_KINDS and r.case_id is not None]
    if not counted:
        return {}
    sent = s.execute(
        select(Outbox.case_id, Outbox.kind, func.count())
        .join(Case, Case.id == Outbox.case_id)
        .where(
            Outbox.case_id.in_({r.case_id for r in counted}),
            Outbox.kind.in_(COUNTED_KINDS),
            Outbox.state == OutboxState.SENT,
            Outbox.sent_at >= Case.phase_started_at,
        )
        .group_by(Outbox.case_id, Outbox.kind)
    )
    by_kind = {(case_id, kind): n for case_id, kind, n in sent}
    return {r.id: 1 + by_kind.get((r.case_id, r.kind), 0) for r in counted}


_CASE_LABEL = r"(?:case|ticket|sr|incident|request|ref(?:erence)?|tracking\s*id|no\.?|nr\.?|number)"
_SEPARATORS = " \t-–—:#|/,;."


_NUMBER_WITH_LABEL = re.compile(
    rf"[\[(]?\s*(?:{_CASE_LABEL}\s*[#:]?\s*)*#?\s*(?P<n>\d+)\s*[\])]?", re.IGNORECASE
)
_SEPARATOR_RUN = re.compile(r"\s+[-–—:|/]+(\s+[-–—:|/]+)+\s+")


def _issue(case: Case) -> str:
    """The subject as the customer's words, without the reply prefixes and without the
    case number and the label around it ("Case 123:", "[TrackingID#123]", "SR 123 -")."""
    from mailbot.outbound.compose import _REPLY_PREFIX

    text = _REPLY_PREFIX.sub("", case.subject or "")
    text = _NUMBER_WITH_LABEL.sub(
        lambda m: " " if m.group("n") == case.number else m.group(0), text
    )
    text = _SEPARATOR_RUN.sub(" - ", f" {text} ")
    text = " ".join(text.split()).strip(_SEPARATORS)
    return text or "the problem described in your request"


def materialise(app: App, now: datetime) -> int:
    """Turn planned rows into drafts (or, for reminders, deliver them) - idempotently,
    each row in its own failure boundary: a row that cannot be drafted flags its case
    and is retried later, and the others go on."""
    done = 0
    with app.sessions() as s:
        ids = list(
            s.scalars(
                select(Outbox.id)
                .where(
                    Outbox.state == OutboxState.PLANNED,
                    or_(Outbox.retry_at.is_(None), Outbox.retry_at <= now),
                )
                .order_by(Outbox.id)
            )
        )
        for start in range(0, len(ids), DRAFT_BATCH):
            batch = ids[start : start + DRAFT_BATCH]
            try:
                done += _materialise_batch(app, s, batch, now)
            except Exception as exc:
                s.rollback()
                if isinstance(exc, MailboxError) and _mailbox_down(exc):
                    raise
                # one row failed: the batch again one row at a time, each in its own
                # boundary (the rows marked above look for their draft before saving)
                for row_id in batch:
                    done += _materialise_alone(app, s, row_id, now)
    return done


def _mark_attempts(s: Session, rows: list[Outbox]) -> None:
    """Committed before the side effects: from now on a draft with one of these keys
    may exist, so a later attempt looks for it before saving (a first one need not:
    the key is new)."""
    for row in rows:
        row.attempts += 1
    s.commit()


def _materialise_batch(app: App, s: Session, batch: list[int], now: datetime) -> int:
    """A batch of rows with one query for the rows, one for their cases and two commits
    (the attempt markers, then the results)."""
    rows = list(s.scalars(select(Outbox).where(Outbox.id.in_(batch)).order_by(Outbox.id)))
    case_ids = {r.case_id for r in rows if r.case_id is not None}
    # into the session, and held here: its identity map holds objects weakly, so cases
    # nothing refers to would be dropped and loaded again one query each
    cases = (
        {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(case_ids)))} if case_ids else {}
    )
    _mark_attempts(s, rows)
    attempts = _attempts(s, rows)
    # written once, at the commit; the batch's timeline lines in one INSERT
    with s.no_autoflush, buffered_events(s):
        for row in rows:
            case = cases.get(row.case_id) if row.case_id is not None else None
            _materialise_one(app, s, row, now, attempts.get(row.id, 1), case)
    _one_shape(rows)
    s.commit()
    return len(rows)


def _one_shape(rows: list[Outbox]) -> None:
    """Write every row's results with the same columns, so that the batch is one UPDATE
    statement (executemany): the unit of work groups rows by the columns they change,
    in id order, and a batch that alternates drafts and reminders (state, facts vs
    state, sent_at, ended_at) was one statement per run of alike rows, 250 a tick. A
    column a row did not change is written with the value it holds (the row stays the
    same); a JSON column holding None is left out (it would be written as JSON null)."""
    from sqlalchemy import JSON
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm.attributes import flag_modified

    columns = {
        attr.key: isinstance(attr.columns[0].type, JSON)
        for attr in sa_inspect(Outbox).column_attrs
        if not attr.columns[0].primary_key
    }
    states = [sa_inspect(row) for row in rows]
    # what was set since the row was loaded (a value set to what it was is written too:
    # the same value again)
    changed = [columns.keys() & st.committed_state.keys() for st in states]
    union = set().union(*changed)
    if all(mine == union for mine in changed):
        return
    for st, mine in zip(states, changed, strict=True):
        for key in union - mine:
            if key in st.dict and not (columns[key] and st.dict[key] is None):
                flag_modified(st.obj(), key)


def _materialise_alone(app: App, s: Session, row_id: int, now: datetime) -> int:
    row = s.get(Outbox, row_id)
    if row is None or row.state != OutboxState.PLANNED:
        return 0
    _mark_attempts(s, [row])
    try:
        case = s.get(Case, row.case_id) if row.case_id is not None else None
        _materialise_one(app, s, row, now, _attempts(s, [row]).get(row.id, 1), case)
        s.commit()
        return 1
    except Exception as exc:  # one row never stops the others
        s.rollback()
        if isinstance(exc, MailboxError) and _mailbox_down(exc):
            raise
        row = s.get(Outbox, row_id)
        why = trouble.describe(f"drafting {row.kind}", exc)
        row.blocked_reason = why
        row.retry_at = trouble.flag(app, s, row.case_id, why, now)
        if row.kind == MailKind.REMIND_TROUBLE and row.attempts >= MAX_SEND_ATTEMPTS:
            _transition(s, row, OutboxState.FAILED, now)  # never a loop of reminders
        s.commit()
        return 0


DRAFT_BATCH = 50


def _mailbox_down(exc: MailboxError) -> bool:
    """A failure of the mailbox itself (not of this draft): the step stops and says so."""
    return bool(getattr(exc, "unreachable", False))


def _materialise_one(
    app: App, s: Session, row: Outbox, now: datetime, attempt: int, case: Case | None
) -> None:
    """``attempt``: the count the template says "again" by (:func:`_attempts`); ``case``:
    the row's case, loaded with its batch (a lookup per row was a twentieth of drafting)."""
    f = app.settings.mailbox.folders
    if row.case_id is None:  # a report, not case mail
        from mailbot.reports.schedule import materialise_report

        materialise_report(app, s, row, now)
        return
    kind = MailKind(row.kind)
    data = _template_data(app, s, case, row, attempt)
    rendered = render(kind, app.settings.engineer, data, row.subject)
    message = build_message(
        rendered,
        key=row.key,
        kind=kind,
        case_number=case.number,
        sender=app.settings.engineer,
        to=row.recipients["to"],
        cc=row.recipients["cc"],
        in_reply_to=None if kind in ENGINEER_KINDS else case.last_customer_message_id,
        references=case.thread_references,
        when=now,
    )
    retry = row.attempts > 1
    if row.audience == "engineer":
        # flagged for follow-up: due when it arrives, or when business time resumes
        due = app.calendar.next_business_time(max(now, row.due_at))
        app.mailbox.deliver_to_inbox(message, row.key, retry=retry, due=due)
        _transition(s, row, OutboxState.SENT, now)
        row.sent_at = now
        record(
            s,
            case.id,
            now,
            "reminded",
            f"reminder in your Inbox: {kind.value}",
            row.rule,
            key=row.key,
        )
    elif not row.recipients["to"]:
        _transition(s, row, OutboxState.FAILED, now)
        row.blocked_reason = "the case has no customer address to write to"
        record(
            s,
            case.id,
            now,
            "failed",
            f"{kind.value} not drafted: no customer address known",
            row.rule,
            key=row.key,
        )
    else:
        # R25: what the customer wrote may look like a marker; remember what mailbot's
        # own draft holds, so only what is added later can block the send
        row.facts = {
            **(row.facts or {}),
            "customer_markers": markers_in_rendered(rendered),
        }
        if app.settings.requires_approval(kind):
            app.mailbox.save_draft(f.awaiting_approval, message, row.key, retry=retry)
            _transition(s, row, OutboxState.DRAFTED, now)
            record(
                s,
                case.id,
                now,
                "drafted",
                f"{kind.value} draft in '{f.awaiting_approval}' for your approval",
                row.rule,
                key=row.key,
            )
        else:
            app.mailbox.save_draft(f.approved, message, row.key, retry=retry)
            _transition(s, row, OutboxState.APPROVED, now)
            _schedule(app, s, case, row, now, "approval not required for this kind (config)")
    row.retry_at = None
    row.attempts = 0  # from here on, attempts count sends
    trouble.clear(s, case, now)
    if row.state == OutboxState.DRAFTED:  # look again when the draft-waiting reminder falls due
        due = app.calendar.add_business_hours(
            now, app.settings.policy.draft_reminder_business_hours
        )
        case.next_due_at = min(filter(None, [case.next_due_at, due]))


def _transition(s: Session, row: Outbox, state: OutboxState, now: datetime) -> None:
    row.state = state
    row.updated_at = now
    if state in FINAL_OUTBOX_STATES:
        row.ended_at = now


def _schedule(app: App, s: Session, case: Case, row: Outbox, now: datetime, why: str) -> None:
    """R23: the send waits for the next business window."""
    cal = app.calendar
    wanted = max(now, row.due_at)
    send_at = cal.next_business_time(wanted)
    row.send_at = send_at
    _transition(s, row, OutboxState.SCHEDULED, now)
    wait = cal.why_not_business_time(wanted)
    note = ""
    if wait:
        first = f"{cal.local(wanted):%a %d %b}"
        skipped = [d for d in cal.days_off_between(wanted, send_at) if not d.startswith(first)]
        past = f"; then {', '.join(skipped)}" if skipped else ""
        note = f"; {cal.local(wanted):%a %d %b %H:%M} is outside business time ({wait}{past}), so it waits"
    record(
        s,
        case.id,
        now,
        "scheduled",
        f"{row.kind} {why}; goes out {cal.local(send_at):%a %d %b %H:%M}{note}",
        "R23",
        key=row.key,
    )


# -- approval ----------------------------------------------------------------------------
def scan_approvals(app: App, now: datetime) -> None:
    """Read the engineer's verdicts from the approval folders."""
    f = app.settings.mailbox.folders
    box = app.mailbox
    with app.sessions() as s:
        drafted = list(
            s.scalars(
                select(Outbox).where(Outbox.state.in_([OutboxState.DRAFTED, OutboxState.APPROVED]))
            )
        )
        if not drafted:
            return
        # Approved is listed before and after Awaiting: a file moved between the two
        # listings is still seen, never mistaken for a deletion.
        approved = dict(box.keyed_items(f.approved))
        awaiting = box.keyed_items(f.awaiting_approval)
        approved.update(box.keyed_items(f.approved))
        rejected = box.keyed_items(f.rejected)
        # A draft still waiting in Awaiting Approval has no verdict: nothing to read or
        # commit for it (a commit per row would expire, and reload, every other row).
        drafted = [
            row
            for row in drafted
            if row.key in approved or row.key in rejected or row.key not in awaiting
        ]
        for row in drafted:
            try:
                _verdict(app, s, row, approved, awaiting, rejected, now)
                s.commit()
            except Exception as exc:  # one draft never stops the others
                s.rollback()
                if isinstance(exc, MailboxError) and exc.unreachable:
                    raise
                trouble.flag(
                    app, s, row.case_id, trouble.describe("reading your verdict", exc), now
                )
                s.commit()


def _verdict(
    app: App,
    s: Session,
    row: Outbox,
    approved: dict,
    awaiting: dict,
    rejected: dict,
    now: datetime,
) -> None:
    """The engineer's verdict on one draft, from where it is now."""
    case = s.get(Case, row.case_id)
    if row.key in approved:
        if row.state == OutboxState.DRAFTED:
            _transition(s, row, OutboxState.APPROVED, now)
            record(
                s,
                case.id,
                now,
                "approved",
                f"you approved the {row.kind} draft",
                row.rule,
                key=row.key,
            )
        _schedule(app, s, case, row, now, "approved")
    elif row.key in rejected or row.key not in awaiting:
        where = "moved to Rejected" if row.key in rejected else "deleted"
        _reject(app, s, case, row, now, f"you {where} the {row.kind} draft")


def _reject(app: App, s: Session, case: Case, row: Outbox, now: datetime, why: str) -> None:
    """The engineer said no: a rejected nudge holds the cadence (the fold reads the
    rejection as an event of the case's timeline)."""
    _transition(s, row, OutboxState.REJECTED, now)
    row.withdrawn_at = now  # the engineer moved or deleted it: nothing to take out
    s.flush()
    refold(app, s, [case], now)
    if row.kind in {k.value for k in NUDGE_KINDS} and case.hold_until:
        why += f"; the next follow-up waits until {app.calendar.local(case.hold_until):%a %d %b}"
    record(s, case.id, now, "rejected", why, row.rule, key=row.key)


def retire_pointless(app: App, s: Session, cases: list[Case], now: datetime) -> int:
    """Retire the open customer drafts these cases no longer want (stale after a reply,
    superseded by the engineer's own action or a new state), so they are never sent and
    never block the case; their drafts leave the approval folders on the next release
    step (:func:`withdraw_dead`). Database only, in the caller's transaction."""
    by_id = {c.id: c for c in cases}
    retired = 0
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        rows = s.scalars(
            select(Outbox).where(
                Outbox.case_id.in_(ids[start : start + 500]),
                Outbox.audience == "customer",
                Outbox.state.in_(RETIRABLE),
            )
        )
        for row in rows:
            case = by_id[row.case_id]
            verdict = retire_reason(MailKind(row.kind), row.created_at, case_view(case, []))
            if verdict is None:
                continue
            state, rule, why = verdict
            _retire(s, case, row, state, rule, why, now)
            retired += 1
    return retired


RETIRABLE = (
    OutboxState.PLANNED,
    OutboxState.DRAFTED,
    OutboxState.APPROVED,
    OutboxState.SCHEDULED,
)


def _retire(
    s: Session, case: Case, row: Outbox, state: OutboxState, rule: str, why: str, now: datetime
) -> None:
    _transition(s, row, state, now)
    row.blocked_reason = why[:500]
    verb = "stale" if state == OutboxState.STALE else "superseded"
    record(
        s,
        case.id,
        now,
        verb,
        f"{row.kind} not sent: {why} ({rule}); marked {verb}, and its draft goes to Not sent",
        rule,
        key=row.key,
    )


NOT_SENT_NOTE = (
    "[mailbot] This draft was not sent and will not be: {why}. It was moved here from "
    "{folder} on {when} so the approval folders only hold mail that will go. Nothing to "
    "do; delete it when you like."
)


def withdraw_dead(app: App, now: datetime, listings: dict[str, dict] | None = None) -> int:
    """Take the drafts of stale, superseded, cancelled and failed rows out of Awaiting
    Approval and Approved into Not sent, each with a note at its top saying why. After
    the move the row is marked, so a draft is moved once; the move itself is idempotent
    by key (a crash between copy and delete is finished on the next run)."""
    f = app.settings.mailbox.folders
    box = app.mailbox
    moved = 0
    complete_reminders(app, now)
    with app.sessions() as s:
        rows = list(
            s.scalars(
                select(Outbox).where(
                    Outbox.state.in_(list(DEAD_OUTBOX_STATES)),
                    Outbox.withdrawn_at.is_(None),
                    Outbox.audience == "customer",
                )
            )
        )
        if not rows:
            return 0
        listings = dict(listings or {})
        for folder in (f.awaiting_approval, f.approved):
            if folder not in listings:
                listings[folder] = box.keyed_items(folder)
        for row in rows:
            for folder in (f.awaiting_approval, f.approved):
                ref = listings[folder].get(row.key)
                if ref is None:
                    continue
                why = row.blocked_reason or f"the draft is {row.state}"
                note = NOT_SENT_NOTE.format(
                    why=why.rstrip("."),
                    folder=folder,
                    when=f"{app.calendar.local(now):%a %d %b %H:%M}",
                )
                box.withdraw(ref, f.not_sent, note)
                moved += 1
                record(
                    s,
                    row.case_id,
                    now,
                    "withdrawn",
                    f"{row.kind} draft moved from '{folder}' to '{f.not_sent}': {why}",
                    row.rule,
                    key=row.key,
                )
            row.withdrawn_at = now
            s.commit()
    return moved


# -- reminders done ----------------------------------------------------------------------
def _call_logged(s: Session, case: Case, row: Outbox) -> bool:
    return bool(case.last_call_seen_at and case.last_call_seen_at >= row.created_at)


def _closed(s: Session, case: Case, row: Outbox) -> bool:
    return bool(case.closed_at and case.closed_at >= row.created_at)


BLOCKING_RULES = ("R25", "R02")  # what _block holds an approved draft for


def _no_open_row(state: OutboxState, blocked: bool = False):  # type: ignore[no-untyped-def]
    def done(s: Session, case: Case, row: Outbox) -> bool:
        q = (
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.case_id == case.id, Outbox.state == state, Outbox.audience == "customer")
        )
        if blocked:  # held by _block until the engineer mends the draft
            q = q.where(
                or_(*(Outbox.blocked_reason.like(f"%({rule})%") for rule in BLOCKING_RULES))
            )
        return not s.scalar(q)

    return done


# A reminder's purpose is done when (any of):
REMINDER_DONE = {
    MailKind.REMIND_CALL: (_call_logged, _closed),
    MailKind.REMIND_PROPOSE_CALL: (_call_logged, _closed),
    MailKind.REMIND_PROMISE: (
        lambda s, case, row: bool(
            case.last_engineer_seen_at and case.last_engineer_seen_at >= row.created_at
        ),
        _closed,
    ),
    MailKind.REMIND_DRAFT_WAITING: (_no_open_row(OutboxState.DRAFTED), _closed),
    MailKind.REMIND_BLOCKED: (_no_open_row(OutboxState.SCHEDULED, blocked=True),),
    MailKind.REMIND_TROUBLE: (lambda s, case, row: case.trouble is None,),
}
REMINDER_WATCH_DAYS = 30  # a reminder whose purpose has not come to pass by then stays


def complete_reminders(app: App, now: datetime) -> int:
    """Reminders are flagged for follow-up (Outlook's To Do list); when one's purpose is
    done (the call was logged, the draft went, the trouble cleared) its flag is
    completed, once (``withdrawn_at`` marks it, as for drafts taken out)."""
    if not app.settings.mailbox.flag_reminders:
        return 0
    completer = getattr(app.mailbox, "complete_reminder", None)
    if completer is None:
        return 0
    done = 0
    with app.sessions() as s:
        rows = s.scalars(
            select(Outbox).where(
                Outbox.audience == "engineer",
                Outbox.state == OutboxState.SENT,
                Outbox.withdrawn_at.is_(None),
                Outbox.kind.in_([k.value for k in REMINDER_DONE]),
                Outbox.sent_at > now - timedelta(days=REMINDER_WATCH_DAYS),
            )
        )
        rows = list(rows)
        ids = sorted({row.case_id for row in rows if row.case_id is not None})
        cases: dict[int, Case] = {}
        for start in range(0, len(ids), 500):  # one query for the cases, not one each
            cases.update(
                (c.id, c)
                for c in s.scalars(select(Case).where(Case.id.in_(ids[start : start + 500])))
            )
        for row in rows:
            case = cases.get(row.case_id) if row.case_id is not None else None
            if case is None or not any(t(s, case, row) for t in REMINDER_DONE[MailKind(row.kind)]):
                continue
            try:
                completer(row.key)
            except MailboxError as exc:
                if exc.unreachable:
                    raise
                log.warning("reminder flag not completed", key=row.key, why=str(exc)[:100])
                continue
            row.withdrawn_at = now
            record(
                s,
                case.id,
                now,
                "done",
                f"{row.kind}: its follow-up flag completed",
                row.rule,
                key=row.key,
            )
            s.commit()
            done += 1
    return done


# -- sending -----------------------------------------------------------------------------
def _stale_reason(
    app: App, s: Session, case: Case, row: Outbox, now: datetime
) -> tuple[OutboxState, str, str] | None:
    """R19 and its kin, just before sending: the case must still want this draft (the
    same rules as when the case's timeline changes), and a strike 3 must still name a
    closure date that is right for today (R12)."""
    view = case_view(case, outbox_rows(s, case.id))
    verdict = retire_reason(MailKind(row.kind), row.created_at, view)
    if verdict is not None:
        return verdict
    if row.kind == MailKind.STRIKE_3:
        required = closure_date_for(view, app.calendar, app.settings.policy, now)
        named = (row.facts or {}).get("closure_date")
        if named is None or required > date.fromisoformat(named):
            return (
                OutboxState.STALE,
                "R12",
                f"sent now, the closure date would have to be {required} or later, not {named}",
            )
    return None


def _left_in_draft(row: Outbox, data: bytes) -> list[str]:
    """R25: markers in the approved draft that were not in what the customer wrote (the
    markers mailbot saw in its own draft came from case data, e.g. a subject with
    ``{{``, and were recorded when it was drafted)."""
    allowed = Counter((row.facts or {}).get("customer_markers", []))
    found = Counter(markers_in_message(data))
    return list((found - allowed).elements())


def release(app: App, now: datetime) -> int:
    """Send what is approved and due, after the last checks. Returns how many were sent."""
    sent = 0
    with app.sessions() as s:
        due = list(
            s.scalars(
                select(Outbox)
                .where(Outbox.state == OutboxState.SCHEDULED, Outbox.send_at <= now)
                .order_by(Outbox.send_at, Outbox.id)
            )
        )
        if not due:
            return 0
        approved = app.mailbox.keyed_items(app.settings.mailbox.folders.approved)
        for row in due:
            try:
                case = s.get(Case, row.case_id) if row.case_id is not None else None
                outcome = _release_one(app, s, row, case, approved.get(row.key), now)
                s.commit()
            except Exception as exc:  # one send never stops the others
                s.rollback()
                if isinstance(exc, MailboxError) and exc.unreachable:
                    raise
                # a row claimed before the failure stays "sending": recovery settles it
                # from the mailbox, so nothing is sent twice
                trouble.flag(app, s, row.case_id, trouble.describe(f"sending {row.kind}", exc), now)
                s.commit()
                continue
            if outcome == "stop":
                break
            sent += outcome == "sent"
    return sent


def _release_one(app: App, s: Session, row: Outbox, case: Case | None, ref, now: datetime) -> str:  # type: ignore[no-untyped-def]
    """All the checks for one due row, then the send: "sent", "skip" or "stop"."""
    cal = app.calendar
    if case is not None:
        verdict = _stale_reason(app, s, case, row, now)
        if verdict:
            _retire(s, case, row, *verdict, now)
            refresh_due(s, case, cal, app.settings.policy)
            return "skip"
    hold, rule, until = _hold(app, case, row, now)
    if hold:
        row.send_at = until
        record(
            s,
            row.case_id,
            now,
            "held",
            f"{row.kind} waits: {hold}; goes out {cal.local(until):%a %d %b %H:%M}",
            rule,
            key=row.key,
        )
        return "skip"
    if ref is None:
        if case is not None:
            _reject(
                app,
                s,
                case,
                row,
                now,
                f"the approved {row.kind} draft is no longer in '{app.settings.mailbox.folders.approved}'",
            )
        else:
            _transition(s, row, OutboxState.FAILED, now)
        return "skip"
    data = app.mailbox.read(ref)
    left = _left_in_draft(row, data)
    if left and case is not None:
        _block(app, s, case, row, now, f"it still contains {left[0]!r} (R25)")
        return "skip"
    if case is not None and not recipients_of(data):  # the engineer's edit left nobody
        why = "it has no recipient address left in To, Cc or Bcc (R02)"
        _block(app, s, case, row, now, why, rule="R02")
        return "skip"
    recent = s.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(Outbox.sent_at > now - timedelta(minutes=1), Outbox.audience != "engineer")
    )
    if recent >= app.settings.policy.rate_limit_per_minute:
        log.info(
            "send rate limit reached; the rest waits",
            limit=app.settings.policy.rate_limit_per_minute,
        )
        return "stop"
    if _over_daily_recipients(app, s, row, now):
        return "stop"
    s.commit()  # any pending change of this row is written before the claim
    if not _claim_for_sending(s, row, now, app.send_fence):
        return "skip"  # another process claimed it first: never two senders of one row
    try:
        app.mailbox.send(ref, row.key)
    except MailboxError as exc:
        _send_failed(app, s, case, row, now, str(exc))
        return "skip"
    _mark_sent(app, s, case, row, now)
    return "sent"


def _recipients(row: Outbox) -> int:
    r = row.recipients or {}
    return sum(len(r.get(field) or []) for field in ("to", "cc", "bcc"))


def _over_daily_recipients(app: App, s: Session, row: Outbox, now: datetime) -> bool:
    """Exchange Online takes 10,000 recipients per mailbox over a rolling 24 hours (and
    then refuses every send for a day): the send waits when this one would pass the
    configured limit. Reminders go to the engineer's own Inbox and do not count."""
    limit = app.settings.mailbox.daily_recipient_limit
    sent = s.scalars(
        select(Outbox).where(
            Outbox.sent_at > now - timedelta(hours=24), Outbox.audience != "engineer"
        )
    )
    used = sum(_recipients(r) for r in sent)
    if used + _recipients(row) <= limit:
        return False
    log.warning(
        "daily recipient limit reached; the rest waits", limit=limit, used=used, key=row.key
    )
    return True


def _hold(
    app: App, case: Case | None, row: Outbox, now: datetime
) -> tuple[str | None, str, datetime]:
    """Reasons to wait rather than drop, the rule behind each, and until when: R23
    business time, R15 an out-of-office pause, R13 the floor (default 14 days) before a closure."""
    cal = app.calendar
    why = cal.why_not_business_time(now)
    if why:
        return f"outside business time ({why})", "R23", cal.next_business_time(now)
    if case is None:
        return None, "", now
    if row.kind in {k.value for k in NUDGE_KINDS} and case.paused_until and case.paused_until > now:
        return (
            f"paused by an out-of-office reply until {cal.local(case.paused_until):%a %d %b %H:%M}",
            "R15",
            cal.next_business_time(case.paused_until),
        )
    if row.kind == MailKind.CLOSURE_UNRESPONSIVE:
        days = app.settings.policy.closure_min_calendar_days_after_contact
        floor = (case.last_contact_at or case.opened_at) + timedelta(days=days)
        if now < floor:
            return (
                f"closure not allowed before {cal.local(floor):%Y-%m-%d}, {days} days after "
                "the last contact",
                "R13",
                cal.next_business_time(floor),
            )
    return None, "", now


def _claim_for_sending(
    s: Session, row: Outbox, now: datetime, fence: Callable[[Session, int], bool] | None = None
) -> bool:
    """scheduled → sending as one conditional UPDATE: of two processes releasing the same
    row, exactly one wins, on SQLite and PostgreSQL alike. Committed before the send."""
    durable = s.get_bind().dialect.name == "sqlite"
    if durable:  # this one commit waits for the disk: a power cut must not undo a claim
        s.execute(text("PRAGMA synchronous=FULL"))
    claimed = s.execute(
        update(Outbox)
        .where(Outbox.id == row.id, Outbox.state == OutboxState.SCHEDULED)
        .values(
            state=OutboxState.SENDING,
            attempts=Outbox.attempts + 1,
            blocked_reason=None,
            updated_at=now,
        )
    ).rowcount
    if claimed == 1 and fence is not None and not fence(s, row.id):
        s.rollback()  # a team worker whose lease is gone: the mailbox is another's now
        return False
    s.commit()
    if durable:
        s.execute(text("PRAGMA synchronous=NORMAL"))
        s.commit()
    s.refresh(row)
    return claimed == 1


def _block(
    app: App, s: Session, case: Case, row: Outbox, now: datetime, why: str, rule: str = "R25"
) -> None:
    """Keep the row approved but unsent, tell the engineer once."""
    row.send_at = now + timedelta(minutes=1)
    if row.blocked_reason != why:
        row.blocked_reason = why
        record(s, case.id, now, "blocked", f"{row.kind} not sent: {why}", rule, key=row.key)
        reminder = Decision(MailKind.REMIND_BLOCKED, rule, why, now, {"draft_subject": row.subject})
        plan_row(app, s, case, reminder, now)


def _send_failed(
    app: App, s: Session, case: Case | None, row: Outbox, now: datetime, error: str
) -> None:
    _settle(
        app, s, case, row, now, f"send failed ({error})", now + timedelta(minutes=5 * row.attempts)
    )


def _settle(
    app: App,
    s: Session,
    case: Case | None,
    row: Outbox,
    now: datetime,
    what: str,
    retry_at: datetime,
) -> None:
    """After a failed or interrupted send, ask the mailbox whether the message left, and
    act on proof only: sent → recorded as sent; absent → tried again (a bounded number of
    times); unknown → never repeated, the engineer is told (R26)."""
    verdict = app.mailbox.find_sent(row.key)
    if verdict == SentLookup.SENT:
        leftover = app.mailbox.keyed_items(app.settings.mailbox.folders.approved).get(row.key)
        if leftover is not None:
            app.mailbox.delete(leftover)
        _mark_sent(app, s, case, row, now)
        record(
            s,
            row.case_id,
            now,
            "recovered",
            f"{row.kind}: {what}, but it is in Sent Items: not sent again",
            "R26",
            key=row.key,
        )
    elif verdict == SentLookup.ABSENT and row.attempts < MAX_SEND_ATTEMPTS:
        row.send_at = retry_at
        _transition(s, row, OutboxState.SCHEDULED, now)
        when = app.calendar.local(retry_at)
        record(
            s,
            row.case_id,
            now,
            "retry",
            f"{row.kind}: {what}; it did not leave, so it goes again at {when:%H:%M}",
            "R26",
            key=row.key,
        )
    elif verdict == SentLookup.ABSENT:
        _unconfirmed(app, s, case, row, now, f"{what}; gave up after {row.attempts} attempts")
    else:
        _unconfirmed(app, s, case, row, now, f"{what}; it may have left, so it is not sent again")


def _unconfirmed(
    app: App, s: Session, case: Case | None, row: Outbox, now: datetime, why: str
) -> None:
    _transition(s, row, OutboxState.FAILED, now)
    row.blocked_reason = why[:500]
    record(s, row.case_id, now, "failed", f"{row.kind} failed: {why}", "R26", key=row.key)
    log.warning("send failed", kind=row.kind, key=row.key)
    if case is None:
        return
    plan_row(
        app,
        s,
        case,
        Decision(
            MailKind.REMIND_UNCONFIRMED,
            "R26",
            why,
            now,
            {"draft_subject": row.subject, "where": app.mailbox.where_to_look(row.key)},
        ),
        now,
    )
    refresh_due(s, case, app.calendar, app.settings.policy)


def _mark_sent(app: App, s: Session, case: Case | None, row: Outbox, now: datetime) -> None:
    _transition(s, row, OutboxState.SENT, now)
    row.sent_at = now
    row.withdrawn_at = now
    if case is None:  # a report to the managers, not part of a case
        record(
            s,
            None,
            now,
            "sent",
            f"{row.kind} sent to {len(row.recipients.get('to', []))} recipient(s)",
            row.rule,
            key=row.key,
        )
        log.info("sent", kind=row.kind, key=row.key)
        return
    record(s, case.id, now, "sent", f"{row.kind} sent to the customer", row.rule, key=row.key)
    log.info("sent", case=case.number, kind=row.kind, key=row.key)
    s.flush()
    refold(app, s, [case], now)  # the send is an event of the case's timeline
    if row.kind in {k.value for k in CLOSING_KINDS} and case.state == CaseState.CLOSED:
        record(s, case.id, now, "closed", f"case closed after {row.kind}", "R16")
        checklist = Decision(
            MailKind.REMIND_CLOSURE_CHECKLIST,
            "R20",
            f"closed after {row.kind.replace('_', ' ')}",
            now,
        )
        plan_row(app, s, case, checklist, now)
        refresh_due(s, case, app.calendar, app.settings.policy)


# -- recovery ----------------------------------------------------------------------------
def recover(app: App, now: datetime) -> None:
    """Resolve rows a crash left in ``sending`` (planned rows are redone by materialise,
    idempotently by key)."""
    with app.sessions() as s:
        for row in list(s.scalars(select(Outbox).where(Outbox.state == OutboxState.SENDING))):
            case = s.get(Case, row.case_id) if row.case_id is not None else None
            _settle(app, s, case, row, now, "interrupted while sending", now)
            s.commit()
