"""A realistic mixed corpus for the ingest benchmarks, written straight into a Maildir.

Mix (per 100 messages): 55 customer case mail (plain, HTML-only, quoted replies, some
with attachments of 20-200 KB), 12 out-of-office/auto-replies, 5 bounces
(multipart/report), 10 list/newsletter mail, 8 mail without a case number, 10 replies
that lost the case number but keep In-Reply-To. Deterministic for a given seed."""

from __future__ import annotations

import base64
import os
import random
from pathlib import Path

SUPPORT = "support@servicedesk.example"
ENGINEER = "alex.rivera@contoso.example"
WORDS = [
    "pipeline",
    "timeout",
    "dataset",
    "linked",
    "service",
    "trigger",
    "runtime",
    "gateway",
    "copy",
    "activity",
    "sink",
    "source",
    "parallelism",
    "throughput",
    "partition",
    "schema",
    "mapping",
    "retry",
    "error",
    "warning",
    "cluster",
    "node",
    "subnet",
]


def _sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _headers(rng, i, sender, subject, extra="", cc=SUPPORT, reply_to_id=None) -> str:
    day = 1 + i % 28
    h = (
        f"From: {sender}\nTo: {ENGINEER}\n"
        + (f"Cc: {cc}\n" if cc else "")
        + f"Subject: {subject}\n"
        f"Date: Mon, {day:02d} Nov 2026 {8 + i % 10:02d}:{i % 60:02d}:00 +0100\nMessage-ID: <m{i}.{rng.randrange(10**9)}@mail.example>\n"
    )
    if reply_to_id:
        h += f"In-Reply-To: <m{reply_to_id}@mail.example>\nReferences: <m{reply_to_id}@mail.example>\n"
    return h + extra + "MIME-Version: 1.0\n"


def message(rng: random.Random, i: int, cases: int) -> bytes:
    number = f"2611{rng.randrange(cases):012d}"
    person = rng.choice(
        ["Maria Lopez", "Jonas Berg", "Aiko Tanaka", "Chen Wei", "Fatima Zahra", "Noah Smith"]
    )
    addr = person.lower().replace(" ", ".") + f"@customer{rng.randrange(50)}.example"
    sender = f"{person} <{addr}>"
    kind = rng.randrange(100)
    body = "\n".join(_sentence(rng) for _ in range(rng.randint(3, 12)))
    if kind < 55:
        subject = f"RE: {_sentence(rng, 5)} - TrackingID#{number}"
        if kind < 15:  # HTML only
            html = (
                "<html><body>"
                + "".join(f"<p>{_sentence(rng)}</p>" for _ in range(8))
                + "</body></html>"
            )
            return (
                _headers(rng, i, sender, subject)
                + "Content-Type: text/html; charset=utf-8\n\n"
                + html
                + "\n"
            ).encode()
        if kind < 25:  # with an attachment
            blob = base64.encodebytes(os.urandom(rng.randint(20_000, 200_000))).decode()
            b = "b" + str(i)
            return (
                _headers(rng, i, sender, subject)
                + f'Content-Type: multipart/mixed; boundary="{b}"\n\n'
                f"--{b}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n--{b}\nContent-Type: application/zip\n"
                f'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="logs.zip"\n\n{blob}--{b}--\n'
            ).encode()
        quoted = "\n".join("> " + _sentence(rng) for _ in range(rng.randint(5, 30)))
        text = f"{body}\n\nOn Monday, Alex Rivera wrote:\n{quoted}\n"
        return (
            _headers(rng, i, sender, subject) + "Content-Type: text/plain; charset=utf-8\n\n" + text
        ).encode()
    if kind < 67:
        subject = f"Automatic reply: {_sentence(rng, 4)} - TrackingID#{number}"
        extra = "Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n"
        return (
            _headers(rng, i, sender, subject, extra)
            + "Content-Type: text/plain\n\nI am out of the office until 7 December 2026.\n"
        ).encode()
    if kind < 72:
        b = "r" + str(i)
        return (
            _headers(
                rng,
                i,
                "MAILER-DAEMON@mx.customer.example",
                f"Undeliverable: TrackingID#{number}",
                cc=None,
            )
            + f'Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"\n\n--{b}\n'
            f"Content-Type: text/plain\n\nDelivery failed.\n--{b}\nContent-Type: message/delivery-status\n\n"
            f"Final-Recipient: rfc822;{addr}\nAction: failed\nStatus: 5.1.1\n--{b}--\n"
        ).encode()
    if kind < 82:
        return (
            _headers(
                rng,
                i,
                "Cloud Weekly <news@cloudweekly.example>",
                _sentence(rng, 6),
                "List-Id: <weekly.cloudweekly.example>\n",
                cc=None,
            )
            + "Content-Type: text/plain\n\n"
            + body
            + "\n"
        ).encode()
    if kind < 90:
        return (
            _headers(rng, i, sender, _sentence(rng, 5), cc=None)
            + "Content-Type: text/plain\n\n"
            + body
            + "\n"
        ).encode()
    return (
        _headers(
            rng,
            i,
            sender,
            "RE: " + _sentence(rng, 4),
            cc=None,
            reply_to_id=max(0, i - rng.randint(1, 50)),
        )
        + "Content-Type: text/plain\n\n"
        + body
        + "\n"
    ).encode()


def make_corpus(root: Path, n: int, seed: int = 7) -> list[Path]:
    """Write ``n`` messages into ``root`` (a Maildir); returns their paths."""
    rng = random.Random(seed)
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    paths = []
    cases = max(1, n // 8)
    for i in range(n):
        path = root / "cur" / f"{1795000000 + i}.M{i}P1.bench:2,S"
        path.write_bytes(message(rng, i, cases))
        paths.append(path)
    return paths
