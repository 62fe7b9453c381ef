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
    """``routes``: a tests/integration/https_fake.py route table, when the fake is served
    over real HTTPS; by default ``responses`` answers in-process."""

    def __init__(self, tmp_path, data: dict, fake, routes=None) -> None:  # type: ignore[no-untyped-def]
        self.data = data
        self.settings = config.parse(self.data, base=tmp_path)
        self.fake = fake
        self.mocked = routes is None
        self.rsps = (
            responses.RequestsMock(assert_all_requests_are_fired=False)
            if routes is None
            else routes
        )
        if self.mocked:
            self.rsps.start()
        self.fake.install(self.rsps)
        self.traveller = time_machine.travel(berlin(2026, 11, 30, 9, 30), tick=False)
        self.coords = self.traveller.start()
        self.sleeps: list[float] = []
        self.app = self.build()

    def quiet(self, app) -> None:  # type: ignore[no-untyped-def]
        """Route the adapter's back-off sleeps into ``self.sleeps`` (tests never sleep)."""
        box = app.mailbox
        if hasattr(box, "client"):  # Graph
            box.client.sleep = self.sleeps.append
        else:  # EWS
            box.call.sleep = self.sleeps.append

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
        if self.mocked:
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


def signed_in_cache(path, scope: str) -> None:  # type: ignore[no-untyped-def]
    """What `mailbot login` leaves behind: a refresh token in an msal cache, its access
    token long expired whatever the test clock says (tests travel in time)."""
    import msal

    cache = msal.SerializableTokenCache()
    cache.add(
        {
            "client_id": "11111111-2222-3333-4444-555555555555",
            "scope": [scope],
            "token_endpoint": "https://login.microsoftonline.com/contoso-tenant/oauth2/v2.0/token",
            "response": {
                "access_token": "expired",
                "refresh_token": "r",
                "expires_in": -(10**9),
                "token_type": "Bearer",
                "client_info": "eyJ1aWQiOiJ1IiwidXRpZCI6InQifQ",
            },
        }
    )
    path.write_text(cache.serialize())


def corporate_ca_variables(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A ca_bundle file for the config, and REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE set to
    another one (as on many corporate machines): returns the ca_bundle path."""
    ca = tmp_path / "corp-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")  # only its path matters in-process
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "env-ca.pem"))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path / "env-ca.pem"))
    return ca


def verified_against(rsps) -> set:  # type: ignore[no-untyped-def]
    """The ``verify`` every request went out with."""
    return {c.request.req_kwargs.get("verify") for c in rsps.calls}
