"""The weekly manager summary (R29) with the cases at risk (R30), rendered as an email
and, in a real headless Chromium, as a page whose chart and tables are visible."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import timedelta

import pytest

from mailbot import signals
from mailbot.domain.kinds import MailKind
from mailbot.reports.labels import KIND_LABELS
from mailbot.reports.summary import (
    Report,
    build_email,
    chart_png,
    gather,
    preview,
    render_html,
    render_text,
)
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
    assert dict(s.drafted)["First response"] == 2 and dict(s.sent)["First response"] == 2
    assert [r["number"] for r in s.at_risk] == ["2611300010009999"]  # R30: listed as at risk
    assert "dissatisfied" in s.at_risk[0]["why"]


def test_r29_summary_compares_the_week_with_the_last_in_business_hours(world):
    s = gather(world.app, world.now())
    # both cases opened Monday 09:30 and were answered by the first responses sent at 10:00
    assert (s.this_week.opened, s.this_week.closed, s.this_week.backlog) == (2, 0, 2)
    assert s.this_week.first_response_hours == [0.5, 0.5]
    assert (s.last_week.opened, s.last_week.backlog, s.last_week.median_first_response) == (
        0,
        0,
        None,
    )
    text = render_text(world.app, s)
    assert "Cases opened: 2 (last week 0)" in text
    assert "Median time to the first response: 0.5 business hours (last week no new cases)" in text
    assert "Backlog at the end of the week: 2 (last week 0)" in text
    # a week later, this week's figures are last week's
    later = gather(world.app, world.now() + timedelta(days=7))
    assert (later.last_week.opened, later.last_week.first_response_hours) == (2, [0.5, 0.5])
    assert (later.this_week.opened, later.this_week.backlog) == (0, 2)


def test_r30_each_case_at_risk_has_its_reason_and_next_step_with_a_date(world):
    (risk,) = gather(world.app, world.now()).at_risk
    assert risk["why"].startswith("dissatisfied customer")
    # waiting for information: the R07 follow-up is the next step, on a business day
    assert risk["next"] == "Follow-up: waiting for information"
    assert risk["next_at"].split()[0] == "due"
    assert risk["next_at"].split()[1] in {"Mon", "Tue", "Wed", "Thu", "Fri"}
    text = render_text(world.app, gather(world.app, world.now()))
    assert f"Next step: Follow-up: waiting for information, {risk['next_at']}" in text


def test_r29_every_kind_has_a_managers_label_and_no_identifier_reaches_the_summary(world):
    assert set(KIND_LABELS) == {k.value for k in MailKind}
    world.at(berlin(2026, 12, 7, 9, 30)).tick()  # a week on, with follow-ups drafted
    s = gather(world.app, world.now())
    text, html = render_text(world.app, s), render_html(world.app, s, "")
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)  # no stored identifier like first_response
    assert Report([s]).activity  # the week's mail is listed, under its labels
    assert "Waiting for information" in html


def test_r29_a_managers_team_summary_covers_each_engineer_and_the_team(world):
    one = gather(world.app, world.now())
    other = replace(
        one,
        engineer="Ken Adams",
        this_week=replace(one.this_week, first_response_hours=[3.0], opened=1, backlog=5),
        at_risk=[dict(one.at_risk[0], number="2611300010008888", engineer="Ken Adams")],
    )
    team = Report([one, other])
    assert team.this_week.opened == 3 and team.this_week.backlog == 7
    assert team.this_week.median_first_response == 0.5  # pooled [0.5, 0.5, 3.0], not averaged
    text = render_text(world.app, team)
    assert text.startswith("Weekly case summary, team of 2 engineers")
    assert "  Ken Adams\n" in text and "  Team\n" in text
    assert "2611300010008888, Ken Adams: dissatisfied customer" in text
    html = render_html(world.app, team, "")
    assert html.count('<tr style="font-weight:bold">') == 1  # the team's row


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
    page = tmp_path / "summary.html"
    page.write_text(preview(world.app, world.now()), encoding="utf-8")
    dark_blue, table_header = helpers.chromium_screenshot(page, tmp_path)
    rows = dark_blue.any(axis=1).nonzero()[0]
    assert dark_blue.sum() > 500 and rows.min() < 700  # the chart is drawn on the first screen
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
        # the summary does not list itself among what mailbot did
        text = render_text(w.app, gather(w.app, w.now()))
        assert "summary" not in text.split("What mailbot did this week")[1].lower()
    finally:
        w.close()


def test_r29_closed_cases_count_this_week_and_a_reopened_case_stays_in_the_backlog(world):
    from mailbot.reports.summary import _week
    from mailbot.store.models import Case

    end = world.now()
    start = end - timedelta(days=7)
    closed_now = Case(id=1, state="closed", opened_at=start - timedelta(days=30))
    closed_now.closed_at = end - timedelta(days=1)
    reopened = Case(id=2, state="active", opened_at=start - timedelta(days=60))
    reopened.closed_at = start - timedelta(days=20)  # closed once, reopened by a reply (R21)
    week = _week(world.app, start, end, [closed_now, reopened], {})
    assert (week.opened, week.closed, week.backlog) == (0, 1, 1)
    earlier = _week(world.app, start - timedelta(days=7), start, [closed_now, reopened], {})
    assert earlier.backlog == 2  # the case closed this week was open when last week ended
