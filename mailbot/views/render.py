"""Tables for people (rich). The same dicts go out as ``--json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from mailbot.domain.calendar import BusinessCalendar


def _local(cal: BusinessCalendar, iso: str | None) -> str:
    return f"{cal.local(datetime.fromisoformat(iso)):%a %d %b %H:%M}" if iso else "-"


def cases_table(rows: list[dict[str, Any]], cal: BusinessCalendar) -> None:
    t = Table(title="Open cases", expand=False)
    for col in ("case", "state", "silence (bd)", "next", "when", "why"):
        t.add_column(col, overflow="fold")
    for r in rows:
        n = r["next"] or {}
        t.add_row(
            r["number"],
            r["state"],
            f"{r['silence_business_days']:.1f}",
            f"{n.get('action', '-')} {n.get('rule', '')}".strip(),
            _local(cal, n.get("when")),
            n.get("reason", "nothing owed: waiting for you or the customer"),
        )
    Console().print(t)


def case_view(d: dict[str, Any], cal: BusinessCalendar) -> None:
    con = Console()
    con.print(f"[bold]Case {d['number']}[/bold]  {d['subject']}")
    con.print(
        f"state: {d['state']}   silence: {d['silence_business_days']:.1f} business days   customer: {d['customer'] or '-'}"
    )
    n = d["next"]
    if n:
        con.print(f"next: {n['action']} ({n['rule']}) {_local(cal, n['when'])}: {n['reason']}")
    t = Table(title="Timeline")
    for col in ("when", "what", "rule", "reason"):
        t.add_column(col, overflow="fold")
    for e in d["timeline"]:
        t.add_row(_local(cal, e["at"]), e["kind"], e["rule"] or "", e["reason"])
    con.print(t)


def plan_table(items: list[dict[str, Any]], cal: BusinessCalendar) -> None:
    t = Table(title="Plan")
    for col in ("when", "case", "action", "rule", "why"):
        t.add_column(col, overflow="fold")
    for i in items:
        t.add_row(_local(cal, i["when"]), i["case"], i["action"], i["rule"], i["reason"])
    Console().print(t)
