"""What the customer says, for R07 (a date they named), R17 (the fix works / they fixed
it themselves) and R21 (it did not work). A text heuristic over the customer's new text
(quoted history removed, secrets masked) in the languages we read: every decision keeps
the words that triggered it, so the engineer can see why.

How a reading is chosen:

- the text is cut into clauses (sentence ends, and "but" / "aber" / "mais" … );
- a question or a condition ("if it works", "sobald es läuft") says nothing;
- in one clause, "did not work" beats a fix of their own, which beats "it works";
- across clauses the last one with a reading wins ("it failed at first, but after the
  restart it works"), except that a fix of their own outranks a later "it works" ("we
  found it ourselves … after we added it, it works").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.date_words import SUPPORTED
from mailbot.ingest.dates import (
    Mention,
    clause_after,
    clause_before,
    cue_before,
    mentions,
    numeric_order,
)
from mailbot.ingest.intent_words import (
    BY_CUSTOMER,
    COMMITMENT,
    CONDITION_BEFORE,
    CONFIRMED,
    DATE_PREPOSITION,
    NEGATION_BEFORE,
    NOT_WORKING,
    THEN,
)
from mailbot.ingest.language import reading_languages
from mailbot.ingest.message import IncomingMessage

MAX_CLAUSES = 80  # intent matching per message is capped (a crafted mail has thousands)
MAX_CLAUSE_CHARS = 400
_CLAUSE_SPLIT = re.compile(
    r"(?<=[.!?;])\s+|\n+|,?\s+(?=(?:but|however|aber|jedoch|mais|pero|sin embargo|ma|però|maar|mas|porém|ale)\s)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    intent: str
    words: str
    clause: int


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` in order, at most ``MAX_CLAUSES``, each capped."""
    parts = []
    for piece in _CLAUSE_SPLIT.split(text[: MAX_CLAUSES * MAX_CLAUSE_CHARS]):
        piece = piece.strip()
        if piece:
            parts.append(piece[:MAX_CLAUSE_CHARS])
        if len(parts) >= MAX_CLAUSES:
            break
    return parts


def _guarded(clause: str, found: re.Match[str]) -> bool:
    """Whether a match is negated or conditional ("not sure it works", "if it works")."""
    before = clause[: found.start()]
    return bool(NEGATION_BEFORE.search(before) or CONDITION_BEFORE.search(before))


def _clause_reading(clause: str) -> tuple[str, str] | None:
    lowered = clause.lower()
    if lowered.rstrip().endswith("?"):
        return None
    for name, pattern, guard_negation in (
        ("not_working", NOT_WORKING, False),
        ("resolved_by_customer", BY_CUSTOMER, True),
        ("confirmed", CONFIRMED, True),
    ):
        for found in pattern.finditer(lowered):
            if CONDITION_BEFORE.search(lowered[: found.start()]):
                continue
            if guard_negation and _guarded(lowered, found):
                continue
            words = (
                clause[found.start() : found.end()]
                if len(lowered) == len(clause)
                else found.group(0)
            )
            return name, words
    return None


def read_intent(text: str) -> tuple[str | None, str | None]:
    """(intent, trigger words): intent is not_working, resolved_by_customer or confirmed."""
    readings = [
        Reading(*found, i)
        for i, clause in enumerate(clauses(text))
        if (found := _clause_reading(clause))
    ]
    if not readings:
        return None, None
    last = readings[-1]
    if last.intent == "confirmed":
        own = [r for r in readings if r.intent == "resolved_by_customer"]
        later_failure = own and any(
            r.intent == "not_working" and r.clause > own[-1].clause for r in readings
        )
        if own and not later_failure:
            return own[-1].intent, own[-1].words
    return last.intent, last.words


def named_date(
    text: str, base: datetime, languages: list[str], order: str = "dmy"
) -> tuple[date, str] | None:
    """The first future date the customer names with something they will do then (R07):
    in the date's clause, or in the next sentence ("… on November 18. I'll get back to
    you then")."""
    day = base.date()
    found: tuple[date, str] | None = None
    until_end = -1
    for m in mentions(text, day, tuple(languages), order):
        if m.when is None or m.when <= day:
            continue
        if m.weak and not DATE_PREPOSITION.search(text[max(0, m.start - 12) : m.start]):
            continue  # "4.12" alone may be a version; "on 12/15" is a date
        if found is not None and m.start > until_end:
            break
        cue, _ = cue_before(text, m, ("PAST_BEFORE", "UNTIL_BEFORE"), SUPPORTED)
        if cue == "PAST_BEFORE":
            continue  # "since Monday", "last Thursday"
        words = _commitment(text, m)
        if words is None:
            continue
        if found is not None:
            return m.when, words
        if cue != "UNTIL_BEFORE":
            return m.when, words
        # "on site until Thursday, so I can test on Friday": a later date in the same
        # sentence is the one named for the work; the "until" date only if none follows
        found, until_end = (m.when, words), m.end + 160
    return found


def _commitment(text: str, m: Mention) -> str | None:
    """The sentence of ``m`` if it, or the next one pointing back ("then"), says what the
    customer will do on that date."""
    before = clause_before(text, m.start, 120)
    after = clause_after(text, m.end, 160)
    sentence = f"{before}{text[m.start : m.end]}{after}"
    words = " ".join(sentence.split())[:200]
    if COMMITMENT.search(sentence.lower()):
        return words
    following = text[m.end : m.end + 160].lower()
    if THEN.search(following) and COMMITMENT.search(following):
        return words
    return None


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if not msg.written_by(Direction.CUSTOMER):
        return
    text = msg.body
    intent, words = read_intent(text)
    if intent:
        msg.facts["intent"] = intent
        msg.facts["intent_words"] = words
    if intent in (None, "not_working"):
        content_language = msg.header("Content-Language")
        languages = reading_languages(content_language, ctx.settings.languages, text)
        flat = " ".join(text.split())
        found = named_date(flat, msg.when, languages, numeric_order(content_language, languages))
        if found:
            msg.facts["named_date"] = found[0].isoformat()
            msg.facts["named_date_words"] = found[1]
