"""What ``mailbot status`` prints and the daemon's metrics report: counts from the
database (a handful of grouped queries, whatever the size) and the health verdict."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from mailbot import health
from mailbot.app import App
from mailbot.domain.kinds import CaseState, MailKind, OutboxState
from mailbot.store.models import Case, MailItem, Outbox, Quarantine


def figures(app: App) -> dict[str, Any]:
    with app.sessions() as s:
        ingested: dict[tuple[str, str], int] = {}
        auto = MailItem.automatic.is_not(None)
        rows = s.execute(
            select(MailItem.folder, MailItem.direction, auto, func.count()).group_by(
                MailItem.folder, MailItem.direction, auto
            )
        )
        for folder, direction, automatic, n in rows:
            kind = "automatic" if automatic else (direction or "other")
            ingested[(folder, kind)] = ingested.get((folder, kind), 0) + n
        outbox = {
            (kind, state): n
            for kind, state, n in s.execute(
                select(Outbox.kind, Outbox.state, func.count()).group_by(Outbox.kind, Outbox.state)
            )
        }
        quarantined = s.scalar(
            select(func.count()).select_from(Quarantine).where(Quarantine.dropped_at.is_(None))
        )
        open_cases = s.scalar(
            select(func.count()).select_from(Case).where(Case.state != CaseState.CLOSED)
        )
        waiting = (
            select(Outbox.case_id)
            .where(
                Outbox.audience == "customer",
                or_(
                    Outbox.state == OutboxState.DRAFTED,
                    (Outbox.state == OutboxState.SCHEDULED) & Outbox.blocked_reason.is_not(None),
                ),
            )
            .scalar_subquery()
        )
        blocked = s.scalar(
            select(func.count())
            .select_from(Case)
            .where(
                Case.state != CaseState.CLOSED,
                or_(Case.trouble.is_not(None), Case.id.in_(waiting)),
            )
        )

    def by_state(state: OutboxState) -> int:
        return sum(n for (_, st), n in outbox.items() if st == state)

    verdict = health.verdict(app.settings.data_dir, app.settings.poll_seconds)
    return {
        "healthy": verdict.healthy,
        "health": verdict.why,
        "last_good_cycle_age_seconds": (
            None if verdict.age_seconds is None else round(verdict.age_seconds, 1)
        ),
        "open_cases": open_cases or 0,
        "blocked_cases": blocked or 0,
        "quarantined": quarantined or 0,
        "sent": by_state(OutboxState.SENT),
        "stale": by_state(OutboxState.STALE),
        "failed": by_state(OutboxState.FAILED),
        "unconfirmed": sum(
            n for (kind, _), n in outbox.items() if kind == MailKind.REMIND_UNCONFIRMED
        ),
        "ingested": ingested,
        "outbox": outbox,
    }


def as_json(f: dict[str, Any]) -> dict[str, Any]:
    """The figures with their grouped counts as lists (JSON has no tuple keys)."""
    return {
        **f,
        "ingested": [
            {"folder": folder, "class": kind, "count": n}
            for (folder, kind), n in sorted(f["ingested"].items())
        ],
        "outbox": [
            {"kind": kind, "state": state, "count": n}
            for (kind, state), n in sorted(f["outbox"].items())
        ],
    }
