"""The count a follow-up template says "again" by, for a batch of drafts at once: only
mail of the same kind, to the same case, sent in the case's current phase."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from mailbot.domain.kinds import CaseState, MailKind, OutboxState
from mailbot.outbound.outbox import _attempts
from mailbot.store.models import Case, Outbox

PHASE = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _case(s, n: int, phase: datetime) -> Case:  # type: ignore[no-untyped-def]
    case = Case(
        number=f"26120100000000{n:02d}",
        subject="Pipeline fails",
        state=CaseState.SOLUTION_DELIVERED,
        customer_name="Kim",
        customer_email="kim@fabrikam.example",
        customer_cc=[],
        premier=False,
        opened_at=phase - timedelta(days=10),
        phase_started_at=phase,
        last_contact_at=phase,
        customer_messages=1,
        updated_at=phase,
    )
    s.add(case)
    s.flush()
    return case


def _row(s, case: Case, kind: MailKind, state: OutboxState, sent_at=None) -> Outbox:  # type: ignore[no-untyped-def]
    row = Outbox(
        key=uuid.uuid4().hex,
        case_id=case.id,
        kind=kind.value,
        audience="customer",
        rule="R10",
        reason="r",
        state=state,
        subject="RE: x",
        recipients={"to": ["kim@fabrikam.example"], "cc": []},
        facts={},
        due_at=PHASE,
        sent_at=sent_at,
        created_at=PHASE,
        updated_at=PHASE,
    )
    s.add(row)
    s.flush()
    return row


def test_each_row_counts_its_own_case_kind_and_phase(app):
    f, s2 = MailKind.FOLLOWUP_SOLUTION, MailKind.STRIKE_2
    with app.sessions() as s:
        a, b = _case(s, 1, PHASE), _case(s, 2, PHASE + timedelta(days=3))
        for sent in (PHASE + timedelta(days=1), PHASE + timedelta(days=2), PHASE):
            _row(s, a, f, OutboxState.SENT, sent)  # all three in a's phase (the start counts)
            _row(s, b, f, OutboxState.SENT, sent)  # none in b's phase
        _row(s, a, f, OutboxState.SENT, PHASE - timedelta(seconds=1))  # the phase before
        _row(s, a, f, OutboxState.SCHEDULED)  # not sent
        _row(s, a, s2, OutboxState.SENT, PHASE + timedelta(days=1))
        _row(s, b, f, OutboxState.SENT, PHASE + timedelta(days=4))
        planned = [
            _row(s, a, f, OutboxState.PLANNED),
            _row(s, a, s2, OutboxState.PLANNED),
            _row(s, b, f, OutboxState.PLANNED),
            _row(s, b, s2, OutboxState.PLANNED),
            _row(s, a, MailKind.STRIKE_1, OutboxState.PLANNED),  # its template does not count
        ]
        s.commit()
        got = _attempts(s, planned)
        assert got == {planned[0].id: 4, planned[1].id: 2, planned[2].id: 2, planned[3].id: 1}
        assert _attempts(s, [planned[2]]) == {planned[2].id: 2}  # alone, as a retry asks
        assert _attempts(s, [planned[4]]) == {}
