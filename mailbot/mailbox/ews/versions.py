"""Exchange versions an admin can pin in the config, without importing exchangelib.

The data lives in :mod:`mailbot.exchange` (shared with the config checks, which must not
import adapter modules); this module keeps the adapter's import path."""

from __future__ import annotations

from mailbot.exchange import EWS_VERSIONS as NAMED
from mailbot.exchange import parse_version

__all__ = ["NAMED", "parse_version"]
