"""``mailbot db backup FILE``: a consistent copy of the SQLite database while mailbot
runs, through SQLite's online backup API (pages copied under SQLite's own locking, so
a daemon writing meanwhile is no problem). For PostgreSQL the tool is ``pg_dump``
(README): it already does this job well, and mailbot does not wrap it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class BackupRefused(Exception):
    """Nothing was written: the reason is the message."""


def backup(database_url: str, target: str) -> str:
    if not database_url.startswith("sqlite:///"):
        raise BackupRefused(
            "mailbot db backup copies SQLite databases; for PostgreSQL run "
            "pg_dump --format=custom --file=FILE DBNAME (and pg_restore to restore)"
        )
    source = Path(database_url[len("sqlite:///") :]).expanduser()
    if not source.is_file():
        raise BackupRefused(f"no database at {source} yet: nothing to back up")
    out = Path(target).expanduser()
    if out.exists():
        raise BackupRefused(f"{out} exists: choose a new file (a backup never overwrites)")
    partial = out.with_name(f".{out.name}.partial")
    try:
        check = _copy(source, partial)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)  # no stray copy of the case data
        raise BackupRefused(
            f"the copy failed ({type(exc).__name__}: {exc}); nothing written"
        ) from None
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"the copy failed its integrity check ({check}); nothing written")
    os.replace(partial, out)
    return (
        f"backup written to {out} (restore: stop mailbot, delete {source.name}-wal and "
        f"{source.name}-shm beside the database if they are there, then copy it over {source})"
    )


def _copy(source: Path, partial: Path) -> str:
    """Copy page by page under SQLite's locking; returns the integrity check's verdict."""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # owner-only
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            (check,) = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
    finally:
        src.close()
    return str(check)
