"""Dates people write ("on Thursday", "am 3. Dezember", "le 5 décembre"), via dateparser.

dateparser is imported on first use: it is slow to import and most messages never
need it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

LANGUAGES = ["en", "de", "fr", "es"]


def languages_for(content_language: str, configured: tuple[str, ...] | list[str]) -> list[str]:
    """The languages to read a message's dates in: the one its ``Content-Language``
    header names first (when the customer's mail client says), then the configured ones."""
    first = content_language.split(",")[0].strip().split("-")[0].lower()
    ordered = ([first] if re.fullmatch(r"[a-z]{2}", first) else []) + list(configured)
    return list(dict.fromkeys(ordered))


def find_date(text: str, base: datetime, languages: list[str] | None = None) -> datetime | None:
    """The first future-leaning date in ``text``, relative to ``base`` (aware UTC result)."""
    # Only the day matters to the rules, so the cache is keyed on the day.
    noon = base.replace(tzinfo=None, hour=12, minute=0, second=0, microsecond=0)
    return _find_date(text, noon, tuple(languages or LANGUAGES))


@lru_cache(maxsize=4096)
def _find_date(text: str, base: datetime, languages: tuple[str, ...]) -> datetime | None:
    """Cached: an out-of-office text arrives verbatim again and again."""
    from dateparser.search import search_dates

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
    }
    if re.search(r"\b\d{1,2}\.\d{1,2}\.", text):
        settings["DATE_ORDER"] = (
            "DMY"  # 11.12.2026 is always day.month in the languages that write it
        )
    try:
        found = search_dates(text, languages=list(languages), settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input; no date then
        return None
    for _words, value in found or []:
        if value.date() >= base.date():
            return value.replace(tzinfo=UTC)
    return None
