"""Prometheus metrics for ``mailbot run`` (prometheus_client), off unless the config
names a loopback address (``[daemon] metrics_address``).

Two kinds:
- counted in the process: cycle step durations, mailbox requests by operation,
  throttling waits. The recording functions cost nothing while metrics are off (the
  default, and every ``tick``), so adapters call them freely;
- read from the database at each scrape (:mod:`mailbot.views.status`): mail ingested by
  folder and class, quarantined, drafts by kind and state, sends, stale, failures,
  unconfirmed sends, blocked cases, the age of the last good cycle. These are the
  truth of the mailbox's work, whichever process did it, and what ``mailbot status``
  prints.

``/healthz`` answers 200 while the last good cycle is recent and 503 otherwise
(:mod:`mailbot.health`); every other path serves the metrics.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import structlog

log = structlog.get_logger("mailbot.metrics")
_live: dict[str, Any] = {}  # the in-process metrics, once metrics are on


def step_seconds(step: str, seconds: float) -> None:
    if _live:
        _live["steps"].labels(step).observe(seconds)


def mailbox_request(operation: str) -> None:
    if _live:
        _live["requests"].labels(operation).inc()


def throttle_wait(seconds: float) -> None:
    if _live:
        _live["throttle"].inc(seconds)


class _DatabaseCollector:
    """Gauges computed from the database at each scrape."""

    def __init__(self, figures: Callable[[], dict[str, Any]]) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        try:
            f = self.figures()
        except Exception as exc:  # the database is down: the in-process metrics still show
            from mailbot.errors import describe

            log.error("metrics: figures unavailable", error=describe(exc)[1])
            yield GaugeMetricFamily(
                "mailbot_database_up", "Whether the figures could be read", value=0
            )
            return
        yield GaugeMetricFamily("mailbot_database_up", "Whether the figures could be read", value=1)
        ingested = GaugeMetricFamily(
            "mailbot_messages_ingested",
            "Messages read, by folder and class",
            labels=["folder", "class"],
        )
        for (folder, kind), n in sorted(f["ingested"].items()):
            ingested.add_metric([folder, kind], n)
        yield ingested
        yield GaugeMetricFamily(
            "mailbot_quarantined", "Messages in quarantine (not dropped)", value=f["quarantined"]
        )
        drafts = GaugeMetricFamily(
            "mailbot_outbox", "Outbox rows by kind and state", labels=["kind", "state"]
        )
        for (kind, state), n in sorted(f["outbox"].items()):
            drafts.add_metric([kind, state], n)
        yield drafts
        for name, help_text in (
            ("sent", "Emails sent to customers and managers"),
            ("stale", "Drafts made stale by a customer reply (R19)"),
            ("failed", "Outbox rows that failed"),
            ("unconfirmed", "Sends whose outcome could not be proven (the engineer was told)"),
            ("blocked_cases", "Open cases whose next step is blocked"),
            ("open_cases", "Open cases"),
        ):
            yield GaugeMetricFamily(f"mailbot_{name}", help_text, value=f[name])
        age = f["last_good_cycle_age_seconds"]
        yield GaugeMetricFamily(
            "mailbot_last_good_cycle_age_seconds",
            "Seconds since sync and release last both finished well (-1: never)",
            value=-1 if age is None else age,
        )


def serve(
    address: str, figures: Callable[[], dict[str, Any]], healthy: Callable[[], tuple[bool, str]]
) -> Callable[[], None]:
    """Serve metrics and ``/healthz`` on ``host:port`` in a background thread; returns
    the function that stops the server."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
    from prometheus_client.exposition import ThreadingWSGIServer

    registry = CollectorRegistry()
    _live["steps"] = Histogram(
        "mailbot_cycle_step_seconds",
        "Duration of each cycle step",
        ["step"],
        registry=registry,
        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    )
    _live["requests"] = Counter(
        "mailbot_mailbox_requests",
        "Requests to the mailbox by operation",
        ["operation"],
        registry=registry,
    )
    _live["throttle"] = Counter(
        "mailbot_throttle_wait_seconds",
        "Seconds waited because the server throttled",
        registry=registry,
    )
    registry.register(_DatabaseCollector(figures))
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            try:
                ok, why = healthy()
            except Exception as exc:  # whatever broke, a monitor gets 503 and a reason
                from mailbot.errors import describe

                ok, why = False, describe(exc)[1]
            status = "200 OK" if ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [(why + "\n").encode()]
        return metrics_app(environ, start_response)

    class _Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:  # scrapes are not log lines
            pass

    host, _, port = address.rpartition(":")
    host = host.strip("[]")

    class _Server(ThreadingWSGIServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = make_server(host, int(port), app, _Server, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        _live.clear()

    return stop
