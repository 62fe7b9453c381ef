"""Regular expressions compiled on first use.

Every ``mailbot tick`` is a new process, and compiling a long alternation costs
milliseconds. The patterns made with :class:`LazyPattern` are the ones a typical tick
never needs (wording that only counts as one more weak signal, the words after a date
a customer names, secret forms that need a rare literal first), so most runs never
compile them. The pattern is the same: the same source and flags, compiled once.
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """``re.compile(source, flags)``, compiled when one of its methods is first used."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source, self._flags = source, flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        found = self._compiled
        if found is None:
            found = self._compiled = re.compile(self._source, self._flags)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled(), name)
