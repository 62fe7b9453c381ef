"""An NTLM acceptor for the EWS fake, with pyspnego as the server side: a real
negotiate / challenge / authenticate exchange (NTLMv2, with the TLS channel binding when
the request came over HTTPS), checked against the password in an ``NTLM_USER_FILE``
(``DOMAIN:user:password`` lines, pyspnego's credential store for acceptors).

NTLM authenticates a connection, not a request: once the handshake succeeded on a
connection, its next requests need no header (what Exchange and IIS do)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import spnego
from spnego.channel_bindings import GssChannelBindings
from spnego.exceptions import SpnegoError

CHALLENGE = {"WWW-Authenticate": "NTLM", "Connection": "keep-alive"}


def user_file(folder: Path, domain: str, user: str, password: str) -> Path:
    path = folder / "ntlm-users"
    path.write_text(f"{domain}:{user}:{password}\n", encoding="utf-8")
    return path


class NtlmAcceptor:
    def __init__(self) -> None:
        self.handshakes = 0  # connections authenticated
        self.users: list[str] = []
        self._state: dict = {}  # without a connection (responses): one shared state

    def authorise(self, request):  # type: ignore[no-untyped-def]
        state = getattr(request, "connection_state", None)
        state = self._state if state is None else state
        if state.get("user"):
            return True
        header = request.headers.get("Authorization") or ""
        if not header.startswith("NTLM "):
            state.pop("context", None)
            return 401, CHALLENGE, ""
        token = base64.b64decode(header[5:])
        context = state.get("context")
        if context is None:
            bindings = None
            if state.get("cert_der"):  # RFC 5929 tls-server-end-point, SHA-256 certificate
                digest = hashlib.sha256(state["cert_der"]).digest()
                bindings = GssChannelBindings(application_data=b"tls-server-end-point:" + digest)
            context = spnego.server(protocol="ntlm", channel_bindings=bindings)
            state["context"] = context
        try:
            answer = context.step(token)
        except SpnegoError:
            state.pop("context", None)
            return 401, CHALLENGE, ""
        if not context.complete:
            return (
                401,
                {**CHALLENGE, "WWW-Authenticate": "NTLM " + base64.b64encode(answer).decode()},
                "",
            )
        state.pop("context", None)
        state["user"] = context.client_principal
        self.handshakes += 1
        self.users.append(context.client_principal)
        return True
