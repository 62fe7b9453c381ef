"""Read the labelled corpus through the filter chain and score it against its labels.

Shared by tests/unit/test_reading.py (which asserts the targets) and bench/reading.py
(which prints the figures). Each message is filed as case mail of a known case, as
`mailbot tick` would file it, with the default configuration ([cases] languages en, de,
fr, es: the other four languages are read from Content-Language or the reply's words).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from mailbot.config import Settings
from mailbot.ingest import automatic, pipeline
from mailbot.ingest.context import IngestContext
from mailbot.ingest.message import IncomingMessage
from mailbot.mailbox.port import ItemRef

CORPUS = Path(__file__).parent
STORED_FACTS = (
    "excerpt",
    "intent_words",
    "named_date_words",
    "ooo_words",
    "prefers_phone",
    "upset_words",
)


def labels(corpus: Path = CORPUS) -> dict[str, dict]:
    return json.loads((corpus / "labels.json").read_text(encoding="utf-8"))


def read(settings: Settings, raw: bytes, when: datetime, key: str = "k") -> IncomingMessage:
    """One message through the filter chain, as case mail of case 7."""
    msg = IncomingMessage.from_head(
        ItemRef("INBOX", key, key), raw, lambda: raw, when + timedelta(minutes=1), when
    )
    ctx = IngestContext(settings, lambda ids: None, lambda n: 7, when)
    return pipeline.run(msg, ctx)


@dataclass
class Score:
    """Counts per category; ``misses`` names every message read wrong and why."""

    confusion: Counter = field(default_factory=Counter)  # (truth, verdict) -> n
    kinds: Counter = field(default_factory=Counter)  # (expected kind, read kind) -> n
    dates: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # lang -> [right, all]
    default_pause: list = field(default_factory=lambda: [0, 0])
    named: list = field(default_factory=lambda: [0, 0])
    intents: list = field(default_factory=lambda: [0, 0])
    wording: list = field(default_factory=lambda: [0, 0])
    secrets: list = field(default_factory=lambda: [0, 0])  # [kind right, all]
    leaks: int = 0
    misses: list = field(default_factory=list)

    def rate(self, pair: list) -> float:
        return pair[0] / pair[1] if pair[1] else 1.0


def _stored(msg: IncomingMessage) -> str:
    """Everything of a message that filing would store or a log could show."""
    facts = {k: v for k, v in msg.facts.items() if isinstance(v, str)}
    return "\n".join([msg.subject, msg.automatic or "", *facts.values()])


def score(settings: Settings, corpus: Path = CORPUS) -> Score:
    s = Score()
    for name, label in sorted(labels(corpus).items()):
        raw = (corpus / "mail" / name).read_bytes()
        msg = read(settings, raw, datetime.fromisoformat(label["date"]), name)
        cat = label["category"]
        is_auto = cat in ("automatic", "ooo")
        read_auto = msg.automatic is not None
        s.confusion[
            ("automatic" if is_auto else "person", "automatic" if read_auto else "person")
        ] += 1
        if is_auto != read_auto:
            s.misses.append((name, f"automatic={msg.automatic!r}"))
        if cat == "automatic":
            kind = automatic.kind_of(msg.automatic)
            s.kinds[(label["kind"], kind)] += 1
            if kind != label["kind"]:
                s.misses.append((name, f"kind {kind!r}, expected {label['kind']!r}"))
        elif cat == "ooo":
            got = msg.facts.get("ooo_until")
            if label["ooo_until"] is None:
                s.default_pause[1] += 1
                paused = bool(msg.facts.get("out_of_office")) and got is None
                s.default_pause[0] += paused
                if not paused:
                    s.misses.append(
                        (
                            name,
                            f"no default pause: ooo={msg.facts.get('out_of_office')} until={got}",
                        )
                    )
            else:
                s.dates[label["lang"]][1] += 1
                s.dates[label["lang"]][0] += got == label["ooo_until"]
                if got != label["ooo_until"]:
                    s.misses.append(
                        (
                            name,
                            f"back {got}, expected {label['ooo_until']} ({msg.facts.get('ooo_words')!r})",
                        )
                    )
        elif cat == "named_date":
            got = msg.facts.get("named_date")
            s.named[1] += 1
            s.named[0] += got == label["named_date"]
            if got != label["named_date"]:
                s.misses.append((name, f"named {got}, expected {label['named_date']}"))
        elif cat == "intent":
            got = msg.facts.get("intent")
            s.intents[1] += 1
            s.intents[0] += got == label["intent"]
            if got != label["intent"]:
                s.misses.append((name, f"intent {got}, expected {label['intent']}"))
        elif cat == "wording":
            s.wording[1] += 1
            s.wording[0] += label["fact"] in msg.facts
            if label["fact"] not in msg.facts:
                s.misses.append((name, f"no {label['fact']}"))
        elif cat == "secret":
            s.secrets[1] += 1
            got = msg.facts.get("secret_kind")
            s.secrets[0] += got == label["secret_kind"]
            if got != label["secret_kind"]:
                s.misses.append((name, f"secret {got}, expected {label['secret_kind']}"))
            if label["secret"] and label["secret"] in _stored(msg) + msg.body:
                s.leaks += 1
                s.misses.append((name, "secret value would be stored"))
    return s
