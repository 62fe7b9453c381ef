"""Follow-ups, strikes and the unresponsive closure.

- R07 pending customer information: follow up every N business days, or on the date the
  customer named (the customer's lead wins over the cadence).
- R10 right after a solution: follow the customer's date if they named one; otherwise
  after 24 hours remind the engineer to call and draft an email for when the call does
  not reach them; then follow up daily for three business days.
- R11 three strikes, each after N business days of silence; a Premier case reminds the
  engineer to reach the TAM before strike 1.
- R12 strike 3 names the closure date: the first business day at least 3 business days
  after strike 3 and 14 calendar days after the last successful contact.
- R13 the closure email is never due before that; R16 nothing but three sent strikes
  leads here. R15 an out-of-office pause moves every due time to the return date.
- R05 a customer who prefers the phone gets a call reminder where a follow-up email
  was due; the email follows one business day later if no call was logged (a voicemail
  makes it the R09 email instead). Strikes and the closure stay written notices.
- R22 a collaboration (the engineer does not own the case) gets no strikes: one
  reminder to confirm closure with the case owner instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import NUDGE_KINDS, STRIKES, CaseState, MailKind
from mailbot.domain.policy.types import CaseView, Decision
from mailbot.domain.settings import Policy


def _steps(view: CaseView, policy: Policy) -> list[MailKind]:
    if view.state == CaseState.SOLUTION_DELIVERED:
        lead = [MailKind.FOLLOWUP_SOLUTION] * policy.post_solution_daily_followups
    else:
        lead = [MailKind.FOLLOWUP_INFO] * policy.info_followups_before_strikes
    return [*lead, *STRIKES, MailKind.CLOSURE_UNRESPONSIVE]


def closure_date_for(
    view: CaseView, cal: BusinessCalendar, policy: Policy, strike3_sent: datetime
) -> date:
    return cal.closure_date(
        strike3_sent,
        view.last_contact_at,
        policy.closure_min_business_days_after_strike3,
        policy.closure_min_calendar_days_after_contact,
    )


def decide(view: CaseView, cal: BusinessCalendar, policy: Policy) -> list[Decision]:
    if view.state not in (CaseState.WAITING_INFO, CaseState.SOLUTION_DELIVERED):
        return []
    if view.open_customer_kinds & (NUDGE_KINDS | {MailKind.CLOSURE_UNRESPONSIVE}):
        return []  # the last nudge still waits for the engineer's verdict (approvals.py)
    steps = _steps(view, policy)
    done = len(view.nudges_in_phase)
    if done >= len(steps):
        return []
    kind = steps[done]
    last = view.nudges_in_phase[-1].sent_at if view.nudges_in_phase else view.phase_started_at
    if view.last_manual_at and view.last_manual_at > last and kind != MailKind.CLOSURE_UNRESPONSIVE:
        last = view.last_manual_at  # the engineer wrote themselves: the cadence restarts from there
    silence = cal.business_days_between(view.last_contact_at, last)
    decisions: list[Decision] = []
    facts: dict = {}

    named = view.customer_named_date
    if done == 0 and named is not None and named >= view.phase_started_at - timedelta(days=1):
        local_day = cal.local(named).date()
        due = cal.next_business_time(
            cal.at_local(cal.business_day_on_or_after(local_day), policy.named_date_followup_time)
        )
        rule = "R10" if view.state == CaseState.SOLUTION_DELIVERED else "R07"
        reason = f'the customer named a date ("{view.named_date_words or local_day.isoformat()}"): follow up then, not on the usual cadence'
    elif kind == MailKind.FOLLOWUP_SOLUTION:
        if done == 0:
            due = cal.next_business_time(last + timedelta(hours=policy.call_reminder_hours))
            reason = f"no reply {policy.call_reminder_hours} hours after the solution: call, and email if the call does not reach them"
            if MailKind.REMIND_CALL not in view.kinds_in_phase:
                decisions.append(Decision(MailKind.REMIND_CALL, "R10", reason, due))
        else:
            due = cal.add_business_days(last, 1)
            reason = f"daily follow-up {done + 1} of {policy.post_solution_daily_followups} after the solution"
        rule = "R10"
    elif kind == MailKind.FOLLOWUP_INFO:
        due = cal.add_business_days(last, policy.followup_business_days)
        rule = "R07"
        reason = f"waiting for the customer's information: follow-up after {policy.followup_business_days} business days of silence"
    elif kind in STRIKES:
        n = STRIKES.index(kind) + 1
        due = cal.add_business_days(last, policy.strike_interval_business_days)
        rule = "R11"
        reason = (
            f"strike {n} of 3: {policy.strike_interval_business_days} business days without a reply"
        )
        if (
            kind == MailKind.STRIKE_1
            and view.premier
            and MailKind.REMIND_TAM not in view.kinds_in_phase
        ):
            decisions.append(
                Decision(
                    MailKind.REMIND_TAM,
                    "R11",
                    "Premier case going to strike 1: reach the TAM first",
                    due,
                )
            )
        if kind == MailKind.STRIKE_3:
            expected_send = cal.next_business_time(due)
            closure = closure_date_for(view, cal, policy, expected_send)
            facts["closure_date"] = closure.isoformat()
            reason += f"; it names the closure date {closure:%A %d %B %Y} (R12)"
    else:  # the unresponsive closure
        strike3 = view.nudges_in_phase[-1]
        closure = date.fromisoformat(strike3.facts["closure_date"])
        earliest = view.last_contact_at + timedelta(
            days=policy.closure_min_calendar_days_after_contact
        )
        due = max(cal.at_local(closure, cal.start), cal.next_business_time(earliest))
        rule = "R13"
        reason = (
            f"three strikes sent and no reply; closure date {closure:%d %B %Y} reached, "
            f"{policy.closure_min_calendar_days_after_contact}+ days after the last contact: closure email copying TAM and manager (R14)"
        )
        facts["closure_date"] = closure.isoformat()

    replacement: Decision | None = None  # a reminder in place of the email (R22, R05)
    if view.collaboration and (kind in STRIKES or kind == MailKind.CLOSURE_UNRESPONSIVE):
        if MailKind.REMIND_COLLAB_OWNER in view.kinds_in_phase:
            return []
        replacement = Decision(
            MailKind.REMIND_COLLAB_OWNER,
            "R22",
            "collaboration case: no strikes to the customer; confirm closure with the case owner",
            due,
        )
    elif view.contact_preference == "phone" and kind in (
        MailKind.FOLLOWUP_INFO,
        MailKind.FOLLOWUP_SOLUTION,
    ):
        reminded = view.planned_at.get(MailKind.REMIND_CALL)
        if reminded is None or reminded < last:
            replacement = Decision(
                MailKind.REMIND_CALL,
                "R05",
                f"the customer prefers the phone: call instead of emailing ({reason})",
                due,
            )
        else:
            due = max(due, cal.add_business_days(reminded, 1))
            reason = (
                f"no call logged since the call reminder, so an email after all (R05); {reason}"
            )
            decisions = [d for d in decisions if d.kind != MailKind.REMIND_CALL]
    if view.paused_until and view.paused_until > due:
        due = view.paused_until
        reason += (
            f"; paused until {cal.local(view.paused_until):%d %b} by an out-of-office reply (R15)"
        )
    if view.hold_until and view.hold_until > due:
        due = view.hold_until
        reason += f"; held until {cal.local(view.hold_until):%d %b}: {view.hold_why or 'you rejected the last draft'}"
    if replacement is not None:
        return [Decision(replacement.kind, replacement.rule, replacement.reason, due)]
    facts["silence_business_days"] = round(silence, 1)
    decisions.append(Decision(kind, rule, reason, due, facts))
    for i, d in enumerate(decisions):
        if d.kind != kind and d.due_at < due:  # reminders move with the pause too
            decisions[i] = Decision(d.kind, d.rule, d.reason, due, d.facts)
    return decisions
