"""The filter chain. Order matters: attach (R01) before direction, direction before the
automatic-mail check (R03), and only then the content filters that read bodies."""

from __future__ import annotations

from mailbot.ingest import (
    automatic,
    case_number,
    direction,
    engineer_signals,
    excerpt,
    intent,
    out_of_office,
    secrets,
    sentiment,
    support_cc,
    threading,
)
from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage

FILTERS = (
    case_number.apply,
    support_cc.apply,
    threading.apply,
    direction.apply,
    automatic.apply,
    out_of_office.apply,
    secrets.apply,
    intent.apply,
    sentiment.apply,
    engineer_signals.apply,
    excerpt.apply,
)


def run(msg: IncomingMessage, ctx: IngestContext) -> IncomingMessage:
    for step in FILTERS:
        step(msg, ctx)
    return msg
