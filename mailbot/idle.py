"""The idle ``mailbot tick``: when a full cycle could do nothing, say so in a few
milliseconds instead of importing the whole service (a cron tick every minute or five
is idle almost always).

After each full cycle of ``mailbot tick`` (Maildir mailbox, SQLite) :func:`remember`
writes ``idle-state.json`` to the data directory: the mtimes of the ``new/`` and
``cur/`` directories of every Maildir folder as they were when the cycle *began*
(anything delivered, moved, flagged or deleted later changes one of them), the next
instant at which any timer could make a cycle act, a token of the database's
wake-relevant contents, the config snapshot's fingerprint and mailbot's version.

:func:`try_idle_tick` then takes the fast path only when all of these hold, under the
cycle lock: the config snapshot is still true and is the one the state was made
under; same mailbot version; the schema is the newest (one query); the last full
cycle was less than :data:`FULL_EVERY` ago (a safety net against a wake source this
module does not know of); the next wake has not come; no folder changed; the
database's token is unchanged (a signal recorded with ``mailbot case N mark``, a
quarantine retry, or a daemon's step in between all change it). If in doubt, the full
cycle runs. Directory mtimes that were less than two seconds old when read are not
trusted (a coarse file system clock could hide a second change in the same tick); the
next tick then runs in full.

The wake sources (read from mailbot/cycle.py and mailbot/outbound/outbox.py): a case's
``next_due_at`` (held back by its ``retry_at``), a case left to fold (``needs_fold``),
an unapplied signal, a planned outbox row (``retry_at``), an approved row, a scheduled
row's ``send_at`` (holds for R13, R15, R23 and rate limits move it), a row left
``sending``, a closed case's retention purge (``closed_at`` plus the retention days) and
the weekly summary's time. Pauses, holds, reminders of waiting drafts and the R12
closure date all reach the cycle through ``next_due_at`` or ``send_at``.

Only the standard library is imported on the fast path; :func:`remember` runs after a
full cycle, in a process that has everything loaded anyway."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mailbot.store.lite import instant

FILE = "idle-state.json"
FORMAT = 1
FULL_EVERY = timedelta(minutes=60)  # a full cycle at least this often, whatever the state says
SLACK_NS = 2_000_000_000  # directory mtimes younger than this are not trusted

# One read of everything a cycle's decisions depend on that a process other than the
# cycle may change: equal tokens mean the database holds what the last full cycle left.
TOKEN_SQL = """
SELECT
 (SELECT max(id) FROM events),
 (SELECT count(*) FROM cases),
 (SELECT max(updated_at) FROM cases),
 (SELECT total(julianday(next_due_at)) FROM cases),
 (SELECT total(julianday(retry_at)) FROM cases),
 (SELECT count(*) FROM cases WHERE needs_fold),
 (SELECT group_concat(state) FROM (SELECT state || ':' || count(*) AS state FROM cases
    GROUP BY state ORDER BY 1)),
 (SELECT max(id) FROM outbox),
 (SELECT max(updated_at) FROM outbox),
 (SELECT total(julianday(send_at)) FROM outbox),
 (SELECT total(julianday(retry_at)) FROM outbox),
 (SELECT group_concat(state) FROM (SELECT state || ':' || count(*) AS state FROM outbox
    GROUP BY state ORDER BY 1)),
 (SELECT max(id) FROM signals),
 (SELECT count(*) FROM signals WHERE applied_at IS NULL),
 (SELECT max(id) FROM quarantine),
 (SELECT total(retries) FROM quarantine),
 (SELECT count(dropped_at) FROM quarantine),
 (SELECT max(id) FROM mail_items),
 (SELECT max(updated_at) FROM sync_states)
