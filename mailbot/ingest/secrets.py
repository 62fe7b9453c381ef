"""R27: notice access secrets in customer mail. Only the *kind* of secret is kept; the
value never leaves this function (not stored, not logged)."""

from __future__ import annotations

import re

from mailbot.domain.kinds import Direction
from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----")),
    ("cloud access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("storage account key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{20,}")),
    ("shared access signature", re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{20,}")),
    ("bearer token", re.compile(r"\bBearer\s+eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")),
    ("client secret", re.compile(r"client[_ ]?secret\s*[:=]\s*\S{8,}", re.IGNORECASE)),
    (
        "password",
        re.compile(
            r"\b(?:password|passwort|kennwort|mot de passe|contraseña|pwd|passwd)\b\s*"
            r"(?:[:=]|\b(?:is|ist|lautet|est|es)\b\s*:?)\s*\S{4,}",
            re.IGNORECASE,
        ),
    ),
)


# Cheap substring checks first: most mail mentions none of these, and the patterns are
# then never run.
HINTS = (
    "passw",
    "kennwort",
    "mot de passe",
    "contraseña",
    "pwd",
    "akia",
    "accountkey",
    "sig=",
    "bearer",
    "private key",
    "secret",
)


def secret_kind(text: str) -> str | None:
    lowered = text.lower()
    if not any(hint in lowered for hint in HINTS):
        return None
    for kind, pattern in PATTERNS:
        if pattern.search(text):
            return kind
    return None


def mask_secrets(text: str) -> str:
    """``text`` with every secret replaced by its kind in brackets (for stored excerpts)."""
    lowered = text.lower()
    if not any(hint in lowered for hint in HINTS):
        return text
    for kind, pattern in PATTERNS:
        text = pattern.sub(f"[{kind} removed]", text)
    return text


def apply(msg: IncomingMessage, ctx: IngestContext) -> None:
    if not msg.written_by(Direction.CUSTOMER):
        return
    kind = secret_kind(msg.body)
    if kind:
        msg.facts["secret_kind"] = kind
