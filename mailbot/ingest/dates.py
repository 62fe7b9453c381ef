"""Dates people write, found and resolved in one linear pass.

A *mention* is a date a text names: "7 December 2026", "07.12.", "02/12", "Monday,
December 7, 2026", "lunes 7", "vrijdag 4", "next Monday", "tomorrow", "in 2 weeks". Each is
found by one regular expression built from the tables in :mod:`mailbot.ingest.date_words`
for the languages the message may be in, and resolved against the message's own day:

- numeric dates are read per locale: day first everywhere but US English; for English
  of no stated region, the reading that lies nearest ahead wins (02/12 in late November
  is 2 December, not 12 February); an impossible reading (13/25) is never taken;
- a date without a year is the next one on or after the message's week;
- a weekday alone is the next such day after the message's day.

What a mention *means* (first day back, last day away, a named follow-up date) is
decided by the caller from the cue words around it (:func:`cue_before`,
:func:`words_after`).

Why not dateparser's ``search_dates`` over the whole text: searched in four languages at
once it matched "2026" alone and took it as today, and it costs one parse per candidate
(a crafted mail made it thousands). dateparser is kept for what it does well: it parses a
short phrase our tables do not cover, at most ``FALLBACK_CALLS`` times per message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from mailbot.ingest import date_words as W

MAX_MENTIONS = 60  # a text naming more dates than this is not a letter
MAX_ATTEMPTS = 1500  # places a mention is tried at, per text (each costs a few µs)
FALLBACK_CALLS = 2  # dateparser calls per message at most
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "ein": 1, "einer": 1, "zwei": 2, "drei": 3,
    "vier": 4, "un": 1, "une": 1, "deux": 2, "trois": 3, "una": 1, "dos": 2, "tres": 3,
    "uno": 1, "due": 2, "tre": 3, "een": 1, "twee": 2, "drie": 3, "um": 1, "uma": 1,
    "dois": 2, "duas": 2, "três": 3, "jeden": 1, "dwa": 2, "dwie": 2, "trzy": 3,
}  # fmt: skip
US_REGIONS = frozenset({"us", "ph", "fm", "mh", "pw", "as", "gu", "mp", "pr", "vi", "um"})


def numeric_order(content_language: str, languages: Iterable[str]) -> str:
    """How to read 02/12: "mdy" for US English, "dmy" for any other stated locale or
    language, "either" for English of no stated region (the nearer reading wins)."""
    tag = content_language.split(",")[0].strip().lower().replace("_", "-")
    lang, _, region = tag.partition("-")
    if lang == "en" and region[:2] in US_REGIONS:
        return "mdy"
    if lang == "en" and region:
        return "dmy"
    if lang and lang != "en":
        return "dmy"
    first = next(iter(languages), "en")
    return "either" if first == "en" else "dmy"


# -- the pattern -------------------------------------------------------------------------


def _alternation(words: Iterable[str]) -> str:
    unique = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in unique)


@dataclass(frozen=True)
class Tables:
    """The lookup tables and the compiled pattern for one set of languages."""

    pattern: re.Pattern[str]
    months: dict[str, int]
    weekdays: dict[str, int]
    relative: dict[str, int]
    starters: frozenset[str]  # first words a mention can start with


_TOKEN = re.compile(r"\d+|[^\W\d_]+")
# Where a mention may start: a number, a word of three letters or more, or a short
# "in"/"en"/"em"/"za" right before a number ("in 2 weeks", "za 2 tygodnie"). Short words
# are skipped by the engine, so text made of them costs nothing.
_CANDIDATE = re.compile(
    r"\d+|[^\W\d_]{3,}|(?<![^\W\d_])(?:in|en|em|za)(?=\s+(?:\d|"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")\b)",
    re.IGNORECASE,
)


def _first_word(phrase: str) -> str:
    found = _TOKEN.match(phrase.lower())
    return found.group(0) if found else ""


@lru_cache(maxsize=64)
def tables(languages: tuple[str, ...]) -> Tables:
    langs = [lang for lang in languages if lang in W.SUPPORTED] or ["en"]
    # Full month and weekday names of all eight languages are ordinary words nowhere else;
    # abbreviations ("mar", "dez", "fri") and Portuguese weekday ordinals ("segunda" is
    # also "second") only count in the message's own languages.
    months = {names[0]: i + 1 for lang in W.SUPPORTED for i, names in enumerate(W.MONTHS[lang])}
    months |= {
        n: i + 1
        for lang in W.SUPPORTED
        for i, names in enumerate(W.MONTHS[lang])
        for n in names
        if len(n) > 4
    }
    months |= {n: i + 1 for lang in langs for i, names in enumerate(W.MONTHS[lang]) for n in names}
    weekdays = {
        n: i
        for lang in W.SUPPORTED
        for i, names in enumerate(W.WEEKDAYS[lang])
        for n in names
        if len(n) > 6 or lang != "pt" and len(n) > 4
    }
    weekdays |= {n: i for lang in langs for i, names in enumerate(W.WEEKDAYS[lang]) for n in names}
    relative = {p: d for lang in W.SUPPORTED for p, d in W.RELATIVE_DAYS[lang]}
    mon = _alternation(months)
    wd = _alternation(weekdays)
    rel = _alternation(relative)
    every = W.SUPPORTED
    next_week = _alternation(p for lang in every for p in W.NEXT_WEEK[lang])
    nxb = _alternation(p for lang in every for p in W.NEXT_BEFORE.get(lang, ()))
    nxa = _alternation(p for lang in every for p in W.NEXT_AFTER.get(lang, ()))
    in_before = _alternation(p for lang in langs for p in W.IN_N[lang][0])
    day_units = _alternation(p for lang in langs for p in W.IN_N[lang][1])
    week_units = _alternation(p for lang in langs for p in W.IN_N[lang][2])
    numbers = _alternation(_NUMBER_WORDS)
    ordinal = r"(?:\.|st|nd|rd|th|er|e|º|°|ª)?"
    parts = [
        r"(?P<iso>(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))(?![\d-])",
        rf"(?P<dm>(?P<d1>\d{{1,2}}){ordinal}\s?(?:de\s+|of\s+|-)?(?P<m1>{mon})\.?"
        rf"(?:,?\s?(?:de\s+|-)?(?P<y1>\d{{4}})(?!\d)(?:\s?r\.)?)?)",
        rf"(?P<md>(?P<m2>{mon})\.?\s+(?:the\s+)?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:/]|\.\d)"
        rf"(?:,?\s+(?P<y2>\d{{4}})(?!\d))?)",
        r"(?P<num>(?P<n1>\d{1,2})(?P<sep>[./-])\s?(?P<n2>\d{1,2})"
        r"(?:(?P=sep)\s?(?P<n3>\d{4}|\d{2})(?!\d|[./-]\d)|(?P<dot>\.)(?![\d])|(?!\d|[./]\d|(?<=-\d)-\d|(?<=-\d\d)-\d)))",
        rf"(?P<nw>{next_week})",
        r"(?P<don>(?:the\s+)?(?P<dd>\d{1,2})(?:st|nd|rd|th|er)(?![\w:/-]|\.\d))",
        rf"(?P<inn>(?:{in_before})\s+(?P<inum>\d{{1,2}}|{numbers})\s+(?:(?P<iday>{day_units})|(?P<iweek>{week_units})))",
        rf"(?P<rel>{rel})" if rel else None,
        (rf"(?:(?P<nxb>{nxb})\s+)?(?P<wd>{wd})(?:\s+(?P<nxa>{nxa}))?" if nxa else
         rf"(?:(?P<nxb>{nxb})\s+)?(?P<wd>{wd})")
        + rf"(?:,?\s+(?:the\s+|den\s+|le\s+|el\s+|il\s+|de\s+|dia\s+)?(?P<wdn>\d{{1,2}}){ordinal}"
        rf"(?![\d./:-]|\s?(?:de\s+|of\s+)?(?:{mon})\b|\s?(?:de\s+)?\d))?",
    ]  # fmt: skip
    body = "|".join(p for p in parts if p)
    pattern = re.compile(rf"(?<![\w./])(?:{body})(?!\w)", re.IGNORECASE)
    phrases = [*months, *weekdays, *relative]
    phrases += [p for lang in every for p in (*W.NEXT_WEEK[lang], *W.NEXT_BEFORE.get(lang, ()))]
    phrases += [p for lang in langs for p in W.IN_N[lang][0]]
    # Short words ("la semaine prochaine", "w przyszły") start too much text to try there;
    # each such phrase also exists without them.
    starters = frozenset(w for p in phrases if len(w := _first_word(p)) > 2) | {
        "in",
        "en",
        "em",
        "za",
    }
    return Tables(pattern, months, weekdays, relative, starters)


def _matches(text: str, t: Tables) -> Iterator[re.Match[str]]:
    """The pattern's matches, tried only where a mention can start (a number, or a word
    that begins one): the regular-expression engine cannot skip ahead over a long
    alternation, so scanning every offset would cost a microsecond per character."""
    resume = attempts = 0
    for token in _CANDIDATE.finditer(text):
        start = token.start()
        if start < resume:
            continue
        word = token.group(0)
        if not (word[0].isdigit() or word.lower() in t.starters):
            continue
        attempts += 1
        if attempts > MAX_ATTEMPTS:
            return
        found = t.pattern.match(text, start)
        if found:
            resume = found.end()
            yield found


# -- mentions ----------------------------------------------------------------------------


@dataclass
class Mention:
    """A date the text names, where it names it, and what it resolves to."""

    start: int
    end: int
    words: str
    when: date | None
    alternatives: list[date] = field(default_factory=list)
    weak: bool = False  # "4.12" or "02/12" alone: a date only next to a cue word
    relative: bool = False  # "tomorrow", "next week", a weekday alone


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _with_year(month: int, day: int, year: int | None, base: date) -> date | None:
    """The date for ``day``.``month``: as written with a year; without one, the first on or
    after a week before ``base`` (an out-of-office text is written before it is read)."""
    if year is not None:
        year = year + 2000 if year < 100 else year
        return _valid(year, month, day)
    floor = base - timedelta(days=7)
    for y in (base.year, base.year + 1):
        found = _valid(y, month, day)
        if found and found >= floor:
            return found
    return None


def _month_day(base: date, months_ahead: int, day: int) -> date | None:
    index = base.month - 1 + months_ahead
    return _valid(base.year + index // 12, index % 12 + 1, day)


def _next_weekday(base: date, weekday: int) -> date:
    """The next such weekday strictly after ``base``."""
    return base + timedelta(days=(weekday - base.weekday() - 1) % 7 + 1)


def _weekday_and_day(base: date, weekday: int, day: int) -> date | None:
    """The next date on or after ``base`` with this day of the month, preferring one that
    falls on the weekday named ("lunes 7", "vrijdag 4")."""
    first = None
    cursor = date(base.year, base.month, 1)
    for _ in range(14):
        found = _valid(cursor.year, cursor.month, day)
        if found and found >= base:
            first = first or found
            if found.weekday() == weekday:
                return found
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return first


def _numeric(found: re.Match[str], base: date, order: str) -> tuple[date | None, list[date], bool]:
    n1, n2 = int(found.group("n1")), int(found.group("n2"))
    year = int(found.group("n3")) if found.group("n3") else None
    sep = found.group("sep")
    weak = year is None and not found.group("dot")
    if sep == "." or order == "dmy":
        readings = [(n2, n1), (n1, n2)]  # day first; month first only if impossible
        strict = True
    elif order == "mdy":
        readings, strict = [(n1, n2), (n2, n1)], True
    else:
        readings, strict = [(n2, n1), (n1, n2)], False
    dates = [d for m, dd in readings if (d := _with_year(m, dd, year, base))]
    if not dates:
        return None, [], weak
    if strict or len(dates) == 1:
        return dates[0], dates[1:], weak
    ahead = sorted(dates, key=lambda d: (d < base, abs((d - base).days)))
    return ahead[0], ahead[1:], weak


def mentions(text: str, base: date, languages: Iterable[str], order: str = "dmy") -> list[Mention]:
    """Every date ``text`` names, in order, resolved against ``base`` (at most
    ``MAX_MENTIONS``). Linear: one regular-expression scan."""
    t = tables(tuple(languages))
    found_all: list[Mention] = []
    for found in _matches(text, t):
        if found.group("rel") and _GREETING.search(text, max(0, found.start() - 12), found.start()):
            continue  # "Guten Morgen", "esta mañana": a time of day, not tomorrow
        m = _mention(found, base, t, order)
        if m is None:
            continue
        if found_all and _joins(text, found_all[-1], m):
            m = _merge(found_all.pop(), m)
        found_all.append(m)
        if len(found_all) >= MAX_MENTIONS:
            break
    return found_all


def _mention(found: re.Match[str], base: date, t: Tables, order: str) -> Mention | None:
    g = found.group
    words = " ".join(found.group(0).split())
    start, end = found.span()
    if g("iso"):
        return Mention(start, end, words, _valid(int(g("iy")), int(g("im")), int(g("id"))))
    if g("dm") or g("md"):
        name = (g("m1") or g("m2")).lower().rstrip(".")
        month = t.months.get(" ".join(name.split()))
        day = int(g("d1") or g("d2"))
        year = g("y1") or g("y2")
        if month is None:
            return None
        return Mention(start, end, words, _with_year(month, day, int(year) if year else None, base))
    if g("num"):
        when, alternatives, weak = _numeric(found, base, order)
        return Mention(start, end, words, when, alternatives, weak=weak) if when else None
    if g("don"):  # "back on the 7th": the next 7th
        day = int(g("dd"))
        when = next((d for k in range(13) if (d := _month_day(base, k, day)) and d >= base), None)
        return Mention(start, end, words, when) if when else None
    if g("nw"):
        return Mention(start, end, words, _next_weekday(base, 0), relative=True)
    if g("inn"):
        raw = g("inum").lower()
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 0)
        days = n * (7 if g("iweek") else 1)
        return Mention(start, end, words, base + timedelta(days=days), relative=True) if n else None
    if g("rel"):
        days = t.relative.get(" ".join(g("rel").lower().split()))
        return Mention(start, end, words, base + timedelta(days=days or 0), relative=True)
    if g("wd"):
        weekday = t.weekdays[g("wd").lower()]
        if g("wdn"):
            return Mention(start, end, words, _weekday_and_day(base, weekday, int(g("wdn"))))
        return Mention(start, end, words, _next_weekday(base, weekday), relative=True)
    return None


_GREETING = re.compile(
    r"(?:guten|gute|schönen|goede|esta|por la|de la|cada|la|this|good|every)\s+$", re.IGNORECASE
)
_JOINER = re.compile(r"^(?:,?\s*(?:the|den|der|le|el|il|de|dia|op|am|on)?\s*,?\s*)$", re.IGNORECASE)


def _joins(text: str, weekday: Mention, following: Mention) -> bool:
    """A weekday directly before a full date ("Monday, December 7", "Freitag, den 4.12.")."""
    return (
        weekday.relative
        and not following.relative
        and following.start - weekday.end <= 6
        and bool(_JOINER.match(text[weekday.end : following.start]))
        and weekday.words.split()[-1].isalpha()
    )


def _merge(weekday: Mention, dated: Mention) -> Mention:
    return Mention(
        weekday.start,
        dated.end,
        f"{weekday.words} {dated.words}",
        dated.when,
        dated.alternatives,
        weak=False,
    )


# -- cue words around a mention ------------------------------------------------------------

_CLAUSE_END = re.compile(r"[!?;]|\n\s*\n|(?<=[a-zà-ÿ]{4})\.\s+(?=[A-ZÀ-Þ])")


@lru_cache(maxsize=64)
def cue_pattern(table: str, languages: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for the phrases of a cue table (a name in date_words) in ``languages``."""
    source = getattr(W, table)
    words = [p for lang in languages for p in source.get(lang, ())]
    if not words:
        return None
    return re.compile(rf"(?<!\w)(?:{_alternation(words)})(?!\w)", re.IGNORECASE)


