"""The Exchange adapters against their fakes served over real HTTPS (tests/integration/
https_fake.py): certificates from a private CA, a configured sign-in authority, the
environment's CA variables set to another CA, and NTLM's real challenge/response with
pyspnego as the acceptor, on keep-alive connections."""

from __future__ import annotations

import pytest

from mailbot import cli
from tests import helpers
from tests.integration.fake_ews import FakeEws
from tests.integration.fake_graph import FakeGraph
from tests.integration.https_fake import HttpsServer, Routes
from tests.integration.ntlm import NtlmAcceptor, user_file
from tests.integration.remote_world import RemoteWorld
from tests.integration.test_ews import AWAITING, ews_config
from tests.integration.test_graph import CUSTOMER, SUBJECT, graph_config
from tests.integration.world import berlin
from tests.tls import make_ca, server_cert


@pytest.fixture
def pki(tmp_path, monkeypatch):
    """A private CA for the servers, and the machine's CA variables pointing at another
    CA (as on many corporate machines), which must not win over ca_bundle."""
    ca, ca_cert, ca_key = make_ca(tmp_path, "mailbot private CA")
    other, _, _ = make_ca(tmp_path, "some other CA")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other))
    routes = Routes()
    servers = {
        host: HttpsServer(routes, host, *server_cert(tmp_path, ca_cert, ca_key, host))
        for host in ("localhost", "127.0.0.1")
    }
    yield ca, routes, servers
    for server in servers.values():
        server.close()


def _graph_setup(tmp_path, db_url, monkeypatch, pki, ca_bundle: bool = True):  # type: ignore[no-untyped-def]
    ca, routes, servers = pki
    graph, login = servers["localhost"].base, servers["127.0.0.1"].base
    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "s3cret-value")
    data = graph_config(tmp_path, db_url)
    data["mailbox"]["graph"].update(endpoint=graph, authority_host=login)
    if ca_bundle:
        data["mailbox"]["graph"]["ca_bundle"] = str(ca)
    return data, FakeGraph(helpers.ENGINEER, graph=f"{graph}/v1.0", login=login), routes


def _graph_world(tmp_path, db_url, monkeypatch, pki):  # type: ignore[no-untyped-def]
    data, fake, routes = _graph_setup(tmp_path, db_url, monkeypatch, pki)
    return RemoteWorld(tmp_path, data, fake, routes=routes), fake


def test_graph_over_https_with_a_private_ca_and_a_configured_authority(
    tmp_path, db_url, monkeypatch, pki
):
    w, fake = _graph_world(tmp_path, db_url, monkeypatch, pki)
    try:
        fake.deliver(CUSTOMER, SUBJECT, "Our nightly pipeline fails.", cc=helpers.SUPPORT)
        w.tick()
        assert len(fake.in_folder(fake.path("Mailbot/Awaiting Approval"))) == 1
        assert fake.login_requests == ["metadata", "token"]  # no instance discovery
        for m in fake.in_folder(fake.path("Mailbot/Awaiting Approval")):
            fake.move(m["id"], fake.path("Mailbot/Approved"))
        w.at(berlin(2026, 11, 30, 10)).tick()
        assert fake.count("POST", "/send") == 1
    finally:
        w.close()


def test_graph_over_https_names_the_host_whose_certificate_does_not_verify(
    tmp_path, db_url, monkeypatch, pki, capsys
):
    """Without ca_bundle, the environment's CA (another one) is used: the sign-in host's
    certificate does not verify, and the line says which host and what to do."""
    data, fake, routes = _graph_setup(tmp_path, db_url, monkeypatch, pki, ca_bundle=False)
    fake.install(routes)
    path = helpers.write_toml(tmp_path / "g.toml", data)
    assert cli.main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "TLS verification of 127.0.0.1 failed" in err and "ca_bundle" in err


def _ews_setup(tmp_path, db_url, monkeypatch, pki, password: str = "pa55word"):  # type: ignore[no-untyped-def]
    """The EWS fake behind NTLM on the private CA's server; the account's password in
    the acceptor's credential store, and ``password`` in mailbot's environment."""
    ca, routes, servers = pki
    endpoint = f"{servers['localhost'].base}/EWS/Exchange.asmx"
    monkeypatch.setenv("NTLM_USER_FILE", str(user_file(tmp_path, "CONTOSO", "sam", "pa55word")))
    monkeypatch.setenv("MAILBOT_TEST_EWS_PASSWORD", password)
    data = ews_config(tmp_path, db_url, service_endpoint=endpoint, auth="ntlm", ca_bundle=str(ca))
    fake = FakeEws(helpers.ENGINEER)
    fake.ntlm = NtlmAcceptor()
    served = _Served(fake, endpoint)
    return data, fake, served, routes


class _Served:
    """The fake, installed at the served endpoint."""

    def __init__(self, fake: FakeEws, endpoint: str) -> None:
        self.fake, self.endpoint = fake, endpoint

    def install(self, routes) -> None:  # type: ignore[no-untyped-def]
        self.fake.install(routes, endpoint=self.endpoint)


def test_ews_over_https_signs_in_with_a_real_ntlm_challenge_response(
    tmp_path, db_url, monkeypatch, pki
):
    data, fake, served, routes = _ews_setup(tmp_path, db_url, monkeypatch, pki)
    w = RemoteWorld(tmp_path, data, served, routes=routes)
    try:
        fake.deliver(CUSTOMER, SUBJECT, "Our nightly pipeline fails.", cc=helpers.SUPPORT)
        w.tick()
        assert len(fake.in_folder(fake.folder(AWAITING))) == 1
        assert set(fake.ntlm.users) == {"CONTOSO\\sam"}
        # NTLM authenticates connections: far fewer handshakes than requests
        assert 1 <= fake.ntlm.handshakes < len(fake.requests)
    finally:
        w.close()


def test_ews_ntlm_with_a_wrong_password_is_a_refused_sign_in(
    tmp_path, db_url, monkeypatch, pki, capsys
):
    data, fake, served, routes = _ews_setup(tmp_path, db_url, monkeypatch, pki, "Wr0ng-Pa55")
    served.install(routes)
    path = helpers.write_toml(tmp_path / "ews.toml", data)
    assert cli.main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "sign-in refused (401)" in err and "Wr0ng-Pa55" not in err
    assert fake.ntlm.handshakes == 0
