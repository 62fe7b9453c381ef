"""Tables for people (rich). The same dicts go out as ``--json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from mailbot.domain.calendar import BusinessCalendar


def _console() -> Console:
    con = Console()
    return con if con.is_terminal else Console(width=160)


def _add_columns(t: Table, names: tuple[str, ...]) -> None:
    for col in names:
        t.add_column(col, no_wrap=col in ("case", "when", "state"), overflow="fold")


def _local(cal: BusinessCalendar, iso: str | None) -> str:
    return f"{cal.local(datetime.fromisoformat(iso)):%a %d %b %H:%M}" if iso else "-"


def cases_table(rows: list[dict[str, Any]], cal: BusinessCalendar) -> None:
    t = Table(title="Open cases", expand=False)
    _add_columns(t, ("case", "state", "silence (bd)", "next", "when", "why", "blocked"))
    for r in rows:
        n = r["next"] or {}
        t.add_row(
            r["number"],
            r["state"],
            f"{r['silence_business_days']:.1f}",
            f"{n.get('action', '-')} {n.get('rule', '')}".strip(),
            _local(cal, n.get("when")),
            n.get("reason", "nothing owed: waiting for you or the customer"),
            r.get("blocked") or "",
        )
    _console().print(t)


def case_view(d: dict[str, Any], cal: BusinessCalendar) -> None:
    con = _console()
    con.print(f"[bold]Case {d['number']}[/bold]  {d['subject']}")
    con.print(
        f"state: {d['state']}   silence: {d['silence_business_days']:.1f} business days   customer: {d['customer'] or '-'}"
    )
    n = d["next"]
    if n:
        con.print(f"next: {n['action']} ({n['rule']}) {_local(cal, n['when'])}: {n['reason']}")
    if d.get("blocked"):
        con.print(f"[bold]blocked:[/bold] {d['blocked']}")
    t = Table(title="Timeline")
    _add_columns(t, ("when", "what", "rule", "reason"))
    for e in d["timeline"]:
        t.add_row(_local(cal, e["at"]), e["kind"], e["rule"] or "", e["reason"])
    con.print(t)


def plan_table(items: list[dict[str, Any]], cal: BusinessCalendar) -> None:
    t = Table(title="Plan")
    _add_columns(t, ("when", "case", "action", "rule", "why"))
    for i in items:
        t.add_row(_local(cal, i["when"]), i["case"], i["action"], i["rule"], i["reason"])
    _console().print(t)
