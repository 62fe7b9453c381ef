"""R03: automatic mail never counts as customer contact and is never answered.

Signals, strongest first: our own key header; RFC 3834 Auto-Submitted; delivery reports
(multipart/report, mailer-daemon); empty Return-Path; Precedence and list headers;
X-Auto-Response-Suppress and X-Autoreply; and the auto-reply subject prefixes Exchange
and other servers use in several languages.
"""

from __future__ import annotations

import re

from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage
from mailbot.mailbox.port import KEY_HEADER

AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|out of (the )?office|automatische antwort|abwesenheitsnotiz|"
    r"réponse automatique|respuesta automática|automatisch antwoord|risposta automatica|automatiskt svar|"
    r"undeliverable|undelivered mail|delivery status notification|mail delivery failed|returned mail|"
    r"unzustellbar|non remis|no entregado)\b",
    re.IGNORECASE,
)
OOO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|out of (the )?office|automatische antwort|abwesenheitsnotiz|"
    r"réponse automatique|respuesta automática|absence|abwesend|risposta automatica|fuori ufficio|"
    r"automatisch antwoord|afwezig|resposta automática|ausente)",
    re.IGNORECASE,
)
BOUNCE_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|microsoftexchange[0-9a-f]*)@", re.IGNORECASE
)


def classify(msg: IncomingMessage) -> str | None:
    """Why this message is automatic, or None for mail a person wrote."""
    h = msg.headers
    if h.get(KEY_HEADER):
        return "mailbot's own mail"
    auto = (msg.header("Auto-Submitted") or "").lower()
    if auto and not auto.startswith("no"):
        return (
            "out-of-office"
            if "replied" in auto and OOO_SUBJECT.match(msg.subject)
            else f"Auto-Submitted: {auto}"
        )
    ctype = (msg.header("Content-Type") or "").lower()
    if "multipart/report" in ctype or "delivery-status" in ctype:
        return "delivery report"
    if BOUNCE_SENDERS.match(msg.sender[1]):
        return "delivery report"
    if OOO_SUBJECT.match(msg.subject):
        return "out-of-office"
    if AUTO_SUBJECT.match(msg.subject):
        return "automatic subject"
    if (msg.header("Return-Path") or "").strip() == "<>":
        return "empty return path"
    if (msg.header("Precedence") or "").lower() in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {msg.header('Precedence').lower()}"
    if h.get("List-Id") or h.get("List-Unsubscribe"):
        return "mailing list"
    if h.get("X-Autoreply") or h.get("X-Autorespond"):
        return "out-of-office"
    suppress = (msg.header("X-Auto-Response-Suppress") or "").lower()
    if suppress and suppress not in ("none",) and ("all" in suppress or "oof" in suppress):
        return "X-Auto-Response-Suppress"
    return None


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    msg.automatic = classify(msg)
