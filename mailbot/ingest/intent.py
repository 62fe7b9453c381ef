"""What the customer says, for R07 (a date they named) and R17 (the fix works / they
fixed it themselves) and R21 (it did not work). A text heuristic: every decision keeps
the words that triggered it, so the engineer can see why."""

from __future__ import annotations

import re

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.dates import find_date, languages_for
from mailbot.ingest.message import IncomingMessage

NOT_WORKING = re.compile(
    r"(still (not|isn't|doesn't|failing|broken|seeing|getting)|(did not|didn't|does not|doesn't|not) (work|help|fix|solve)|no luck|same (error|issue|problem)|"
    r"funktioniert (immer noch )?nicht|hat nicht (geholfen|funktioniert)|ne fonctionne (toujours )?pas|n'a pas fonctionné|"
    r"sigue sin funcionar|no funcion[óa])",
)
BY_CUSTOMER = re.compile(
    r"((we|i) (have |'ve )?(fixed|resolved|solved|sorted) (it|this|the (issue|problem))( ourselves| myself| on our own)?|"
    r"(we|i) (found|figured out) (the (cause|problem|issue)|what was wrong)|managed to (fix|resolve|solve)|"
    r"(haben|habe) (es|das problem) selbst (gelöst|behoben)|nous avons résolu|lo (hemos|he) resuelto)",
)
CONFIRMED = re.compile(
    r"((it|this|that|the (fix|solution|workaround|change)) (works|worked|is working|did the trick|fixed it|solved it|resolved it)|"
    r"(issue|problem) is (now )?(resolved|fixed|solved|gone)|(you )?(can|may) (go ahead and )?close (the|this) (case|ticket)|ok to close|"
    r"funktioniert (jetzt|wieder)|problem (ist )?gelöst|ça fonctionne|cela fonctionne|problème (est )?résolu|ya funciona|problema resuelto)",
)
NAMED_DATE = re.compile(
    r"\b(test|try|check|verify|reply|respond|get back|come back|update you|let you know|confirm|report back|"
    r"teste|melde mich|antworte|je teste|je reviens|je vous répondrai|probaré|le responderé|te respondo)\b[^.\n!?]{0,60}",
    re.IGNORECASE,
)


def read_intent(text: str) -> tuple[str | None, str | None]:
    """(intent, trigger words): intent is not_working, resolved_by_customer or confirmed."""
    lowered = text.lower()  # lowered once: the patterns are written in lower case
    for name, pattern in (
        ("not_working", NOT_WORKING),
        ("resolved_by_customer", BY_CUSTOMER),
        ("confirmed", CONFIRMED),
    ):
        found = pattern.search(lowered)
        if found and len(lowered) == len(text):
            return name, text[found.start() : found.end()]
        if found:
            return name, found.group(0)
    return None, None


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if not msg.written_by(Direction.CUSTOMER):
        return
    text = msg.body
    intent, words = read_intent(text)
    if intent:
        msg.facts["intent"] = intent
        msg.facts["intent_words"] = words
    if intent in (None, "not_working"):
        for found in NAMED_DATE.finditer(text):
            languages = languages_for(msg.header("Content-Language"), ctx.settings.languages)
            when = find_date(found.group(0), msg.when, languages)
            if when and when.date() > msg.when.date():
                msg.facts["named_date"] = when.date().isoformat()
                msg.facts["named_date_words"] = found.group(0).strip()[:200]
                break
