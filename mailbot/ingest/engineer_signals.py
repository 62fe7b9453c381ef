"""What the engineer's own mail says about the case: an explicit signal (an Outlook-style
category in the ``Keywords``/``X-Mailbot-Signal`` header, e.g. "Mailbot: Solution
delivered") or, failing that, a heuristic on the words of the mail, with the words kept."""

from __future__ import annotations

import re
from datetime import date, datetime

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.dates import mentions
from mailbot.ingest.message import IncomingMessage

PROMISE = re.compile(
    r"\b(i will|i'll|i shall|we will|we'll)\s+(update you|get back to you|follow up|send you|come back to you|contact you|"
    r"reach out|let you know|have an update)[^.\n!?]{0,60}",
    re.IGNORECASE,
)
SOLUTION_WORDS = re.compile(
    r"(this (should|will) (resolve|fix|solve)|please (apply|try) the (fix|following|steps|change)|"
    r"the (fix|solution|resolution|workaround) is|(root )?cause (is|was)|here is the (fix|solution))",
    re.IGNORECASE,
)


def promised_date(words: str, when: datetime, languages: tuple[str, ...]) -> date | None:
    """The first date on or after the mail's day named in the promise's words."""
    day = when.date()
    for m in mentions(words, day, ("en", *languages)):
        if m.when and m.when >= day and not m.weak:
            return m.when
    return None


def explicit_signals(msg: IncomingMessage, labels: dict[str, str]) -> list[str]:
    """Every signal named by the mail's categories (Keywords / X-Mailbot-Signal headers);
    ``labels`` maps each signal to its category name (``[categories]`` in the config)."""
    values = " ".join(
        msg.header(h) for h in ("Keywords", "X-Mailbot-Signal", "X-Mailbot-Category")
    ).lower()
    return [name for name, label in labels.items() if label in values]


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if not msg.written_by(Direction.ENGINEER):
        return
    text = msg.body
    promise = PROMISE.search(text)
    if promise:  # R06: the engineer named when they will follow up
        when = promised_date(promise.group(0), msg.when, ctx.settings.languages)
        if when:
            msg.facts["promise_date"] = when.isoformat()
            msg.facts["promise_words"] = promise.group(0).strip()[:200]
    signals = explicit_signals(msg, ctx.settings.categories)
    if signals:
        msg.facts["signals"] = signals
        state = next(
            (s for s in signals if s in ("solution_delivered", "waiting_info", "researching")), None
        )
        if state:
            msg.facts["signal"] = state
            msg.facts["signal_source"] = "category"
        return
    found = SOLUTION_WORDS.search(text)
    if found:
        msg.facts["signal"] = "solution_delivered"
        msg.facts["signal_source"] = "words"
        msg.facts["signal_words"] = found.group(0)
