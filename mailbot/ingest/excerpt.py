"""R20: keep the opening words of what the customer and the engineer wrote, so the
closure checklist can offer a Cause / Resolution / Symptom draft taken from the thread.

Only case mail a person wrote is kept (not automatic replies, not mailbot's own mail),
only its new text (quoted history is already removed), at most ``EXCERPT_CHARS``, with
any access secret replaced by its kind (R27). The excerpt lives in the message's facts,
which the retention purge erases after closure (R28); it never reaches a log."""

from __future__ import annotations

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage
from mailbot.ingest.secrets import mask_secrets

EXCERPT_CHARS = 600


def excerpt(text: str, masked: bool = False) -> str:
    """The first words of ``text`` on one line each paragraph, secrets masked (``masked``:
    the text is a message's new text, which was masked when it was read)."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    joined = "\n".join(p for p in paragraphs if p)
    clipped = joined[:EXCERPT_CHARS]
    if len(joined) > EXCERPT_CHARS:
        clipped = clipped.rsplit(" ", 1)[0] + " …"
    if not clipped:
        return ""
    return clipped if masked else mask_secrets(clipped)


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if not (msg.written_by(Direction.CUSTOMER) or msg.written_by(Direction.ENGINEER)):
        return
    text = excerpt(msg.body, masked=True)
    if text:
        msg.facts["excerpt"] = text
