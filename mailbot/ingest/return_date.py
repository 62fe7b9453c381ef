"""R15: the first day a customer is back, read from their out-of-office text.

The rules (decided in docs/reading.md):

- "back on X", "rientro X", "de retour le X", "am X wieder im Büro": X is the first day back;
- "until X", "bis (einschließlich) X", "t/m X", "tot X", "jusqu'au X", "hasta X", "fino al
  X", "até X", "do X", and the end of a range ("30.11.–4.12.", "du 30 au 4 décembre"): X is
  the last day away, so the first day back is the next weekday after X (the customer's
  own working calendar is not known; the fold then moves it to the engineer's next
  business morning);
- "from X" starts the absence if its clause says they are away, else it is the return;
- a date in the past, or more than a year ahead, is not a return date.

The first mention that yields a first day back after the message's day wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from mailbot.ingest.date_words import RANGE_BETWEEN, SUPPORTED
from mailbot.ingest.dates import (
    Budget,
    Mention,
    _alternation,
    clause_before,
    cue_before,
    cue_pattern,
    mentions,
    parse_phrase,
    words_after,
)

MAX_AHEAD_DAYS = 366
RETURN, UNTIL, FROM, PAST = "RETURN_BEFORE", "UNTIL_BEFORE", "FROM_BEFORE", "PAST_BEFORE"


@dataclass(frozen=True)
class ReturnDate:
    first_day_back: date
    words: str  # the words that gave it, for the timeline


def next_weekday_after(day: date) -> date:
    """The first Monday-to-Friday day after ``day``."""
    nxt = day + timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += timedelta(days=1)
    return nxt


def _range_end(text: str, first: Mention, second: Mention, languages: tuple[str, ...]) -> bool:
    """Whether ``second`` closes a range opened by ``first`` ("30.11. bis 4.12.")."""
    between = text[first.end : second.start]
    if len(between) > 24:
        return False
    pattern = cue_pattern("RANGE_BETWEEN", languages)
    stripped = between.strip(" ,")
    if not stripped:
        return False
    found = pattern.fullmatch(stripped) if pattern else None
    if found:
        return True
    # "vom 30.11. bis zum 4.12.", "from 30 Nov until the 4 Dec": a connector plus an article
    words = stripped.split()
    return bool(pattern and words and pattern.fullmatch(words[0]) and len(words) <= 3)


@lru_cache(maxsize=16)
def _bare_day_range(languages: tuple[str, ...]) -> re.Pattern[str]:
    """A day number and a range connector just before a date: "7–11 December", "du 7 au
    11 décembre", "vom 7. bis 11. Dezember", "od 7 do 11 grudnia"."""
    words = [w for lang in languages for w in RANGE_BETWEEN.get(lang, ())]
    return re.compile(
        rf"(?<![\d:./,-])(?:[1-9]|[12]\d|3[01])(?:\.|st|nd|rd|th|er|º)?\s*"
        rf"(?:{_alternation(words)})(?:\s+(?:the|dem|zum|le|el|il|de|a|o))?\s*$",
        re.IGNORECASE,
    )


def _role(
    text: str, m: Mention, prev: Mention | None, languages: tuple[str, ...]
) -> tuple[str | None, str]:
    """What the mention means in an out-of-office text, and the cue words."""
    if prev is not None and _range_end(text, prev, m, languages):
        return UNTIL, text[prev.start : m.end]
    bare = _bare_day_range(languages).search(text, max(0, m.start - 32), m.start)
    if bare:
        return UNTIL, text[bare.start() : m.end]
    cue, words = cue_before(text, m, (RETURN, UNTIL, FROM, PAST), languages)
    presence_after = words_after(text, m, "PRESENCE_AFTER", languages)
    absence_after = words_after(text, m, "ABSENCE", languages)
    if cue == FROM:
        if presence_after:  # "ab dem 8.12. wieder da"
            return RETURN, words
        if absence_after or _absence_nearer(text, m, languages):
            return FROM, words  # "from 30 November I am on leave": the absence starts
        return RETURN, words
    if cue in (RETURN, UNTIL, PAST):
        return cue, words
    if presence_after:
        return RETURN, presence_after
    if absence_after or clause_says(text, m, "ABSENCE", languages):
        return UNTIL, absence_after or ""  # "out of the office tomorrow": that day away
    return None, ""


def _absence_nearer(text: str, m: Mention, languages: tuple[str, ...]) -> bool:
    """Whether the mention's clause, before it, last says the writer is away rather than
    back: "away from 7 December" starts an absence, "out, back in the office from 9
    December" (a return phrase after the absence) names the return."""
    clause = clause_before(text, m.start, 80)
    away = cue_pattern("ABSENCE", languages)
    back = cue_pattern(RETURN, languages)
    last_away = max((f.end() for f in away.finditer(clause)), default=-1) if away else -1
    last_back = max((f.end() for f in back.finditer(clause)), default=-1) if back else -1
    return last_away > last_back


def clause_says(text: str, m: Mention, table: str, languages: tuple[str, ...]) -> bool:
    """Whether the mention's clause, before it, holds a phrase of ``table``."""
    pattern = cue_pattern(table, languages)
    return bool(pattern and pattern.search(clause_before(text, m.start, 80)))


def _first_day_back(role: str, m: Mention) -> date | None:
    if m.when is None:
        return None
    if role == RETURN:
        return m.when
    if role == UNTIL:
        return next_weekday_after(m.when)
    return None


def _words(text: str, m: Mention, cue: str) -> str:
    start = max(0, m.start - 60)
    before = clause_before(text, m.start, 60)
    snippet = (before + text[m.start : m.end]).strip()
    if cue and cue in snippet:
        snippet = snippet[snippet.rfind(cue) :]
    return " ".join(snippet.split())[:200] or " ".join(text[start : m.end].split())[:200]


def return_date(
    text: str, base: datetime, languages: list[str], order: str = "dmy"
) -> ReturnDate | None:
    """The first day back that ``text`` names, relative to the message's time ``base``."""
    day = base.date()
    found = mentions(text, day, tuple(languages), order)
    langs = SUPPORTED  # cue words of every language: the reply says it is an absence
    prev: Mention | None = None
    for i, m in enumerate(found):
        nxt = found[i + 1] if i + 1 < len(found) else None
        if nxt is not None and _range_end(text, m, nxt, langs):
            prev = m
            continue  # the start of a range: its end tells the return
        role, cue = _role(text, m, prev, langs)
        prev = m
        if m.weak and not role:
            continue
        back = _first_day_back(role, m) if role else None
        if back and day < back <= day + timedelta(days=MAX_AHEAD_DAYS):
            return ReturnDate(back, _words(text, m, cue))
    return _fallback(text, base, tuple(languages))


def _fallback(text: str, base: datetime, languages: tuple[str, ...]) -> ReturnDate | None:
    """A return phrase our tables could not read ("back in a fortnight"): dateparser on
    the few words after the first return cue, within the message's budget."""
    pattern = cue_pattern(RETURN, SUPPORTED)
    if pattern is None:
        return None
    budget = Budget()
    for found in pattern.finditer(text):
        phrase = text[found.end() : found.end() + 40].split(".")[0]
        when = parse_phrase(phrase, base, languages, budget)
        if when and base.date() < when <= base.date() + timedelta(days=MAX_AHEAD_DAYS):
            return ReturnDate(when, " ".join((found.group(0) + phrase).split())[:200])
        if budget.left <= 0:
            break
    return None
