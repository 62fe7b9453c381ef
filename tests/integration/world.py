"""A small world for engine tests: a real Maildir, a real database, the real engine, and
time moved with time-machine. Only the engineer's hands are simulated (moving files)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from mailbot import app as app_mod
from mailbot.cycle import run_cycle
from mailbot.store.models import Case, Event, Outbox
from tests import helpers

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


class World:
    def __init__(
        self, tmp: Path, db_url: str, start: datetime, summary: bool = False, **policy
    ) -> None:
        self.tmp = tmp
        self.settings = helpers.settings(tmp, db_url, summary, **policy)
        self.root = self.settings.mailbox.maildir_path
        self.pickup = self.settings.mailbox.pickup_dir
        self.traveller = time_machine.travel(start, tick=False)
        self.coords = self.traveller.start()
        self.app = app_mod.build(self.settings)
        self.last_id: str | None = None

    def close(self) -> None:
        self.app.engine.dispose()
        self.traveller.stop()

    def restart(self, mailbox=None) -> None:
        """A new process: new engine and adapter over the same database and Maildir."""
        self.app.engine.dispose()
        self.app = app_mod.build(self.settings, mailbox=mailbox)

    # time
    def at(self, when: datetime) -> World:
        self.coords.move_to(when)
        return self

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    # the outside world
    def customer(self, body: str = "Hello, our pipeline fails with a timeout.", **kw) -> Path:
        kw.setdefault("when", self.now())
        if self.last_id and "in_reply_to" not in kw and kw.get("subject", "").startswith("RE"):
            kw["in_reply_to"] = self.last_id
        msg = helpers.mail(body=body, **kw)
        self.last_id = msg["Message-ID"]
        return helpers.deliver(self.root, msg)

    def engineer_sent(self, body: str, keywords: str | None = None, **kw) -> Path:
        kw.setdefault("when", self.now())
        headers = {"Keywords": keywords} if keywords else {}
        msg = helpers.mail(
            sender=f"Alex Rivera <{helpers.ENGINEER}>",
            to=helpers.CUSTOMER,
            body=body,
            subject=f"RE: Pipeline fails with timeout - TrackingID#{helpers.CASE}",
            headers=headers,
            **kw,
        )
        return helpers.deliver(self.root, msg, "Sent Items")

    # the engineer's hands
    def drafts(self) -> list[Path]:
        return helpers.folder_files(self.root, "Mailbot/Awaiting Approval")

    def draft_kinds(self) -> list[str]:
        return [message_from_bytes(p.read_bytes())["X-Mailbot-Kind"] for p in self.drafts()]

    def approve(self, edit: bool = True) -> int:
        return helpers.approve_all(self.root, edit=edit)

    def reject_by_deleting(self) -> None:
        for path in self.drafts():
            path.unlink()

    # observing
    def tick(self):
        return run_cycle(self.app)

    def sent(self) -> list:
        if not self.pickup.exists():
            return []
        msgs = [
            message_from_bytes(p.read_bytes(), policy=default) for p in self.pickup.glob("*.eml")
        ]
        return sorted(msgs, key=lambda m: parsedate_to_datetime(m["Date"]))

    def sent_kinds(self) -> list[str]:
        return [m["X-Mailbot-Kind"] for m in self.sent()]

    def inbox_reminders(self) -> list[str]:
        out = []
        for sub in ("new", "cur"):
            for p in (self.root / sub).iterdir():
                m = message_from_bytes(p.read_bytes())
                if m["X-Mailbot-Kind"]:
                    out.append(m["X-Mailbot-Kind"])
        return sorted(out)

    def inbox_reminder(self, kind: str) -> str:
        """The text of the reminder of ``kind`` in the engineer's Inbox."""
        for sub in ("new", "cur"):
            for p in (self.root / sub).iterdir():
                m = message_from_bytes(p.read_bytes(), policy=default)
                if m["X-Mailbot-Kind"] == kind:
                    return m.get_body(("plain",)).get_content()
        raise AssertionError(f"no {kind} reminder in the Inbox")

    def case(self) -> Case:
        with self.app.sessions() as s:
            return s.scalar(select(Case).where(Case.number == helpers.CASE))

    def rows(self) -> list[Outbox]:
        with self.app.sessions() as s:
            return list(s.scalars(select(Outbox).order_by(Outbox.id)))

    def events(self, kind: str | None = None) -> list[Event]:
        with self.app.sessions() as s:
            q = select(Event).order_by(Event.at, Event.id)
            if kind:
                q = q.where(Event.kind == kind)
            return list(s.scalars(q))


def move_file(src: Path, dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / src.name
    os.replace(src, dest)
    return dest
