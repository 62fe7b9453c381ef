"""R05, R06, R08, R09, R22, R30 as pure rules."""

from dataclasses import replace
from datetime import timedelta

from mailbot.domain.kinds import CaseState, MailKind
from mailbot.domain.policy import plan
from tests.unit.test_policy import CAL, MON, POLICY, local, view


def kinds(ds):
    return [d.kind for d in ds]


def test_r08_r30_upset_customer_gets_call_proposal_and_escalation_reminders_once():
    v = view(
        CaseState.ACTIVE, upset_at=MON, upset_why='strong wording ("unacceptable")', premier=True
    )
    ds = plan(v, CAL, POLICY)
    assert set(kinds(ds)) == {MailKind.REMIND_PROPOSE_CALL, MailKind.REMIND_DISSATISFIED}
    assert {d.rule for d in ds} == {"R08", "R30"}
    assert "TAM" in next(d for d in ds if d.rule == "R30").reason
    done = replace(
        v, planned_at={MailKind.REMIND_PROPOSE_CALL: MON, MailKind.REMIND_DISSATISFIED: MON}
    )
    assert plan(done, CAL, POLICY) == []


def test_r06_promise_reminds_at_the_promised_time_unless_kept():
    due = local(2026, 12, 3, 9)
    v = view(
        CaseState.ACTIVE,
        promise_due=due,
        promise_made_at=MON,
        promise_words="I will update you by Thursday",
    )
    (d,) = plan(v, CAL, POLICY)
    assert (
        d.kind == MailKind.REMIND_PROMISE
        and d.rule == "R06"
        and d.due_at == due
        and "Thursday" in d.reason
    )
    kept = replace(v, last_outbound_at=MON + timedelta(days=1))
    assert plan(kept, CAL, POLICY) == []


def test_r09_voicemail_drafts_the_email_with_next_steps_and_it_counts_as_the_follow_up():
    call = local(2026, 12, 1, 11)
    v = view(CaseState.WAITING_INFO, last_call="voicemail", last_call_at=call)
    ds = plan(v, CAL, POLICY)
    assert (
        kinds(ds)[0] == MailKind.VOICEMAIL_FOLLOWUP and ds[0].rule == "R09" and ds[0].due_at == call
    )
    drafted = replace(v, planned_at={MailKind.VOICEMAIL_FOLLOWUP: call})
    assert MailKind.VOICEMAIL_FOLLOWUP not in kinds(plan(drafted, CAL, POLICY))


def test_r22_collaboration_gets_no_strikes_only_a_reminder_to_confirm_with_the_owner():
    from mailbot.domain.policy.types import SentNudge

    nudges = (SentNudge(MailKind.FOLLOWUP_INFO, local(2026, 12, 3, 10)),)
    v = view(CaseState.WAITING_INFO, nudges_in_phase=nudges, collaboration=True)
    (d,) = plan(v, CAL, POLICY)
    assert d.kind == MailKind.REMIND_COLLAB_OWNER and d.rule == "R22"
    assert (
        plan(replace(v, kinds_in_phase=frozenset({MailKind.REMIND_COLLAB_OWNER})), CAL, POLICY)
        == []
    )
    assert kinds(plan(replace(v, collaboration=False), CAL, POLICY)) == [MailKind.STRIKE_1]


def test_r05_phone_preference_turns_the_follow_up_into_a_call_reminder_then_email():
    v = view(CaseState.WAITING_INFO, contact_preference="phone")
    (d,) = plan(v, CAL, POLICY)
    assert d.kind == MailKind.REMIND_CALL and d.rule == "R05"
    reminded_at = d.due_at
    (email,) = plan(replace(v, planned_at={MailKind.REMIND_CALL: reminded_at}), CAL, POLICY)
    assert email.kind == MailKind.FOLLOWUP_INFO and email.due_at == CAL.add_business_days(
        reminded_at, 1
    )
    assert "R05" in email.reason
