"""The one source of "now".

Everything that needs the current time calls :func:`now`. Tests travel in time with
time-machine (which moves ``datetime.now``); the demo installs a simulated clock with
:func:`use` so it can run five weeks in seconds without touching the process clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current instant, always timezone-aware UTC."""
    if _source is not None:
        return _source()
    return datetime.now(UTC)


def use(source: Callable[[], datetime] | None) -> None:
    """Install (or with ``None`` remove) a replacement source of time."""
    global _source
    _source = source


class SimulatedClock:
    """A clock that only moves when told to: the demo's five weeks run in seconds."""

    def __init__(self, start: datetime) -> None:
        self.current = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance_to(self, when: datetime) -> None:
        when = when.astimezone(UTC)
        if when > self.current:
            self.current = when
