"""The weekly manager summary (R29) with the cases at risk (R30), rendered as an email
and, in a real headless Chromium, as a page whose chart and tables are visible."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mailbot import signals
from mailbot.reports.summary import build_email, chart_png, gather, preview
from tests import helpers
from tests.integration.world import World, berlin


@pytest.fixture
def world(tmp_path, db_url):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    w.customer(subject=f"Pipeline fails with timeout - TrackingID#{helpers.CASE}")
    w.customer(
        subject="Login broken - TrackingID#2611300010009999", sender="Ken Obi <ken@adatum.example>"
    )
    w.tick()
    w.approve()
    w.at(berlin(2026, 11, 30, 10)).tick()
    signals.add(w.app, "2611300010009999", "upset", w.now())
    w.at(berlin(2026, 11, 30, 11)).tick()
    yield w
    w.close()


def test_r29_r30_summary_lists_states_activity_and_cases_at_risk(world):
    s = gather(world.app, world.now())
    assert s.open_total == 2 and dict(s.by_state) == {"Waiting for information": 2}
    assert dict(s.drafted)["first_response"] == 2 and dict(s.sent)["first_response"] == 2
    assert [r["number"] for r in s.at_risk] == ["2611300010009999"]  # R30: listed as at risk
    assert "dissatisfied" in s.at_risk[0]["why"]


def test_r29_summary_email_has_inline_chart_and_text_alternative(world):
    msg = build_email(
        world.app,
        gather(world.app, world.now()),
        world.now(),
        ["sam.okafor@contoso.example"],
        "k-sum",
    )
    assert msg["To"] == "sam.okafor@contoso.example"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert (
        "Cases at risk" in text
        and "2611300010009999" in text
        and "Chart: Case ages by state" in text
    )
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html and image.get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'style="' in html and "<table" in html  # inline styles and tables hold up in Outlook


def test_chart_png_is_a_real_image(world):
    import io

    from matplotlib import image as mpimg

    pixels = mpimg.imread(io.BytesIO(chart_png(gather(world.app, world.now()))), format="png")
    assert pixels.shape[0] > 100 and pixels.shape[1] > 500


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="chromium not installed (scripts/ensure-chromium installs it)",
)
def test_r29_summary_renders_in_headless_chromium_with_chart_and_table_visible(world, tmp_path):
    from matplotlib import image as mpimg

    page = tmp_path / "summary.html"
    page.write_text(preview(world.app, world.now()), encoding="utf-8")
    shot = tmp_path / "summary.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=700,900",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=1800,  # a guard against a hang only: the suite runs on loaded machines
    )
    pixels = mpimg.imread(str(shot))[:, :, :3]
    dark_blue = (
        (abs(pixels[:, :, 0] - 0x2F / 255) < 0.06)
        & (abs(pixels[:, :, 1] - 0x6D / 255) < 0.06)
        & (abs(pixels[:, :, 2] - 0xB3 / 255) < 0.06)
    )
    rows = dark_blue.any(axis=1).nonzero()[0]
    assert dark_blue.sum() > 500 and rows.min() < 250  # the chart's bars are drawn near the top
    table_header = (
        (abs(pixels[:, :, 0] - 0xF2 / 255) < 0.02) & (abs(pixels[:, :, 2] - 0xFA / 255) < 0.02)
    ).sum()
    assert table_header > 2000  # the state table's shaded header row is painted


def test_r29_weekly_summary_is_planned_once_held_for_business_time_and_sent_once(tmp_path, db_url):
    from email import message_from_bytes

    w = World(
        tmp_path, db_url, berlin(2026, 11, 30, 7, 30), summary=True
    )  # Monday, before the 08:00 summary time
    try:
        w.customer(subject=f"Pipeline fails - TrackingID#{helpers.CASE}")
        w.tick()
        assert not any(m["X-Mailbot-Kind"] == "summary_weekly" for m in w.sent())
        w.at(berlin(2026, 11, 30, 8, 1)).tick()  # due, but 08:01 is before working hours (R23)
        w.tick()
        assert w.sent() == []
        w.at(berlin(2026, 11, 30, 9)).tick()
        w.at(berlin(2026, 11, 30, 9, 5)).tick()
        w.at(berlin(2026, 12, 2, 9)).tick()
        summaries = [m for m in w.sent() if m["X-Mailbot-Kind"] == "summary_weekly"]
        assert len(summaries) == 1 and summaries[0]["To"] == "sam.okafor@contoso.example"
        sent_at = message_from_bytes(summaries[0].as_bytes())["Date"]
        assert "09:00" in sent_at or "08:00:00 +0000" in sent_at  # 09:00 Berlin
        w.at(berlin(2026, 12, 7, 9, 30)).tick()  # next Monday: the next week's summary
        assert len([m for m in w.sent() if m["X-Mailbot-Kind"] == "summary_weekly"]) == 2
    finally:
        w.close()
