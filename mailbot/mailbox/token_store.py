"""Where msal's serialised token cache is kept between processes.

Encrypted at rest where the platform has a store for it that works without a desktop
session (msal-extensions: DPAPI on Windows, the Keychain on macOS), tried once with a
round trip; otherwise an owner-only file written whole (a temporary file renamed over
it). Linux gets the file: its Secret Service is locked while the user is logged out,
which is exactly when a service (a system unit, a user unit with linger) runs, so a
cache kept there would be unreadable to the daemon. The refresh token in the cache is
as good as a password for the mailbox, so it is never readable by others."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def _encrypted(path: Path) -> Any | None:
    """msal-extensions' encrypted persistence for ``path``, if it works here."""
    if not sys.platform.startswith(("win", "darwin")):
        return None
    try:
        from msal_extensions import build_encrypted_persistence

        persistence = build_encrypted_persistence(str(path.with_suffix(".encrypted")))
        probe = persistence.load() if Path(persistence.get_location()).exists() else None
        if probe is None:  # nothing stored yet: prove that the store works at all
            persistence.save("{}")
        return persistence
    except Exception:  # no libsecret, no desktop session, an unsupported platform
        return None


class TokenStore:
    """Load and save the serialised cache; ``kind`` says where it lives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._secure = _encrypted(path)
        self.kind = "encrypted by the OS" if self._secure is not None else "owner-only file"

    def load(self) -> str | None:
        if self._secure is not None:
            try:
                text = self._secure.load()
            except Exception:  # unreadable: a miss, the engineer signs in again
                return None
            if text and text != "{}":
                return text
        # The plain file: the fallback, or what an older mailbot (or another platform)
        # wrote before encryption was available.
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError:
            return None

    def save(self, text: str) -> None:
        if self._secure is not None:
            self._secure.save(text)
            self.path.unlink(missing_ok=True)  # no plain copy beside the encrypted one
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")  # one per writer
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
