"""R27: find access secrets in mail, mask them before anything is stored or logged, and
note their *kind* for the reminder and the rotation request. The value never leaves
this module.

Two sources of rules, one finder for detection and masking alike:

- detect-secrets' plugins (maintained patterns for cloud and service credentials: AWS
  key ids, Azure storage keys, JWTs, private keys, GitHub/GitLab/Slack/Stripe/… tokens,
  credentials in URLs), each run only when a cheap literal hint is in the text;
- our own rules (:mod:`mailbot.ingest.secret_rules`) for how people write secrets in
  prose, in the languages we read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from mailbot.domain.kinds import Direction
from mailbot.ingest.command_secrets import command_line_secrets
from mailbot.ingest.context import IngestContext
from mailbot.ingest.secret_rules import Span, literal_gates_hold, rules

# Every token these plugins find starts with one of these (their patterns are case-sensitive,
# so the lower-cased text holds the prefix whenever the text does). "gh" and "gl" alone are
# in "through" and "english": nearly every message, and each loaded detect-secrets.
_GITHUB_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")
_GITLAB_PREFIXES = ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-",
                    "glimt-", "glptt-", "glagent-", "gloas-")  # fmt: skip
# (module, plugin class, kind we report, literal hints: the plugin runs only if one is
# present in the lower-cased text; tests/unit/test_secrets_gates.py holds each plugin's
# patterns to them)
_PLUGINS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("aws", "AWSKeyDetector", "cloud access key", ("akia", "asia", "abia", "acca", "a3t", "aws")),
    ("azure_storage_key", "AzureStorageKeyDetector", "storage account key", ("accountkey=",)),
    ("jwt", "JwtTokenDetector", "security token", ("eyj",)),
    ("private_key", "PrivateKeyDetector", "private key", ("private key", "putty-user-key")),
    ("github_token", "GitHubTokenDetector", "security token", _GITHUB_PREFIXES),
    ("gitlab_token", "GitLabTokenDetector", "security token", _GITLAB_PREFIXES),
    ("slack", "SlackDetector", "security token", ("xox", "hooks.slack.com")),
    ("stripe", "StripeDetector", "service key", ("k_live_",)),
    ("sendgrid", "SendGridDetector", "service key", ("sg.",)),
    ("pypi_token", "PypiTokenDetector", "service key", ("pypi-",)),
    ("openai", "OpenAIDetector", "service key", ("t3blbkfj",)),
    ("mailchimp", "MailchimpDetector", "service key", ("-us",)),
    ("basic_auth", "BasicAuthDetector", "password", ("://",)),
)
# Every plugin's hints: most mail holds none, and one pass over them is cheaper than
# thirteen.
_PLUGIN_HINTS = tuple(dict.fromkeys(hint for *_, hints in _PLUGINS for hint in hints))
# Cheap substring checks for our own rules: most mail mentions none of these.
HINTS = (
    "passw", "passcode", "kennwort", "pwd", "pw", "pin", "mot de passe", "mdp", "contrase",
    "clave", "wachtwoord", "senha", "hasło", "haslo", "parola", "key", "token", "secret",
    "schlüssel", "schluessel", "clé", "cle", "chiave", "sleutel", "chave", "klucz",
    "geheim", "jeton", "sig=", "bearer", "private key", "putty", "://", "==", "q~",
    "gh", "npm_", "xox", "login", "user", "benutzer", "zugang", "credential", "identifiant",
    "usuario", "utente", "gebruiker", "usuário", "użytkownik", "account", "konto", "compte",
    "credenz", "credenc", "inlog", "logowania", "anmelde", "admin", "root", "postgres",
    "log in", "log-in", "log on", "logon", "sign in", "sign-in", "signin", "sa /", "sa/",
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


@cache
def _plugin(module: str, cls: str) -> Any:
    """A detect-secrets plugin instance, created once, and only when a message holds one
    of its hints: importing detect-secrets (and the ``requests`` it imports) costs a
    fifth of a second, more than reading a thousand messages' secrets, and most runs
    never need it."""
    import importlib

    return getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)()


def _occurrences(text: str, value: str) -> Iterator[tuple[int, int]]:
    pos = 0
    while value and (at := text.find(value, pos)) >= 0:
        yield at, at + len(value)
        pos = at + len(value)


def _plugin_spans(text: str, lowered: str, gated: bool) -> Iterator[Span]:
    if gated and not any(map(lowered.__contains__, _PLUGIN_HINTS)):
        return
    for module, cls, kind, hints in _PLUGINS:
        if gated and not any(map(lowered.__contains__, hints)):
            continue
        plugin = _plugin(module, cls)
        if kind == "security token" and "eyj" in hints:
            candidates = _jwt_candidates(text)  # the plugin's own pattern backtracks
        else:
            candidates = [text]
        values: set[str] = set()
        for piece in candidates:
            for value in plugin.analyze_string(piece):
                if isinstance(value, tuple):  # a pattern with groups yields tuples
                    value = next((v for v in value if v), "")
                values.add(value)
        for value in values:
            for start, end in _occurrences(text, value):
                yield kind, start, end


def _jwt_candidates(text: str) -> list[str]:
    """Whole dotted tokens starting with ``eyJ`` (split on anything a JWT cannot hold),
    so the plugin sees each token once instead of scanning runs from every offset."""
    tokens = []
    for word in text.replace("\n", " ").split(" "):
        start = word.find("eyJ")
        if start >= 0 and "." in word[start:]:
            tokens.append(word[start:].strip("\"'<>(),;"))
        if len(tokens) >= 20:
            break
    return tokens


GENERIC_KINDS = frozenset({"password", "access key"})
# What :func:`scan` leaves in place of a value ("[password removed]"). Read again (a
# customer's reply quoting a subject mailbot masked) it is never a secret, whichever
# rule or plugin would take it for a value.
_MASK = re.compile(r"\[[a-z ]{2,40} removed\]")


def find_secrets(text: str) -> list[Finding]:
    """Every secret in ``text``, without overlaps, in text order; the earlier rule wins
    where two overlap (plugins first: their kinds are the most specific)."""
    if not text:
        return []
    lowered = text.lower()
    # a character that IGNORECASE folds to ASCII and lower() does not ("paſsword") makes
    # the lower-cased hints blind: such a text runs every plugin and rule
    gated = literal_gates_hold(text)
    spans: list[Span] = []
    spans.extend(_plugin_spans(text, lowered, gated))
    if not gated or any(map(lowered.__contains__, HINTS)):  # map: no frame per hint
        spans.extend(rules(text))
    spans.extend(command_line_secrets(text))  # case-sensitive: exact gates of its own
    chosen: list[Finding] = []
    # at one start the specific kind names the finding ("connection string" over the
    # "password" of its Password= pair, "security token" over a "token is eyJ…" key)
    order = sorted(spans, key=lambda s: (s[1], s[0] in GENERIC_KINDS, -(s[2] - s[1])))
    for kind, start, end in order:
        if end <= start or _MASK.match(text, start):
            continue
        if chosen and start < chosen[-1].end:
            last = chosen[-1]
            if end > last.end:  # overlapping: widen the earlier finding
                chosen[-1] = Finding(last.kind, last.start, end)
            continue
        chosen.append(Finding(kind, start, end))
    return chosen


def scan(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with every secret replaced by "[<kind> removed]", and the kinds found."""
    findings = find_secrets(text)
    if not findings:
        return text, ()
    out, pos = [], 0
    for f in findings:
        out.append(text[pos : f.start])
        out.append(f"[{f.kind} removed]")
        pos = f.end
    out.append(text[pos:])
    return "".join(out), tuple(dict.fromkeys(f.kind for f in findings))


def mask_secrets(text: str) -> str:
    """``text`` with every secret replaced by its kind in brackets."""
    return scan(text)[0]


def secret_kind(text: str) -> str | None:
    """The kind of the first secret in ``text``, or None."""
    findings = find_secrets(text)
    return findings[0].kind if findings else None


def apply(msg: Any, ctx: IngestContext) -> None:
    """Note the kind of secret a customer sent (subject, body or attachment names); the
    values were already masked out of everything the message exposes."""
    if not msg.written_by(Direction.CUSTOMER):
        return
    kinds = msg.secret_kinds
    if kinds:
        msg.facts["secret_kind"] = kinds[0]
        if len(kinds) > 1:
            msg.facts["secret_kinds"] = list(kinds)
