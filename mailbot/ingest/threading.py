"""R01: attach to a case. Case number + support CC is the rule; a reply that lost the
number or the CC still joins through In-Reply-To/References; a known case number alone
joins its case (noted as such in the facts), where the timeline decides whether its
sender is one of the case's people (mail from anyone else moves nothing).

A number whose case is not open yet, without the support address, is remembered in the
facts: the message is parked and joins if that case opens (a first import may read a
case's later mail before the mail that opened it)."""

from __future__ import annotations

from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    by_thread = ctx.case_for_message_id(msg.thread_ids) if msg.thread_ids else None
    if msg.case_number:
        known = ctx.case_id_for_number(msg.case_number)
        if known is not None:
            msg.case_id = known
            if not msg.has_support_cc:
                msg.facts["joined_by"] = "case number (support address missing)"
            return
        if msg.has_support_cc:
            msg.facts["joined_by"] = "case number and support address"
            return  # a new case; filing creates it
    if by_thread is not None:
        msg.case_id = by_thread
        msg.facts["joined_by"] = "reply headers"
        return
    if msg.case_number and not msg.has_support_cc:
        msg.facts["not_a_case"] = "case number without the support address in To/Cc"
        msg.facts["case_number_seen"] = msg.case_number
        msg.case_number = None
