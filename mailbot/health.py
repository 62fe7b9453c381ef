"""Is mailbot keeping up? When each cycle step last finished well, kept in the data
directory so that the daemon's ``/healthz``, ``mailbot status`` (for cron users) and a
later process all read the same answer.

A step that fails (the mailbox unreachable, the database down) does not move its time;
mailbot is healthy while sync and release both finished well recently: within three
poll intervals plus a minute, and never less than 11 minutes, so that a cron tick every
5 minutes (the README's line) is healthy too. A last good step in the future (the clock
went back, or a rehearsal with ``MAILBOT_NOW`` wrote here) is not trusted. The file is
small JSON written whole (a temporary file renamed over it), owner-only; a missing,
unreadable or damaged file means "no good cycle yet"."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from mailbot import clock

FILE = "health.json"
WATCHED_STEPS = ("sync", "release")  # both must be recent for a healthy daemon


def _path(data_dir: Path) -> Path:
    return data_dir / FILE


def read(data_dir: Path) -> dict[str, dict[str, str]]:
    """Each step's entry; entries that are not what :func:`mark` writes are left out."""
    try:
        doc = json.loads(_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    return {
        step: {k: v for k, v in entry.items() if isinstance(v, str)}
        for step, entry in doc.items()
        if isinstance(entry, dict)
    }


def _instant(raw: str | None) -> datetime | None:
    try:
        when = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def _write(data_dir: Path, doc: dict) -> None:
    from mailbot.files import write_private_json

    write_private_json(_path(data_dir), doc)


def mark(data_dir: Path, step: str, ok: bool, error: str | None = None) -> None:
    """Record how a step ended (under the cycle lock, so writers never interleave)."""
    doc = read(data_dir)
    entry = doc.get(step) if isinstance(doc.get(step), dict) else {}
    now = clock.now().isoformat()
    if ok:
        entry = {"last_ok": now}
    else:
        entry = {**entry, "last_error_at": now, "last_error": (error or "")[:300]}
    doc[step] = entry
    _write(data_dir, doc)


class Verdict(NamedTuple):
    healthy: bool
    age_seconds: float | None  # since the oldest of the watched steps last finished well
    limit_seconds: float
    why: str


MIN_LIMIT = timedelta(minutes=11)  # two 5-minute cron ticks and a minute
FUTURE_SLACK = timedelta(minutes=1)


def verdict(data_dir: Path, poll_seconds: int) -> Verdict:
    limit = max(timedelta(seconds=3 * poll_seconds + 60), MIN_LIMIT)
    seconds = limit.total_seconds()
    doc = read(data_dir)
    now = clock.now()
    ages = []
    for step in WATCHED_STEPS:
        last_ok = _instant(doc.get(step, {}).get("last_ok"))
        if last_ok is None:
            return Verdict(False, None, seconds, f"no good {step} step yet")
        if last_ok - now > FUTURE_SLACK:
            return Verdict(
                False,
                None,
                seconds,
                f"the last good {step} step is dated {last_ok:%Y-%m-%d %H:%M} UTC, in the "
                "future (the clock went back, or a rehearsal wrote here)",
            )
        ages.append((now - last_ok, step))
    age, step = max(ages)
    if age > limit:
        error = doc.get(step, {}).get("last_error")
        why = f"; the last failure: {error}" if error else ""
        return Verdict(
            False,
            age.total_seconds(),
            seconds,
            f"no good {step} step for {int(age.total_seconds())} s{why}",
        )
    return Verdict(True, age.total_seconds(), seconds, "ok")