def clause_before(text: str, pos: int, width: int = 56) -> str:
    """The text before ``pos`` back to the start of its clause, at most ``width`` chars."""
    window = text[max(0, pos - width) : pos]
    ends = list(_CLAUSE_END.finditer(window))
    return window[ends[-1].end() :] if ends else window


def clause_after(text: str, pos: int, width: int = 48) -> str:
    """The text after ``pos`` up to the end of its clause, at most ``width`` chars."""
    window = text[pos : pos + width]
    end = _CLAUSE_END.search(window)
    return window[: end.start()] if end else window


def cue_before(
    text: str, m: Mention, tables_: Iterable[str], languages: tuple[str, ...]
) -> tuple[str | None, str]:
    """Which cue table's phrase ends nearest before the mention (ties: the longer phrase,
    then the order of ``tables_``), and the phrase."""
    window = clause_before(text, m.start)
    best: tuple[int, int, int, str, str] | None = None
    for rank, name in enumerate(tables_):
        pattern = cue_pattern(name, languages)
        if pattern is None:
            continue
        matches = list(pattern.finditer(window))
        if not matches:
            continue
        last = matches[-1]
        key = (last.end(), len(last.group(0)), -rank, name, last.group(0))
        if best is None or key[:3] > best[:3]:
            best = key
    if best is None:
        return None, ""
    gap = window[best[0] :]
    if len(gap.strip()) > 24:  # the cue belongs to something else in between
        return None, ""
    return best[3], best[4]


