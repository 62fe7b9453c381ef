"""R20: a Cause / Resolution / Symptom draft for the closure checklist, taken from the
thread's stored excerpts (mailbot/ingest/excerpt.py) for the engineer to edit.

- Symptom: what the customer first wrote.
- Resolution: the engineer's message that delivered the solution (the one that carried
  the signal), else the engineer's last message.
- Cause: the first sentence in the engineer's messages (newest first), then the
  customer's, that explains a cause ("root cause", "because", "due to", and the same in
  German, French and Spanish).

Each note says which message it came from, so the engineer can check it; a note with
nothing to go on says so instead of guessing."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.domain.calendar import BusinessCalendar
from mailbot.domain.kinds import Direction
from mailbot.store.models import Case, MailItem

CAUSE = re.compile(
    r"(root cause|caused by|because|due to|the cause|the reason|"
    r"ursache|verursacht|weil|aufgrund|"
    r"la cause|causé par|parce que|en raison de|"
    r"la causa|causado por|debido a|porque)",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
NOTHING = "(nothing in the thread to go on: write it yourself)"


def _source(item: MailItem, who: str, cal: BusinessCalendar) -> str:
    when = item.sent_at or item.ingested_at
    return f"from {who} message of {cal.local(when):%a %d %b}" if when else f"from {who} message"


def closure_notes(s: Session, case: Case, cal: BusinessCalendar) -> list[dict[str, str]]:
    """[{"name", "text", "source"}] for Symptom, Cause and Resolution, in that order."""
    items = s.scalars(
        select(MailItem)
        .where(MailItem.case_id == case.id, MailItem.automatic.is_(None))
        .order_by(MailItem.sent_at, MailItem.id)
    ).all()
    said = [i for i in items if (i.facts or {}).get("excerpt")]
    customer = [i for i in said if i.direction == Direction.CUSTOMER]
    engineer = [i for i in said if i.direction == Direction.ENGINEER]
    notes = []
    if customer:
        first = customer[0]
        notes.append(
            {
                "name": "Symptom",
                "text": first.facts["excerpt"],
                "source": _source(first, "the customer's", cal),
            }
        )
    else:
        notes.append({"name": "Symptom", "text": NOTHING, "source": ""})
    notes.append(_cause(engineer, customer, cal))
    solution = [i for i in engineer if (i.facts or {}).get("signal") == "solution_delivered"]
    chosen = (solution or engineer)[-1:] if engineer else []
    if chosen:
        notes.append(
            {
                "name": "Resolution",
                "text": chosen[0].facts["excerpt"],
                "source": _source(chosen[0], "your", cal),
            }
        )
    else:
        notes.append({"name": "Resolution", "text": NOTHING, "source": ""})
    return notes


def _cause(
    engineer: list[MailItem], customer: list[MailItem], cal: BusinessCalendar
) -> dict[str, str]:
    for items, who in ((list(reversed(engineer)), "your"), (customer, "the customer's")):
        for item in items:
            for sentence in SENTENCE.findall(item.facts["excerpt"]):
                if CAUSE.search(sentence):
                    return {
                        "name": "Cause",
                        "text": sentence.strip(),
                        "source": _source(item, who, cal),
                    }
    return {"name": "Cause", "text": NOTHING, "source": ""}
