"""Sending through a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from tests import helpers
from tests.integration.world import World, berlin


class Collect:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_approved_email_goes_through_smtp_once_with_support_in_cc(
    tmp_path, db_url, smtp_server, monkeypatch
):
    controller, handler = smtp_server
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        data = helpers.config_dict(tmp_path, db_url)
        data["mailbox"]["maildir"]["send"] = "smtp"
        data["mailbox"]["smtp"] = {"host": "127.0.0.1", "port": controller.port, "starttls": False}
        from mailbot import config

        w.settings = config.parse(data, base=tmp_path)
        w.restart()
        w.customer(subject=f"Pipeline fails - TrackingID#{helpers.CASE}")
        w.tick()
        w.approve()
        w.at(berlin(2026, 11, 30, 10)).tick()
        w.tick()
        assert len(handler.envelopes) == 1
        env = handler.envelopes[0]
        assert env.mail_from == helpers.ENGINEER
        assert set(env.rcpt_tos) == {helpers.CUSTOMER, helpers.SUPPORT}
        assert f"TrackingID#{helpers.CASE}".encode() in env.content
        assert len(helpers.folder_files(w.root, "Sent Items")) == 1
    finally:
        w.close()