"""


def _folder_dirs(root: Path, folders: list[str]) -> dict[str, Path]:
    """The Maildir++ folders: the root (INBOX), the configured ones (present or not)
    and every other folder present (a Trash a draft may be deleted into)."""
    dirs = {"INBOX": root}
    for name in folders:
        if name.upper() != "INBOX":
            dirs[name] = root / ("." + name.replace("/", "."))
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if entry.name.startswith(".") and entry.is_dir():
                    dirs.setdefault(entry.name, Path(entry.path))
    except OSError:
        pass
    return dirs


def stamps(root: Path, folders: list[str]) -> dict[str, Any] | None:
    """The mtimes of every folder's ``new/`` and ``cur/`` (None for one missing), or
    None when they cannot be trusted (too recent for the file system's clock, or the
    Maildir is not there)."""
    out: dict[str, int | None] = {}
    for name, base in sorted(_folder_dirs(root, folders).items()):
        for sub in ("new", "cur"):
            try:
                out[f"{name}/{sub}"] = os.stat(base / sub).st_mtime_ns
            except FileNotFoundError:
                out[f"{name}/{sub}"] = None
    probe = root / "tmp" / ".mailbot-clock"
    try:
        probe.touch()
        fs_now = probe.stat().st_mtime_ns
    except OSError:
        return None
    if any(v is not None and fs_now - v <= SLACK_NS for v in out.values()):
        return None
    return out


def token(conn: sqlite3.Connection) -> list[Any]:
    return list(conn.execute(TOKEN_SQL).fetchone())


def _wake(conn: sqlite3.Connection, now: datetime, retention_days: int) -> datetime | None:
    """The earliest instant a timer in the database makes a cycle act (``now`` when
    something waits already; None when no timer is set)."""
    found: list[datetime] = []
    q = conn.execute
    due = q(
        "SELECT min(CASE WHEN retry_at IS NOT NULL AND retry_at > next_due_at THEN retry_at "
        "ELSE next_due_at END) FROM cases WHERE next_due_at IS NOT NULL AND state != 'closed'"
    ).fetchone()[0]
    if due is not None:
        found.append(instant(due))  # type: ignore[arg-type]
    waiting = q(
        "SELECT (SELECT count(*) FROM cases WHERE needs_fold) "
        "+ (SELECT count(*) FROM signals WHERE applied_at IS NULL) "
        "+ (SELECT count(*) FROM outbox WHERE state IN ('sending', 'approved')) "
        "+ (SELECT count(*) FROM outbox WHERE state = 'planned' AND retry_at IS NULL) "
        "+ (SELECT count(*) FROM outbox WHERE state = 'scheduled' AND send_at IS NULL)"
    ).fetchone()[0]
    if waiting:
        found.append(now)
    for sql in (
        "SELECT min(retry_at) FROM outbox WHERE state = 'planned'",
        "SELECT min(send_at) FROM outbox WHERE state = 'scheduled'",
    ):
        at = q(sql).fetchone()[0]
        if at is not None:
            found.append(instant(at))  # type: ignore[arg-type]
    closed = q(
        "SELECT min(closed_at) FROM cases WHERE state = 'closed' AND purged_at IS NULL"
    ).fetchone()[0]
    if closed is not None:
        found.append(instant(closed) + timedelta(days=retention_days))  # type: ignore[operator]
    return min(found) if found else None


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE


def forget(data_dir: Path) -> None:
    with contextlib.suppress(OSError):
        state_path(data_dir).unlink()


def remember(app: Any, config_path: str, before: dict[str, Any] | None) -> None:
    """After a full cycle of ``mailbot tick``: what the next tick needs to know that
    nothing changed. ``before`` are the folder stamps read before the cycle began."""
    from mailbot import __version__, clock, snapshot
    from mailbot.cycle import exclusive
    from mailbot.files import write_private_json
    from mailbot.reports.schedule import scheduled_at
    from mailbot.store.lite import sqlite_path

    s = app.settings
    data_dir = s.data_dir
    fingerprint = snapshot.fingerprint_id(config_path)
    db = sqlite_path(s.database_url)
    if before is None or fingerprint is None or db is None or s.mailbox.kind != "maildir":
        forget(data_dir)
        return
    with exclusive(app):
        now = clock.now()
        conn = sqlite3.connect(db, timeout=30)
        try:
            conn.execute("BEGIN")  # one consistent read of the timers and the token
            wake = _wake(conn, now, s.policy.retention_days_after_closure)
            tok = token(conn)
            conn.rollback()
        finally:
            conn.close()
        if s.summary_enabled and s.summary_recipients:
            at = scheduled_at(app, now)
            at = at if now < at else scheduled_at(app, at + timedelta(days=7))
            wake = min(filter(None, [wake, at]))
        write_private_json(
            state_path(data_dir),
            {
                "format": FORMAT,
                "mailbot": __version__,
                "config": fingerprint,
                "full_at": now.isoformat(),
                "next_wake": wake.isoformat() if wake else None,
                "stamps": before,
                "token": tok,
            },
        )


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """The cycle lock (mailbot.cycle.exclusive takes the same ``flock`` through the
    filelock package, whose import alone costs more than this whole path)."""
    import fcntl

    path = Path(data_dir) / ".mailbot.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def folders_of(settings: dict[str, Any]) -> list[str]:
    return list(settings.get("folders") or [])


def before_cycle(settings: dict[str, Any] | None) -> dict[str, Any] | None:
    """The folder stamps to remember, read before a full cycle starts."""
    if not settings or settings.get("mailbox_kind") != "maildir" or not settings["maildir_path"]:
        return None
    return stamps(Path(settings["maildir_path"]), folders_of(settings))


def try_idle_tick(settings: dict[str, Any], config_path: str) -> bool:
    """Record an idle cycle and return True when a full cycle could do nothing; False
    when the full cycle must run (also when anything here goes wrong: the full path
    then meets the same problem and reports it as it always has)."""
    try:
        when = _idle(settings, config_path)
    except (OSError, ValueError, KeyError, TypeError, sqlite3.Error):
        return False
    if when is None:
        return False
    _log(when)
    return True


def _idle(settings: dict[str, Any], config_path: str) -> datetime | None:
    """The instant of the idle cycle recorded, or None when a full cycle must run."""
    from mailbot import __version__, clock, health, snapshot
    from mailbot.store.lite import connect

    if os.name != "posix" or settings.get("mailbox_kind") != "maildir":
        return None
    data_dir = Path(settings["data_dir"])
    state = json.loads(state_path(data_dir).read_text(encoding="utf-8"))
    if (
        not isinstance(state, dict)
        or state.get("format") != FORMAT
        or state.get("mailbot") != __version__
        or state.get("config") != snapshot.fingerprint_id(config_path)
        or state.get("stamps") is None
    ):
        return None
    conn = connect(settings.get("database_url"))  # None unless the schema is the newest
    if conn is None:
        return None
    try:
        with _locked(data_dir):
            now = clock.now()
            full_at = datetime.fromisoformat(state["full_at"])
            if not full_at <= now < full_at + FULL_EVERY:
                return None
            wake = state.get("next_wake")
            if wake is not None and now >= datetime.fromisoformat(wake):
                return None
            current = before_cycle(settings)
            if current is None or current != state["stamps"]:
                return None
            if token(conn) != state["token"]:
                return None
            for step in ("sync", "evaluate", "release"):
                health.mark(data_dir, step, True)
    finally:
        conn.close()
    return now


def _log(now: datetime) -> None:
    """One line, shaped as mailbot.logs writes them (structlog is not loaded here)."""
    stamp = now.isoformat().replace("+00:00", "Z")
    if sys.stderr.isatty():
        print(f"{stamp} [info     ] idle tick                      cycle=skipped", file=sys.stderr)
    else:
        line = {"event": "idle tick", "cycle": "skipped", "level": "info", "timestamp": stamp}
        print(json.dumps(line), file=sys.stderr)
