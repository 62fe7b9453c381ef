"""R01: the service desk's support address must be in To or Cc for a new case."""

from __future__ import annotations

from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    support = ctx.settings.support_address
    raw = (msg.header("To") + " " + msg.header("Cc")).lower()
    # Address parsing is costly; most mail is settled by a substring test.
    msg.has_support_cc = support in raw and support in msg.recipients
