"""The SQLite database read with the standard library's ``sqlite3`` alone, for the fast
paths (an idle ``tick``, ``cases``, ``case N``): SQLAlchemy's import costs more than
those commands may take in all. Only reads happen here; every write, every migration
and every other database stays with :mod:`mailbot.store.db`."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_HEAD = "0007"  # the newest revision in migrations/ (a test keeps the two equal)


def sqlite_path(url: str | None) -> Path | None:
    """The database file of a ``sqlite:///`` URL, as the full path opens it (None for
    another database, or a URL with options a plain path does not carry)."""
    if not url or not url.startswith("sqlite:///"):
        return None
    raw = url[len("sqlite:///") :]
    if not raw or "?" in raw or raw == ":memory:":
        return None
    return Path(raw).expanduser()


def connect(url: str | None) -> sqlite3.Connection | None:
    """A connection to an existing database whose schema is the newest (one query), or
    None: the full path then creates, migrates or reports, as it always did."""
    path = sqlite_path(url)
    if path is None or not os.path.isfile(path):
        return None  # sqlite3 would create an empty file; that is the full path's job
    conn = sqlite3.connect(path, timeout=30)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        row = None
    if row is None or row[0] != SCHEMA_HEAD:
        conn.close()
        return None
    return conn


def instant(raw: str | None) -> datetime | None:
    """A stored time as :class:`mailbot.store.models.UTCDateTime` hands it back:
    aware, in UTC (SQLite holds naive UTC text)."""
    if raw is None:
        return None
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)
