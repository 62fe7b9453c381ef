"""``mailbot cases`` and ``mailbot case N`` on SQLite without SQLAlchemy: the standard
library's ``sqlite3``, the settings from the config snapshot (:mod:`mailbot.snapshot`),
and the same :mod:`mailbot.views.facts` functions the full path uses, so the output is
the same, byte for byte (tests/integration/test_lean_views.py compares the two).

Every function returns None when it cannot answer as the full path would (no snapshot,
not SQLite, no database file yet, a schema that is not the newest:
:func:`mailbot.store.lite.connect`): the caller then
takes the full path, which also keeps its error messages and its migrations."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, datetime, time
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from mailbot.domain.kinds import OPEN_OUTBOX_STATES
from mailbot.store.lite import instant
from mailbot.views import facts

if TYPE_CHECKING:
    from mailbot.domain.calendar import BusinessCalendar

_TIMES = {
    "opened_at",
    "last_contact_at",
    "paused_until",
    "retry_at",
    "next_due_at",
    "due_at",
    "send_at",
    "sent_at",
    "updated_at",
    "at",
}


def calendar(settings: dict[str, Any]) -> BusinessCalendar:
    """The business calendar of the snapshot's settings (built only when a case is
    shown: an empty list needs no calendar, nor its imports)."""
    from zoneinfo import ZoneInfo

    from mailbot.domain.calendar import BusinessCalendar

    c = settings["calendar"]
    known = settings.get("holidays") or None  # the snapshot's; else the package is asked
    return BusinessCalendar(
        ZoneInfo(c["timezone"]),
        frozenset(c["workdays"]),
        time.fromisoformat(c["start"]),
        time.fromisoformat(c["end"]),
        c["country"],
        c["subdivision"],
        frozenset(date.fromisoformat(d) for d in c["extra_days_off"]),
        {date.fromisoformat(d): name for d, name in known["days"].items()} if known else None,
        (known["years"][0], known["years"][1]) if known else None,
    )


def _rows(conn: sqlite3.Connection, sql: str, cols: tuple[str, ...], *args: Any) -> list[Any]:
    times = [i for i, c in enumerate(cols) if c in _TIMES]
    out = []
    for raw in conn.execute(sql, args):
        values = list(raw)
        for i in times:
            values[i] = instant(values[i])
        out.append(SimpleNamespace(**dict(zip(cols, values, strict=True))))
    return out


def _select(cols: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in cols)


_OPEN = ", ".join(f"'{s}'" for s in sorted(OPEN_OUTBOX_STATES))


def open_cases(
    conn: sqlite3.Connection, settings: dict[str, Any], now: datetime
) -> tuple[list[dict[str, Any]], BusinessCalendar | None]:
    """As :func:`mailbot.views.data.open_cases`: the same two queries, in SQL; and the
    calendar the rows were computed with (None when there are none)."""
    cases = _rows(
        conn,
        f"SELECT {_select(facts.SUMMARY_COLUMNS)} FROM cases WHERE state != 'closed' "
        "ORDER BY opened_at, number",
        facts.SUMMARY_COLUMNS,
    )
    rows: dict[int, list[Any]] = defaultdict(list)
    if cases:
        for r in _rows(
            conn,
            f"SELECT {_select(facts.OUTBOX_COLUMNS)} FROM outbox WHERE state IN ({_OPEN}) "
            "AND case_id IS NOT NULL ORDER BY id",
            facts.OUTBOX_COLUMNS,
        ):
            rows[r.case_id].append(r)
    if not cases:
        return [], None
    cal = calendar(settings)
    awaiting = settings["awaiting_approval"]
    return [facts.summary(cal, awaiting, c, now, rows[c.id]) for c in cases], cal


def case_detail(
    conn: sqlite3.Connection, settings: dict[str, Any], number: str, now: datetime
) -> tuple[dict[str, Any] | None, BusinessCalendar | None]:
    """As :func:`mailbot.views.data.case_detail`; and the calendar used."""
    found = _rows(
        conn,
        f"SELECT {_select(facts.SUMMARY_COLUMNS)} FROM cases WHERE number = ?",
        facts.SUMMARY_COLUMNS,
        number,
    )
    if not found:
        return None, None
    case = found[0]
    cal = calendar(settings)
    rows = _rows(
        conn,
        f"SELECT {_select(facts.OUTBOX_COLUMNS)} FROM outbox WHERE case_id = ? ORDER BY id",
        facts.OUTBOX_COLUMNS,
        case.id,
    )
    data = facts.summary(cal, settings["awaiting_approval"], case, now, rows)
    events = _rows(
        conn,
        f"SELECT {_select(facts.EVENT_COLUMNS)} FROM events WHERE case_id = ? ORDER BY at, id",
        facts.EVENT_COLUMNS,
        case.id,
    )
    data["timeline"] = facts.timeline(events)
    data["outbox"] = facts.outbox(rows)
    return data, cal
