"""R05 and R08 from the customer's words: a stated preference for the phone, and strong
negative wording. A heuristic, so the trigger words are kept with the decision."""

from __future__ import annotations

import re

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage

PHONE = re.compile(
    r"(please (call|phone|ring) me|call me (at|on|back)|(prefer|rather have) a (call|phone call)|reach me (by|on the) phone|"
    r"give me a call|rufen sie mich (bitte )?an|bitte rufen sie|telefonisch erreichbar|appelez-moi|merci de m'appeler|"
    r"ll[aá]me(me)?|prefiero una llamada)"
)
UPSET = re.compile(
    r"(unacceptable|very (disappointed|unhappy|frustrated)|extremely (disappointed|frustrated)|this is ridiculous|"
    r"escalat(e|ion)|complain(t)? to your manager|speak to your manager|waste of (my|our) time|still no (answer|solution)|"
    r"inakzeptabel|sehr (enttäuscht|unzufrieden)|eskalation|inacceptable|très déçu|inaceptable|muy decepcionado)"
)


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if not msg.written_by(Direction.CUSTOMER):
        return
    lowered = msg.body.lower()
    if found := PHONE.search(lowered):
        msg.facts["prefers_phone"] = found.group(0)
    if found := UPSET.search(lowered):
        msg.facts["upset_words"] = found.group(0)
