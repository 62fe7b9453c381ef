"""How well mailbot reads mail: the labelled corpus (tests/corpus) through the filter chain.

    .venv/bin/python bench/reading.py [--extra DIR ...]

Prints the confusion table (automatic mail against people's mail), the kinds of automatic
mail, the first-day-back accuracy per language, the default pause on date-less
out-of-office replies, named dates, intents, phone and wording, secrets (kinds right and
values that would be stored). ``--extra DIR`` also reads every ``*.eml`` in DIR as
automatic mail rewritten into case mail (the case number added to the subject, the
engineer in To, the support address in Cc) and counts how many would be taken for the
customer: a way to try a real-world bounce or auto-reply collection kept outside the
repository.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import helpers  # noqa: E402
from tests.corpus.evaluate import read, score  # noqa: E402

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)


def _pct(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.1f} %)" if total else "-"


def report(settings) -> None:  # type: ignore[no-untyped-def]
    s = score(settings)
    c = s.confusion
    print("Automatic mail against people's mail (rows: truth, columns: read as)")
    print(f"{'':>12} {'automatic':>10} {'person':>8}")
    for truth in ("automatic", "person"):
        print(f"{truth:>12} {c[(truth, 'automatic')]:>10} {c[(truth, 'person')]:>8}")
    print(f"  automatic mail counted as contact: {c[('automatic', 'person')]}")
    print(f"  people taken for automatic mail:   {c[('person', 'automatic')]}")
    print("\nKinds of automatic mail (expected -> read: n)")
    for (expected, got), n in sorted(s.kinds.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        print(f"  {expected:>16} -> {got or 'person'}: {n}")
    print("\nOut-of-office first day back, per language")
    right = total = 0
    for lang in sorted(s.dates):
        r, n = s.dates[lang]
        right, total = right + r, total + n
        print(f"  {lang}: {_pct(r, n)}")
    print(f"  all: {_pct(right, total)}")
    print(f"  default pause on date-less replies: {_pct(*s.default_pause)}")
    print(f"\nNamed dates: {_pct(*s.named)}")
    print(f"Intents: {_pct(*s.intents)}")
    print(f"Phone preference and strong wording: {_pct(*s.wording)}")
    print(
        f"Secrets named with their kind: {_pct(*s.secrets)}; values that would be stored: {s.leaks}"
    )
    if s.misses:
        print("\nRead wrong:")
        for name, why in s.misses:
            print(f"  {name}: {why}")


def rewrite(raw: bytes) -> bytes:
    msg = BytesParser(policy=compat32).parsebytes(raw)
    subject = str(msg.get("Subject", ""))
    for name in ("To", "Cc", "Subject"):
        del msg[name]
    msg["To"], msg["Cc"] = helpers.ENGINEER, helpers.SUPPORT
    msg["Subject"] = f"{subject} - TrackingID#{helpers.CASE}"
    return msg.as_bytes()


def extra(settings, folder: Path) -> None:  # type: ignore[no-untyped-def]
    files = sorted(folder.glob("*.eml"))
    contact = []
    for path in files:
        try:
            msg = read(settings, rewrite(path.read_bytes()), NOW, path.name)
        except Exception as exc:  # an unreadable file is quarantined, never contact
            print(f"  {path.name}: unreadable ({type(exc).__name__})")
            continue
        if msg.automatic is None and msg.direction == "customer":
            contact.append(path.name)
    print(f"\n{folder}: {len(files)} messages, {len(contact)} taken for the customer")
    for name in contact:
        print(f"  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extra", type=Path, action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = helpers.settings(Path(tmp), "sqlite:///x.db")
        report(settings)
        for folder in args.extra:
            extra(settings, folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
