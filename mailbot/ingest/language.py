"""Which languages to read a message in.

In order: the language its ``Content-Language`` header names (Exchange and Outlook set
it from the writer's settings), then the one its own words are plainly in, then the
configured ``[cases] languages``. The words decide only when they are clear: the most
frequent small words ("und", "the", "het", "że" …) of one supported language, three times
or more and twice as often as any other. That lets an Italian out-of-office reply be read
in Italian although neither its header nor the config names Italian.
"""

from __future__ import annotations

import re
from collections import Counter

from mailbot.ingest.date_words import SUPPORTED

# Words that are frequent in one language and rare in the others of the eight.
MARKERS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "you",
            "will",
            "is",
            "are",
            "with",
            "until",
            "back",
            "office",
            "thank",
            "thanks",
            "please",
        ]
    ),
    "de": frozenset(
        [
            "und",
            "ich",
            "nicht",
            "bin",
            "ist",
            "der",
            "die",
            "das",
            "mit",
            "sie",
            "bis",
            "wieder",
            "ihre",
            "vielen",
            "dank",
        ]
    ),
    "fr": frozenset(
        [
            "je",
            "suis",
            "le",
            "les",
            "et",
            "vous",
            "des",
            "est",
            "avec",
            "merci",
            "jusqu",
            "au",
            "bureau",
            "votre",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "los",
            "y",
            "que",
            "estoy",
            "con",
            "gracias",
            "hasta",
            "oficina",
            "su",
            "usted",
            "por",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "sono",
            "che",
            "della",
            "per",
            "con",
            "grazie",
            "fino",
            "ufficio",
            "sarò",
            "non",
            "gli",
        ]
    ),
    "nl": frozenset(
        [
            "ik",
            "ben",
            "het",
            "en",
            "niet",
            "een",
            "van",
            "met",
            "tot",
            "bedankt",
            "kantoor",
            "weer",
            "uw",
        ]
    ),
    "pt": frozenset(
        ["eu", "estou", "não", "com", "obrigado", "até", "escritório", "em", "os", "uma", "você"]
    ),
    "pl": frozenset(
        ["jestem", "nie", "się", "że", "w", "na", "do", "z", "dziękuję", "biurem", "od", "będę"]
    ),
}
_WORD = re.compile(r"[^\W\d_]+")
SAMPLE_CHARS = 2000
# marker word -> its languages, in MARKERS order: one lookup per word instead of one per
# language, and the counts grow in the same order (ties in most_common keep it)
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _markers in MARKERS.items():
    for _word in _markers:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _lang)


def detect(text: str) -> str | None:
    """The supported language ``text`` is plainly written in, or None."""
    counts: Counter[str] = Counter()
    for word in _WORD.findall(text[:SAMPLE_CHARS].lower()):
        for lang in _LANGUAGES_OF.get(word, ()):
            counts[lang] += 1
    if not counts:
        return None
    (best, n), *rest = counts.most_common(2) + [("", 0)]
    runner_up = rest[0][1] if rest else 0
    return best if n >= 3 and n >= 2 * runner_up else None


def header_language(content_language: str) -> str | None:
    first = content_language.split(",")[0].strip().split("-")[0].lower()
    return first if re.fullmatch(r"[a-z]{2}", first) else None


def reading_languages(
    content_language: str, configured: tuple[str, ...] | list[str], text: str
) -> list[str]:
    """The languages to read ``text`` in, most likely first (see the module doc)."""
    ordered = [header_language(content_language), detect(text), *configured]
    return [lang for lang in dict.fromkeys(ordered) if lang and lang in SUPPORTED] or ["en"]
