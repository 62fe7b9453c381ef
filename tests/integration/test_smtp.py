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
        del data["mailbox"]["maildir"]["pickup_dir"]
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


class Auth:
    """Records every login attempt: a password must never reach an unverified server."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        from aiosmtpd.smtp import AuthResult

        self.logins.append(auth_data.login.decode())
        return AuthResult(success=True)


@pytest.fixture(params=["127.0.0.1"])
def tls_server(tmp_path, request):
    """An SMTP server requiring STARTTLS, with a certificate for ``request.param`` from a
    private CA (returned as the last item, for ca_bundle)."""
    import ssl

    from tests.tls import make_ca, server_cert

    ca_path, ca, ca_key = make_ca(tmp_path)
    cert, key = server_cert(tmp_path, ca, ca_key, request.param)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    handler, auth = Collect(), Auth()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=tls,
        require_starttls=True,
        authenticator=auth,
        auth_require_tls=True,
    )
    controller.start()
    yield controller, handler, auth, ca_path
    controller.stop()


def _one_message() -> bytes:
    return helpers.mail(sender=helpers.ENGINEER, to=helpers.CUSTOMER).as_bytes()


def test_starttls_verifies_the_certificate_and_never_sends_the_password_otherwise(tls_server):
    from mailbot.mailbox.maildir import smtp_transmitter
    from mailbot.mailbox.port import MailboxError

    controller, handler, auth, ca_path = tls_server
    # the system's trust store does not know this private CA: refused before any login
    send = smtp_transmitter("127.0.0.1", controller.port, True, "alex", "s3cret")
    with pytest.raises(MailboxError, match="does not verify") as refused:
        send(_one_message(), "k1")
    assert refused.value.not_sent and auth.logins == [] and handler.envelopes == []
    # with the CA named in ca_bundle it verifies, signs in over TLS and sends
    send = smtp_transmitter("127.0.0.1", controller.port, True, "alex", "s3cret", ca_path)
    send(_one_message(), "k2")
    assert auth.logins == ["alex"] and len(handler.envelopes) == 1


@pytest.mark.parametrize("tls_server", ["mail.other.example"], indirect=True)
def test_a_certificate_for_another_name_is_refused(tls_server):
    """A valid certificate from the trusted CA, but for another host name."""
    from mailbot.mailbox.maildir import smtp_transmitter
    from mailbot.mailbox.port import MailboxError

    controller, handler, auth, ca_path = tls_server
    send = smtp_transmitter("127.0.0.1", controller.port, True, "alex", "s3cret", ca_path)
    with pytest.raises(MailboxError, match="does not verify"):
        send(_one_message(), "k3")
    assert auth.logins == [] and handler.envelopes == []


def test_credentials_without_tls_are_refused_before_connecting():
    from mailbot.mailbox.maildir import smtp_transmitter

    with pytest.raises(ValueError, match="without TLS"):
        smtp_transmitter("127.0.0.1", 25, False, "alex", "s3cret")
