"""Wiring: settings → calendar, database and mailbox adapter, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.domain.calendar import BusinessCalendar
from mailbot.mailbox.port import MailboxPort
from mailbot.store.db import ensure_schema, make_engine, session_factory


@dataclass
class App:
    settings: Settings
    calendar: BusinessCalendar
    engine: Engine
    sessions: sessionmaker[Session]
    mailbox: MailboxPort
    # A team worker's lease check, run inside the send claim's transaction with the
    # outbox row's id: False means another worker now serves this mailbox (mailbot/team).
    send_fence: Callable[[Session, int], bool] | None = None

    @property
    def watched_folders(self) -> list[str]:
        f = self.settings.mailbox.folders
        return [f.inbox, f.sent]


def open_mailbox(settings: Settings) -> MailboxPort:
    """The adapter the config names (imported only when used: start-up stays fast)."""
    if settings.mailbox.kind == "graph":
        from mailbot.mailbox.graph.adapter import open_graph

        return open_graph(settings)
    if settings.mailbox.kind == "ews":
        from mailbot.mailbox.ews.adapter import open_ews

        return open_ews(settings)
    from mailbot.mailbox.maildir import open_maildir

    return open_maildir(settings)


class NoMailbox:
    """The mailbox of a command that only reads the database (``cases``, ``case``,
    ``plan``): those work when the mailbox is unreachable, and start without reaching it."""

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        raise RuntimeError(f"this command does not use the mailbox (asked for {name})")


def build(
    settings: Settings,
    mailbox: MailboxPort | None = None,
    migrate: bool = True,
    connect: bool = True,
    engine: Engine | None = None,
) -> App:
    engine = engine or make_engine(settings.database_url)
    if migrate:
        ensure_schema(engine)
    if not connect:
        mailbox = NoMailbox()  # type: ignore[assignment]
    elif mailbox is None:
        mailbox = open_mailbox(settings)
    if connect:
        mailbox.ensure_folders()
    return App(
        settings,
        BusinessCalendar.from_settings(settings.calendar, settings.public_holidays),
        engine,
        session_factory(engine),
        mailbox,
    )
