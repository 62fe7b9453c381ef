"""R05 and R08 from the customer's words: a stated preference for the phone, and strong
negative wording, in the languages we read (:mod:`mailbot.ingest.intent_words`). A
heuristic, so the trigger words are kept with the decision; a question or a condition
("if it fails again, call me") still counts for the phone, never for a negated phrase."""

from __future__ import annotations

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.intent_words import NEGATION_BEFORE, PHONE, UPSET
from mailbot.ingest.message import IncomingMessage

MAX_CHARS = 20000


def phone_preference(text: str) -> str | None:
    """The words asking for a call, or None."""
    lowered = text[:MAX_CHARS].lower()
    for found in PHONE.finditer(lowered):
        if not NEGATION_BEFORE.search(lowered[max(0, found.start() - 20) : found.start()]):
            return found.group(0)
    return None


def strong_wording(text: str) -> str | None:
    """The strong negative words, or None ("not unacceptable" is not strong)."""
    lowered = text[:MAX_CHARS].lower()
    for found in UPSET.finditer(lowered):
        before = lowered[max(0, found.start() - 20) : found.start()]
        if found.group(0).startswith(("not ", "nicht ", "nie ")) or not NEGATION_BEFORE.search(
            before
        ):
            return found.group(0)
    return None


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if not msg.written_by(Direction.CUSTOMER):
        return
    if found := phone_preference(msg.body):
        msg.facts["prefers_phone"] = found
    if found := strong_wording(msg.body):
        msg.facts["upset_words"] = found
