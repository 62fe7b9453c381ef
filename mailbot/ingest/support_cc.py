"""R01: the service desk's support address must be in To or Cc for a new case."""

from __future__ import annotations

from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    msg.has_support_cc = ctx.settings.support_address in msg.recipients
