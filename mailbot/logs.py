"""structlog setup: readable on a terminal, JSON lines otherwise (for journald, files).

Log lines carry ids, case numbers, kinds and counts. Never bodies, names, addresses,
or secrets (R28): callers pass only such fields."""

from __future__ import annotations

import logging
import sys

import structlog


class _Stderr:
    """sys.stderr looked up at each write (it may be replaced after configuration)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure(level: str = "INFO", json: bool | None = None) -> None:
    if json is None:
        json = not sys.stderr.isatty()
    renderer = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            getattr(logging, level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),
        cache_logger_on_first_use=False,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
