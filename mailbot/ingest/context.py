"""What the filters may consult: settings, and lookups the filing step provides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mailbot.config import Settings


@dataclass
class IngestContext:
    settings: Settings
    case_for_message_id: Callable[[list[str]], int | None]
    case_id_for_number: Callable[[str], int | None]
    now: datetime
