"""A realistic support mailbox, generated into a Maildir: case threads over a few weeks,
as a support engineer's Inbox and Sent Items hold them.

Per case: the customer's opening mail (case number + support address; plain, HTML-only
or with an attachment), the engineer's answers in Sent Items (some with an Outlook
category: solution delivered, waiting for the customer), customer replies (a third of
them lost the case number and the support address and thread only by In-Reply-To /
References), out-of-office replies, a bounce now and then, a confirmation at the end of
some. Around the cases: newsletters, list mail and mail without a case number.

File names start with the delivery time, as an MTA writes them. Deterministic for a seed;
:func:`generate` returns the ground truth the benchmarks check against."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bench.corpus import ENGINEER, SUPPORT, WORDS

START = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)  # a Monday morning (09:00 in Berlin)
WORDS = [*WORDS, "export", "import", "job", "schedule"]
PEOPLE = ["Maria Lopez", "Jonas Berg", "Aiko Tanaka", "Chen Wei", "Fatima Zahra", "Noah Smith"]


@dataclass
class Truth:
    """What the generated mailbox holds, for checking what mailbot made of it."""

    cases: dict[str, list[str]] = field(default_factory=dict)  # number → customer Message-IDs
    last_customer: dict[str, datetime] = field(default_factory=dict)
    mails: int = 0
    sent: int = 0


def _sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


class _Writer:
    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.n = 0
        for folder in (root, root / ".Sent Items"):
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)

    def write(self, when: datetime, data: bytes, sent: bool = False) -> None:
        self.n += 1
        folder = self.root / ".Sent Items" if sent else self.root
        name = f"{int(when.timestamp())}.M{self.n}P{self.rng.randrange(10**6)}.gen:2,S"
        (folder / "cur" / name).write_bytes(data)


def _head(
    sender: str,
    to: str,
    subject: str,
    when: datetime,
    mid: str,
    cc: str | None = SUPPORT,
    parent: list[str] | None = None,
    extra: str = "",
) -> str:
    h = f"From: {sender}\nTo: {to}\n" + (f"Cc: {cc}\n" if cc else "")
    h += f"Subject: {subject}\nDate: {format_datetime(when)}\nMessage-ID: {mid}\n"
    if parent:
        h += f"In-Reply-To: {parent[-1]}\nReferences: {' '.join(parent[-10:])}\n"
    return h + extra + "MIME-Version: 1.0\n"


def _body(rng: random.Random, head: str, text: str, kind: int) -> bytes:
    if kind < 15:  # HTML only
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\n")) + "</body></html>"
        return (head + "Content-Type: text/html; charset=utf-8\n\n" + html + "\n").encode()
    if kind < 25:  # with an attachment
        blob = base64.encodebytes(rng.randbytes(rng.randint(20_000, 120_000))).decode()
        b = f"b{rng.randrange(10**9)}"
        return (
            head + f'Content-Type: multipart/mixed; boundary="{b}"\n\n'
            f"--{b}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n--{b}\n"
            "Content-Type: application/zip\nContent-Transfer-Encoding: base64\n"
            f'Content-Disposition: attachment; filename="logs.zip"\n\n{blob}--{b}--\n'
        ).encode()
    return (head + "Content-Type: text/plain; charset=utf-8\n\n" + text + "\n").encode()


def _later(rng: random.Random, when: datetime, low_h: float, high_h: float) -> datetime:
    return when + timedelta(minutes=int(rng.uniform(low_h, high_h) * 60))


def generate(root: Path, n: int, seed: int = 7) -> Truth:
    """Write about ``n`` messages into the Maildir ``root`` (Inbox and Sent Items)."""
    rng = random.Random(seed)
    out = _Writer(root, rng)
    truth = Truth()
    case_no = 0
    while out.n < n:
        case_no += 1
        if rng.random() < 0.12:  # noise between the cases
            _noise(rng, out, case_no)
            continue
        _case(rng, out, truth, case_no)
    truth.mails = out.n
    return truth


def _noise(rng: random.Random, out: _Writer, i: int) -> None:
    when = START + timedelta(minutes=rng.randrange(60 * 24 * 28))
    mid = f"<noise{i}.{rng.randrange(10**9)}@news.example>"
    if rng.random() < 0.5:
        head = _head(
            "Cloud Weekly <news@cloudweekly.example>",
            ENGINEER,
            _sentence(rng, 6),
            when,
            mid,
            cc=None,
            extra="List-Id: <weekly.cloudweekly.example>\nPrecedence: bulk\n",
        )
    else:
        person = rng.choice(PEOPLE)
        head = _head(
            f"{person} <{person.lower().replace(' ', '.')}@partner.example>",
            ENGINEER,
            "Lunch next week? " + _sentence(rng, 3),
            when,
            mid,
            cc=None,
        )
    out.write(when, _body(rng, head, _sentence(rng), 50))


def _case(rng: random.Random, out: _Writer, truth: Truth, i: int) -> None:
    number = f"2610{i:012d}"
    person = rng.choice(PEOPLE)
    addr = person.lower().replace(" ", ".") + f"@customer{i % 97}.example"
    customer = f"{person} <{addr}>"
    topic = _sentence(rng, 5).rstrip(".")
    subject = f"{topic} - TrackingID#{number}"
    when = START + timedelta(minutes=rng.randrange(60 * 24 * 21))
    thread: list[str] = []
    ids: list[str] = []

    def customer_mail(body: str, lost: bool = False, kind: int = 60) -> None:
        nonlocal when
        mid = f"<c{i}.{len(thread)}.{rng.randrange(10**9)}@{addr.split('@')[1]}>"
        subj = ("RE: " + topic) if lost else ("RE: " + subject if thread else subject)
        head = _head(
            customer, ENGINEER, subj, when, mid, cc=None if lost else SUPPORT, parent=thread
        )
        quoted = "\n".join("> " + _sentence(rng) for _ in range(rng.randint(0, 12)))
        text = body + ("\n\nOn Monday, Alex Rivera wrote:\n" + quoted if quoted else "")
        out.write(when, _body(rng, head, text, kind))
        thread.append(mid)
        ids.append(mid)
        truth.last_customer[number] = when

    def engineer_mail(body: str, category: str | None = None) -> None:
        mid = f"<e{i}.{len(thread)}.{rng.randrange(10**9)}@contoso.example>"
        extra = f"Keywords: {category}\n" if category else ""
        head = _head(
            f"Alex Rivera <{ENGINEER}>",
            customer,
            "RE: " + subject,
            when,
            mid,
            parent=thread,
            extra=extra,
        )
        out.write(when, _body(rng, head, body, 60), sent=True)
        thread.append(mid)
        truth.sent += 1

    def auto_reply() -> None:
        mid = f"<a{i}.{len(thread)}.{rng.randrange(10**9)}@{addr.split('@')[1]}>"
        head = _head(
            customer,
            ENGINEER,
            "Automatic reply: RE: " + subject,
            when,
            mid,
            parent=thread,
            extra="Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n",
        )
        text = f"I am out of the office until {(when + timedelta(days=7)):%d %B %Y}."
        out.write(when, _body(rng, head, text, 60))

    customer_mail(
        "Hello,\n" + "\n".join(_sentence(rng) for _ in range(rng.randint(2, 8))),
        kind=rng.randrange(100),
    )
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
        when = _later(rng, when, 0.5, 30)
        category = rng.choices(
            [None, "Mailbot: Solution delivered", "Mailbot: Waiting for customer"], [5, 3, 2]
        )[0]
        words = "Please apply the following steps." if category else "Could you send the logs?"
        engineer_mail(words + "\n" + _sentence(rng), category)
        if rng.random() < 0.1:
            when = _later(rng, when, 0.01, 0.2)
            auto_reply()
        if rng.random() < 0.25:
            return  # the customer went silent
        when = _later(rng, when, 1, 72)
        customer_mail(_sentence(rng), lost=rng.random() < 0.33)
    if rng.random() < 0.3:
        when = _later(rng, when, 2, 48)
        customer_mail("That worked, thank you! You can close the case.")
    if rng.random() < 0.04:
        when = _later(rng, when, 0.01, 1)
        b = f"r{i}"
        head = _head(
            "MAILER-DAEMON@mx.customer.example",
            ENGINEER,
            f"Undeliverable: TrackingID#{number}",
            when,
            f"<bounce{i}@mx.customer.example>",
            cc=None,
        )
        out.write(
            when,
            (
                head
                + f'Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"\n\n'
                f"--{b}\nContent-Type: text/plain\n\nDelivery failed.\n--{b}\n"
                f"Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822;{addr}\n"
                f"Action: failed\nStatus: 5.1.1\n--{b}--\n"
            ).encode(),
        )
    truth.cases[number] = ids
