"""R15: an out-of-office reply pauses follow-ups until the return date it names (or a
configured default). The date is read with dateparser from the reply's own text."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.dates import find_date, languages_for
from mailbot.ingest.message import IncomingMessage

RETURN_WORDS = re.compile(
    r"(back|return|returning|available again|in the office|zurück|wieder im büro|ab dem|de retour|retour le|"
    r"regreso|volveré|vuelvo|until|till|bis|jusqu'au|hasta|"
    r"rientro|tornerò|di ritorno|fino al|terug|weer aanwezig|tot en met|de volta|regresso|até)"
    r"(?:[^.\n]|\.(?=\d)){0,60}",
    re.IGNORECASE,
)


def return_date(
    text: str, base: datetime, languages: list[str] | None = None
) -> tuple[datetime | None, str | None]:
    for found in RETURN_WORDS.finditer(text):
        when = find_date(found.group(0), base, languages)
        if when and base - timedelta(days=1) < when < base + timedelta(days=366):
            return when, found.group(0).strip()
    return None, None


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if (
        msg.automatic != "out-of-office"
        or msg.direction != Direction.CUSTOMER
        or msg.case_id is None
        and not msg.case_number
    ):
        return
    languages = languages_for(msg.header("Content-Language"), ctx.settings.languages)
    when, words = return_date(msg.body, msg.when, languages)
    msg.facts["out_of_office"] = True
    if when:
        msg.facts["ooo_until"] = when.isoformat()
        msg.facts["ooo_words"] = words