def words_after(text: str, m: Mention, table: str, languages: tuple[str, ...]) -> str | None:
    """A phrase of ``table`` in the rest of the mention's clause, if any."""
    pattern = cue_pattern(table, languages)
    if pattern is None:
        return None
    found = pattern.search(clause_after(text, m.end))
    return found.group(0) if found else None


def in_clause(text: str, m: Mention, table: str, languages: tuple[str, ...]) -> bool:
    """Whether a phrase of ``table`` stands anywhere in the mention's clause."""
    pattern = cue_pattern(table, languages)
    if pattern is None:
        return False
    clause = clause_before(text, m.start, 120) + " " + clause_after(text, m.end, 120)
    return bool(pattern.search(clause))


# -- dateparser, for what the tables miss ----------------------------------------------------


class Budget:
    """A cap on the expensive calls one message may cost (dateparser parses)."""

    def __init__(self, calls: int = FALLBACK_CALLS) -> None:
        self.left = calls

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def parse_phrase(
    phrase: str, base: datetime, languages: Iterable[str], budget: Budget
) -> date | None:
    """A short phrase (at most 60 chars) parsed by dateparser, if the budget allows; only
    a phrase with a letter in it (a bare "2026" is not a date)."""
    phrase = phrase.strip()[:60]
    if not re.search(r"[^\W\d_]", phrase) or not re.search(r"\d|[^\W\d_]{3}", phrase):
        return None
    if not budget.take():
        return None
    return _parse_phrase(phrase, base.date(), tuple(languages))


@lru_cache(maxsize=4096)
def _parse_phrase(phrase: str, base: date, languages: tuple[str, ...]) -> date | None:
    import dateparser

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime(base.year, base.month, base.day, 12),
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "DMY",
        "STRICT_PARSING": False,
    }
    langs = [lang for lang in languages if lang in W.SUPPORTED] or ["en"]
    try:
        value = dateparser.parse(phrase, languages=langs, settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input; no date then
        return None
    return value.date() if value else None
