"""The stateful fakes (fake_ews.py, fake_graph.py) served over real HTTPS on loopback,
with a certificate from a private CA (tests/tls.py): TLS verification, CA bundles, the
environment's CA variables, keep-alive connections and NTLM's per-connection handshake
are then the real thing, not a mock of them.

A fake registers its callbacks here exactly as with ``responses``
(``add_callback(method, url_pattern, callback)``); each request reaches its callback as
an object with ``method``, ``url``, ``headers``, ``body`` and ``connection_state`` (a
dict kept for the life of the TCP connection, where an NTLM acceptor keeps its
context)."""

from __future__ import annotations

import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from requests.structures import CaseInsensitiveDict


class Request:
    def __init__(self, method: str, url: str, headers: Any, body: bytes, state: dict) -> None:
        self.method, self.url = method, url
        self.headers = CaseInsensitiveDict(dict(headers.items()))
        self.body = body.decode("utf-8", "replace") if body else None
        self.connection_state = state
        self.req_kwargs: dict = {}


class Routes:
    """What ``responses.RequestsMock`` offers the fakes: a list of callbacks by URL."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, Any, Any]] = []
        self.calls: list[Request] = []

    def add_callback(self, method: str, url: Any, callback: Any, **_: Any) -> None:
        self.routes.append((method.upper(), url, callback))

    def answer(self, request: Request) -> tuple[int, dict, Any]:
        self.calls.append(request)
        for method, url, callback in self.routes:
            matches = url.match(request.url) if isinstance(url, re.Pattern) else url == request.url
            if method == request.method and matches:
                return callback(request)
        return 404, {}, f"no route for {request.method} {request.url}"


class HttpsServer:
    """One HTTPS listener on 127.0.0.1 presenting ``cert`` (for ``host``)."""

    def __init__(self, routes: Routes, host: str, cert: Path, key: Path) -> None:
        self.routes, self.host = routes, host
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.cert_der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: NTLM authenticates the connection

            def setup(self) -> None:
                super().setup()
                self.state: dict = {"cert_der": server.cert_der}

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = f"https://{self.headers.get('Host')}{self.path}"
                request = Request(self.command, url, self.headers, body, self.state)
                status, headers, payload = server.routes.answer(request)
                data = payload.encode() if isinstance(payload, str) else (payload or b"")
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if not any(k.lower() == "content-type" for k in headers or {}):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"https://{self.host}:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
