"""``mailbot team check``: the team file, and the things a worker on this host needs
(the database answers, each Maildir is there, each data directory can be written), so
that an admin learns of a wrong port or a missing folder from the check, not from a
worker that logs "database unreachable" every round."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from mailbot.files import missing_maildir
from mailbot.team.config import TeamSettings
from mailbot.team.tenancy import shared_engine


def _database(team: TeamSettings) -> list[str]:
    engine = shared_engine(team.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # one line: the driver's reason, never the URL's password
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        return [f"{team.source}: [team.database_url] cannot connect: {reason}"]
    finally:
        engine.dispose()
    return []


def _writable(folder: Path) -> str | None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        return f"cannot be created: {exc.strerror}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "is not writable by this user"
    return None


def problems(team: TeamSettings) -> list[str]:
    found = _database(team)
    for eid, s in team.engineers.items():
        where = f"{team.source} [engineers.{eid}]"
        if s.mailbox.kind == "maildir" and s.mailbox.maildir_path is not None:
            root = s.mailbox.maildir_path
            if not root.is_dir():
                found.append(f"{where}: [mailbox.maildir.path] {missing_maildir(root)}")
        why = _writable(s.data_dir)
        if why:
            found.append(f"{team.source}: [team.data_dir] {s.data_dir} {why}")
    return found
