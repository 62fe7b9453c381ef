"""Is mailbot keeping up? When each cycle step last finished well, kept in the data
directory so that the daemon's ``/healthz``, ``mailbot status`` (for cron users) and a
later process all read the same answer.

A step that fails (the mailbox unreachable, the database down) does not move its time;
the daemon is healthy while sync and release both finished well recently: within three
poll intervals plus a minute. The file is small JSON written whole (a temporary file
renamed over it), owner-only; a missing or unreadable file means "no good cycle yet"."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from mailbot import clock

FILE = "health.json"
WATCHED_STEPS = ("sync", "release")  # both must be recent for a healthy daemon


def _path(data_dir: Path) -> Path:
    return data_dir / FILE


def read(data_dir: Path) -> dict[str, dict[str, str]]:
    try:
        doc = json.loads(_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _write(data_dir: Path, doc: dict) -> None:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _path(data_dir).with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    os.replace(tmp, _path(data_dir))


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


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    age_seconds: float | None  # since the oldest of the watched steps last finished well
    limit_seconds: float
    why: str


def verdict(data_dir: Path, poll_seconds: int) -> Verdict:
    limit = timedelta(seconds=3 * poll_seconds + 60)
    doc = read(data_dir)
    now = clock.now()
    ages = []
    for step in WATCHED_STEPS:
        raw = (doc.get(step) or {}).get("last_ok")
        if not raw:
            return Verdict(False, None, limit.total_seconds(), f"no good {step} step yet")
        ages.append((now - datetime.fromisoformat(raw), step))
    age, step = max(ages)
    if age > limit:
        error = (doc.get(step) or {}).get("last_error") or "it has not run"
        return Verdict(
            False,
            age.total_seconds(),
            limit.total_seconds(),
            f"the last good {step} step was {int(age.total_seconds())} s ago: {error}",
        )
    return Verdict(True, age.total_seconds(), limit.total_seconds(), "ok")
