"""A mailbot against a faked remote mailbox (Graph or EWS): the real engine and database,
HTTP answered by a stateful fake through ``responses``, and a clock that travels."""

from __future__ import annotations

import responses
import time_machine
from sqlalchemy import select

from mailbot import app as app_mod
from mailbot import config
from mailbot.cycle import run_cycle
from mailbot.store.models import Outbox
from tests.integration.world import berlin


class RemoteWorld:
    def __init__(self, tmp_path, data: dict, fake) -> None:
        self.data = data
        self.settings = config.parse(self.data, base=tmp_path)
        self.fake = fake
        self.rsps = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.rsps.start()
        self.fake.install(self.rsps)
        self.traveller = time_machine.travel(berlin(2026, 11, 30, 9, 30), tick=False)
        self.coords = self.traveller.start()
        self.sleeps: list[float] = []
        self.app = self.build()

    def quiet(self, app) -> None:  # type: ignore[no-untyped-def]
        """Route the adapter's back-off sleeps into ``self.sleeps`` (tests never sleep)."""
        raise NotImplementedError

    def build(self):
        app = app_mod.build(self.settings)
        self.quiet(app)
        return app

    def restart(self) -> None:
        self.app.engine.dispose()
        self.app = self.build()

    def close(self) -> None:
        self.app.engine.dispose()
        self.traveller.stop()
        self.rsps.stop()
        self.rsps.reset()

    def at(self, when):
        self.coords.move_to(when)
        return self

    def tick(self):
        return run_cycle(self.app)

    def rows(self) -> list[Outbox]:
        with self.app.sessions() as s:
            return list(s.scalars(select(Outbox).order_by(Outbox.id)))
