"""When is mailbot healthy (``/healthz``, ``mailbot status``)?"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from mailbot import clock, health

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    clock.use(lambda: NOW)
    yield
    clock.use(None)


def _write(tmp_path, doc) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / health.FILE).write_text(json.dumps(doc))


def _ok(minutes_ago: float) -> dict:
    return {"last_ok": (NOW - timedelta(minutes=minutes_ago)).isoformat()}


def test_a_cron_tick_every_five_minutes_is_healthy_and_a_stopped_one_is_not(tmp_path):
    _write(tmp_path, {"sync": _ok(9), "release": _ok(9)})
    assert health.verdict(tmp_path, poll_seconds=60).healthy
    _write(tmp_path, {"sync": _ok(12), "release": _ok(1)})
    late = health.verdict(tmp_path, poll_seconds=60)
    assert not late.healthy and "no good sync step for 720 s" in late.why


def test_the_last_failure_is_named(tmp_path):
    _write(tmp_path, {"sync": {**_ok(30), "last_error": "mailbox: unreachable"}, "release": _ok(1)})
    assert "the last failure: mailbox: unreachable" in health.verdict(tmp_path, 60).why


@pytest.mark.parametrize(
    "doc",
    [
        {"sync": {"last_ok": "yesterday"}, "release": "x"},
        {"sync": {"last_ok": "2026-12-01T08:59:00"}, "release": _ok(1)},  # no zone
        ["not", "a", "dict"],
        {},
    ],
)
def test_a_damaged_or_empty_file_means_no_good_cycle(tmp_path, doc):
    _write(tmp_path, doc)
    v = health.verdict(tmp_path, 60)
    assert not v.healthy and v.why.startswith("no good")


def test_a_last_good_step_in_the_future_is_not_trusted(tmp_path):
    future = {"last_ok": (NOW + timedelta(days=180)).isoformat()}
    _write(tmp_path, {"sync": future, "release": future})
    v = health.verdict(tmp_path, 60)
    assert not v.healthy and "in the future" in v.why
