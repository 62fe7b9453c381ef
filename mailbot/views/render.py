"""Tables for people. The same dicts go out as ``--json``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailbot.views.table import render_table

if TYPE_CHECKING:  # for annotations only: this module is on the fast path
    from mailbot.domain.calendar import BusinessCalendar


def _local(cal: BusinessCalendar, iso: str | None) -> str:
    return f"{cal.local(datetime.fromisoformat(iso)):%a %d %b %H:%M}" if iso else "-"


def _paused(r: dict[str, Any], cal: BusinessCalendar, now: datetime | None) -> str:
    """ "paused until …: why" while a pause (out-of-office, Pause signal) holds the case."""
    until = r.get("paused_until")
    if not until or (now is not None and datetime.fromisoformat(until) <= now):
        return ""
    return f"paused until {_local(cal, until)}: {r.get('pause_why') or 'paused'}"


def cases_table(
    rows: list[dict[str, Any]], cal: BusinessCalendar, now: datetime | None = None
) -> None:
    out = []
    for r in rows:
        n = r["next"] or {}
        why = n.get("reason", "nothing owed: waiting for you or the customer")
        if paused := _paused(r, cal, now):
            why = f"{paused}. {why}"
        if r.get("blocked"):
            why = f"BLOCKED: {r['blocked']}. {why}"
        out.append(
            (
                r["number"],
                r["state"],
                f"{r['silence_business_days']:.1f}",
                f"{n.get('action', '-')} {n.get('rule', '')}".strip(),
                _local(cal, n.get("when")),
                why,
            )
        )
    print(render_table("Open cases", ("case", "state", "silence (bd)", "next", "when", "why"), out))


def case_view(d: dict[str, Any], cal: BusinessCalendar, now: datetime | None = None) -> None:
    print(f"Case {d['number']}  {d['subject']}")
    print(
        f"state: {d['state']}   silence: {d['silence_business_days']:.1f} business days   customer: {d['customer'] or '-'}"
    )
    n = d["next"]
    if n:
        print(f"next: {n['action']} ({n['rule']}) {_local(cal, n['when'])}: {n['reason']}")
    if paused := _paused(d, cal, now):
        print(paused)
    if d.get("blocked"):
        print(f"blocked: {d['blocked']}")
    rows = [(_local(cal, e["at"]), e["kind"], e["rule"] or "", e["reason"]) for e in d["timeline"]]
    print(render_table("Timeline", ("when", "what", "rule", "reason"), rows))


def plan_table(items: list[dict[str, Any]], cal: BusinessCalendar) -> None:
    rows = [(_local(cal, i["when"]), i["case"], i["action"], i["rule"], i["reason"]) for i in items]
    print(render_table("Plan", ("when", "case", "action", "rule", "why"), rows))
