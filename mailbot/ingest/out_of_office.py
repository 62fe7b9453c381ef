"""R15: an out-of-office reply pauses follow-ups until the customer is back.

An automatic reply from the customer's side is an out-of-office reply when its subject
says so or its words say the writer is away (in any of the languages we read). Its
``ooo_until`` fact is the *first day back* (see :mod:`mailbot.ingest.return_date`); the
fold turns it into the next business morning. A reply that names no usable date still
sets ``out_of_office``, so the fold applies the default pause.
"""

from __future__ import annotations

import re

from mailbot.domain.kinds import Direction
from mailbot.ingest import automatic
from mailbot.ingest.auto_words import OOO_SUBJECT, subject_core
from mailbot.ingest.context import IngestContext
from mailbot.ingest.date_words import SUPPORTED
from mailbot.ingest.dates import cue_pattern, numeric_order
from mailbot.ingest.language import reading_languages
from mailbot.ingest.message import IncomingMessage
from mailbot.ingest.return_date import return_date

_BLANKS = re.compile(r"(?<!:)[ \t]*\n[ \t]*\n\s*")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\n]+")


def flatten(text: str) -> str:
    """Whitespace for reading dates: a paragraph break stays, every other run is a space
    (a date split across lines or HTML tags reads as one). A break after a colon is a
    label and its value in table cells ("Abwesend bis:" | "11.12.2026"): a space."""
    paragraphs = _BLANKS.split(text)
    return "\n\n".join(_SPACES.sub(" ", p).strip() for p in paragraphs if p.strip())


def says_away(text: str) -> str | None:
    """The words saying the writer is away, in any supported language, or None."""
    pattern = cue_pattern("ABSENCE", SUPPORTED)
    found = pattern.search(text[:4000]) if pattern else None
    if found:
        return found.group(0)
    pattern = cue_pattern("RETURN_BEFORE", SUPPORTED)
    found = pattern.search(text[:4000]) if pattern else None
    return found.group(0) if found else None


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    kind = automatic.kind_of(msg.automatic)
    if (
        kind not in automatic.MAYBE_OUT_OF_OFFICE
        or msg.direction != Direction.CUSTOMER
        or (msg.case_id is None and not msg.case_number)
    ):
        return
    text = flatten(msg.body)
    core = subject_core(msg.subject)
    content_language = msg.header("Content-Language")
    languages = reading_languages(content_language, ctx.settings.languages, f"{core}\n{text}")
    order = numeric_order(content_language, languages)
    found = return_date(text, msg.when, languages, order)
    if found is None and core:
        found = return_date(core, msg.when, languages, order)  # Lotus: "AUTO: … (returning 7.12.)"
    if kind != automatic.OUT_OF_OFFICE:
        if not (found or OOO_SUBJECT.match(core) or says_away(text) or says_away(core)):
            return  # an acknowledgement or notice, not an absence: nothing to pause
        signal = msg.facts.get("automatic_signal") or kind
        msg.automatic = automatic.Verdict(automatic.OUT_OF_OFFICE, signal).reason
        msg.facts["automatic_kind"] = automatic.OUT_OF_OFFICE
    msg.facts["out_of_office"] = True
    if found:
        msg.facts["ooo_until"] = found.first_day_back.isoformat()
        msg.facts["ooo_words"] = found.words
