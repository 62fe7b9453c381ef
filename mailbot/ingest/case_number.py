"""R01: find the case number in the subject (patterns from config)."""

from __future__ import annotations

from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage


def find_case_number(subject: str, patterns) -> str | None:  # type: ignore[no-untyped-def]
    for pattern in patterns:
        found = pattern.search(subject)
        if found:
            return found.group(1)
    return None


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    msg.case_number = find_case_number(msg.subject, ctx.settings.case_patterns)
