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


def _timestamp(_logger: object, _name: str, event: dict) -> dict:
    """Stamp from the one clock (:mod:`mailbot.clock`), so a rehearsal's log lines carry
    the rehearsal's time, never the real time of day mixed with a simulated date."""
    from mailbot import clock

    event["timestamp"] = clock.now().isoformat().replace("+00:00", "Z")
    return event


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
            _timestamp,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            getattr(logging, level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),
        cache_logger_on_first_use=False,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
