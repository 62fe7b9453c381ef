"""Every failure as one line and an exit code (the CLI) or one log line (the daemon):
what failed, where, what to do. Never a traceback, never message content or secrets
(a database error is named by its kind, not by the SQL and values it carried)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 1  # a wrong argument, an unknown case number
EXIT_CONFIG = 2  # the config file is wrong (or a check found a problem)
EXIT_MAILBOX = 3  # the mailbox could not be reached, or refused
EXIT_DATABASE = 4  # the database could not be reached, or its schema cannot be upgraded
EXIT_INTERNAL = 5  # a bug in mailbot: the log has the details (MAILBOT_DEBUG=1 shows a traceback)
EXIT_UNHEALTHY = 6  # `mailbot status`: no good cycle recently (not an error of the command)
EXIT_FILES = 7  # a file or folder mailbot needs cannot be read or written (a path, rights, disk)

_FILE_FIXES = {
    "PermissionError": "give the user mailbot runs as the right to it, or change the path",
    "FileNotFoundError": "create it, or correct the path in the config",
    "NotADirectoryError": "the path names a file where a folder is expected: correct it",
    "IsADirectoryError": "the path names a folder where a file is expected: correct it",
    "FileExistsError": "a file is in the way: move it, or change the path",
}


def describe(exc: BaseException) -> tuple[int, str]:
    """(exit code, one line) for any error a command can end with."""
    from mailbot.config import ConfigError
    from mailbot.mailbox.port import MailboxError

    if isinstance(exc, ConfigError):
        return EXIT_CONFIG, f"config error: {exc}"
    if isinstance(exc, MailboxError):
        return EXIT_MAILBOX, f"mailbox: {_line(str(exc))}"
    database = _database_error(exc)
    if database:
        return EXIT_DATABASE, database
    name = type(exc).__name__
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        fix = _FILE_FIXES.get(name, "check the path, its permissions and the free disk space")
        return EXIT_FILES, f"file system: {name}{where}: {exc.strerror or exc}; {fix}"
    return EXIT_INTERNAL, f"internal error ({name}); run again with MAILBOT_DEBUG=1 for details"


def _database_error(exc: BaseException) -> str | None:
    from mailbot.store.db import SchemaError

    if isinstance(exc, SchemaError):
        return f"database: {exc}"
    try:
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        first = _line(str(orig)).split(" [SQL")[0] if orig is not None else ""
        return (
            f"database: {type(orig).__name__}: {first[:160]} "
            "(check [database] url, or [team] database_url for a team; that the server "
            "runs and the disk has room)"
        )
    if isinstance(exc, SQLAlchemyError):
        return f"database: {type(exc).__name__}"
    return None


def _line(text: str) -> str:
    return " ".join(text.split())[:300]
