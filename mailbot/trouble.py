"""One case never stops another. A step that fails for one case (planning, rendering,
saving a draft, sending) is caught at that case's boundary: the case is flagged with
what failed (shown in ``mailbot cases``), the engineer gets one reminder per episode,
and the step is retried for that case after a growing back-off, while every other case
goes on. The reason names the step and the kind of error, never message content."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.domain.kinds import MailKind
from mailbot.domain.policy import Decision
from mailbot.store.models import Case
from mailbot.store.repo import record

log = structlog.get_logger("mailbot.trouble")
FIRST_RETRY = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=6)


def backoff(count: int) -> timedelta:
    """5 minutes, then doubling, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(count - 1, 0)), LONGEST_WAIT)


def describe(step: str, exc: BaseException) -> str:
    """What failed, in words that carry no message content."""
    return f"{step} failed ({type(exc).__name__})"[:300]


def flag(app: App, s: Session, case_id: int | None, why: str, now: datetime) -> datetime:
    """Record the failure on its case (in the caller's fresh transaction) and return when
    to try again. The first failure of an episode plans one reminder to the engineer."""
    if case_id is None:
        log.warning("step failed", why=why)
        return now + FIRST_RETRY
    case = s.get(Case, case_id)
    if case is None:
        return now + FIRST_RETRY
    first = case.trouble is None
    case.trouble_count = (case.trouble_count or 0) + 1
    case.trouble, case.trouble_at = why, now
    case.retry_at = now + backoff(case.trouble_count)
    log.warning("case step failed", case=case.number, why=why, retry=str(case.retry_at))
    record(
        s,
        case.id,
        now,
        "trouble",
        f"{why}; other cases go on; tried again after {app.calendar.local(case.retry_at):%a %d %b %H:%M}",
    )
    if first:
        from mailbot.outbound.outbox import plan_row

        plan_row(
            app,
            s,
            case,
            Decision(MailKind.REMIND_TROUBLE, "R26", why, now, {"trouble": why}),
            now,
        )
    return case.retry_at


def clear(s: Session, case: Case, now: datetime) -> None:
    """A step that failed before went through: the episode is over."""
    if case.trouble is None:
        return
    record(s, case.id, now, "recovered", f"working again after: {case.trouble}")
    case.trouble = case.trouble_at = case.retry_at = None
    case.trouble_count = 0
