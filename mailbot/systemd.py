"""Telling systemd how a service is doing (``Type=notify``): ready, reloading,
stopping, and the watchdog's "still making progress". Used by ``mailbot run`` and
``mailbot team run``; outside systemd every call does nothing."""

from __future__ import annotations

import os


class Notifier:
    """systemd's notification socket (sdnotify); does nothing outside systemd."""

    def __init__(self) -> None:
        self._systemd = None
        if os.environ.get("NOTIFY_SOCKET"):
            import sdnotify

            self._systemd = sdnotify.SystemdNotifier()

    def __call__(self, state: str) -> None:
        if self._systemd is not None:
            self._systemd.notify(state)
