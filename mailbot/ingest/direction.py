"""Who wrote it: the engineer, the customer, or someone else (colleagues, the service desk).

The engineer is the mailbox: only mail in the engineer's own Sent Items, from their
address, is theirs. Anyone can put the engineer's address in a From header of mail that
lands in the Inbox; such mail is "someone else"."""

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
        mine = msg.ref.folder == s.mailbox.folders.sent
        msg.direction = Direction.ENGINEER if mine else Direction.OTHER
    elif (
        domain in s.internal_domains
        or sender == s.support_address
        or domain == support_domain
        or not sender
    ):
        msg.direction = Direction.OTHER
    else:
        msg.direction = Direction.CUSTOMER
