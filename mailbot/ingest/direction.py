"""Who wrote it: the engineer, the customer, or someone else (colleagues, the service desk)."""

from __future__ import annotations

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    s = ctx.settings
    _, sender = msg.sender
    domain = sender.rsplit("@", 1)[-1]
    support_domain = s.support_address.rsplit("@", 1)[-1]
    if sender == s.engineer.email.lower():
        msg.direction = Direction.ENGINEER
    elif (
        domain in s.internal_domains
        or sender == s.support_address
        or domain == support_domain
        or not sender
    ):
        msg.direction = Direction.OTHER
    else:
        msg.direction = Direction.CUSTOMER
