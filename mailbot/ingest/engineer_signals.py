"""What the engineer's own mail says about the case: an explicit signal (an Outlook-style
category in the ``Keywords``/``X-Mailbot-Signal`` header, e.g. "Mailbot: Solution
delivered") or, failing that, a heuristic on the words of the mail, with the words kept."""

from __future__ import annotations

import re

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage

SIGNAL_NAMES = {
    "solution delivered": "solution_delivered",
    "waiting for customer": "waiting_info",
    "researching": "researching",
}
SOLUTION_WORDS = re.compile(
    r"(this (should|will) (resolve|fix|solve)|please (apply|try) the (fix|following|steps|change)|"
    r"the (fix|solution|resolution|workaround) is|(root )?cause (is|was)|here is the (fix|solution))",
    re.IGNORECASE,
)


def explicit_signal(msg: IncomingMessage) -> str | None:
    values = " ".join(
        msg.header(h) for h in ("Keywords", "X-Mailbot-Signal", "X-Mailbot-Category")
    ).lower()
    for label, name in SIGNAL_NAMES.items():
        if label in values:
            return name
    return None


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if not msg.written_by(Direction.ENGINEER):
        return
    signal = explicit_signal(msg)
    if signal:
        msg.facts["signal"] = signal
        msg.facts["signal_source"] = "category"
        return
    found = SOLUTION_WORDS.search(msg.body)
    if found:
        msg.facts["signal"] = "solution_delivered"
        msg.facts["signal_source"] = "words"
        msg.facts["signal_words"] = found.group(0)
