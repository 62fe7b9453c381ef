"""The support process as a table of scenarios, each run through the CLI (``mailbot
tick``, ``mailbot case N mark …``, ``mailbot case N --json``) with the clock set by
``MAILBOT_NOW``, over a real Maildir and database. Each step is (local Berlin time,
verb, argument); the expectations are steps too, so a scenario reads as a timeline.

Verbs: ``customer`` (a reply from the customer; ``open`` starts the case), ``auto`` (an
automatic reply), ``engineer`` (the engineer's own mail, optionally with a category),
``mark`` (a CLI signal), ``tick``, ``approve``, ``approve_with`` (the engineer adds a
line first), ``daily`` (every business day until the date: tick, approve what is
drafted, tick again), and the checks ``drafts`` (kinds awaiting approval), ``sent``
(kinds sent so far), ``no_sent``, ``last_sent_has`` (text in the last message sent),
``reminders`` (reminder kinds present in the Inbox), ``state``, ``subject``,
``timeline`` (a rule that must appear in the case timeline).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest

from mailbot import cli, clock
from tests import helpers
from tests.integration.world import BERLIN

SUBJECT = f"Pipeline fails with timeout - TrackingID#{helpers.CASE}"
FIRST = [
    ("Mon 30 Nov 09:30", "open", "Hello, our nightly pipeline fails with a timeout."),
    ("Mon 30 Nov 09:31", "tick", None),
    ("Mon 30 Nov 09:32", "approve", None),
    ("Mon 30 Nov 10:00", "tick", None),
    ("Mon 30 Nov 10:01", "sent", ["first_response"]),
]
SOLUTION = [
    (
        "Mon 30 Nov 11:00",
        "engineer",
        ("Please raise the timeout to 300 seconds.", "Mailbot: Solution delivered"),
    ),
    ("Mon 30 Nov 11:05", "tick", None),
]

SCENARIOS = {
    "R01 R02 R04 R23: first response drafted at once, sent only in business time": [
        ("Fri 27 Nov 18:30", "open", "Hello, our nightly pipeline fails with a timeout."),
        ("Fri 27 Nov 18:31", "tick", None),
        ("Fri 27 Nov 18:32", "drafts", ["first_response"]),
        ("Fri 27 Nov 18:33", "approve", None),
        ("Sat 28 Nov 11:00", "tick", None),
        ("Sat 28 Nov 11:01", "sent", []),
        ("Mon 30 Nov 09:01", "tick", None),
        ("Mon 30 Nov 09:02", "sent", ["first_response"]),
        ("Mon 30 Nov 09:03", "timeline", "R23"),
    ],
    "R02 R24: what leaves copies the service desk and carries the full signature": [
        *FIRST,
        (
            "Mon 30 Nov 10:02",
            "last_sent_has",
            [
                "Cc: support@servicedesk.example",
                "Alex Rivera",
                "Support Engineer | Data Platform Support",
                "+49 30 5550 1234",
                "Sam Okafor",
            ],
        ),
    ],
    "R25: a placeholder left in an approved draft blocks the send": [
        ("Mon 30 Nov 09:30", "open", "Hello, our nightly pipeline fails with a timeout."),
        ("Mon 30 Nov 09:31", "tick", None),
        ("Mon 30 Nov 09:32", "approve_with", "Please send [customer name] the logs."),
        ("Mon 30 Nov 10:00", "tick", None),
        ("Mon 30 Nov 10:01", "sent", []),
        ("Mon 30 Nov 10:02", "reminders", ["remind_blocked"]),
        ("Mon 30 Nov 10:03", "timeline", "R25"),
    ],
    "R28: thread data is erased after the retention period": [
        *FIRST,
        *SOLUTION,
        ("Mon 30 Nov 15:00", "customer", "That worked, thank you! You can close the case."),
        ("Mon 30 Nov 15:01", "tick", None),
        ("Mon 30 Nov 15:02", "approve", None),
        ("Mon 30 Nov 15:03", "tick", None),
        ("2027 Tue 02 Mar 10:00", "tick", None),
        ("2027 Tue 02 Mar 10:01", "timeline", "R28"),
        ("2027 Tue 02 Mar 10:02", "subject", ""),
    ],
    "R07: a follow-up after 3 business days of silence, not before": [
        *FIRST,
        ("Thu 03 Dec 09:50", "tick", None),
        ("Thu 03 Dec 09:51", "drafts", []),
        ("Thu 03 Dec 10:05", "tick", None),
        ("Thu 03 Dec 10:06", "drafts", ["followup_info"]),
    ],
    "R03 R15: an out-of-office reply is not an answer and pauses follow-ups": [
        *FIRST,
        ("Mon 30 Nov 10:30", "auto", "I am out of the office until 10 December 2026."),
        ("Mon 30 Nov 10:31", "tick", None),
        ("Mon 30 Nov 10:32", "state", "waiting_info"),
        ("Thu 03 Dec 10:05", "tick", None),
        ("Thu 03 Dec 10:06", "drafts", []),
        ("Thu 10 Dec 10:05", "tick", None),
        ("Thu 10 Dec 10:06", "drafts", []),  # "until 10 December": the 10th is still a day away
        ("Fri 11 Dec 10:05", "tick", None),
        ("Fri 11 Dec 10:06", "drafts", ["followup_info"]),
        ("Fri 11 Dec 10:07", "timeline", "R15"),
    ],
    "R17 R16 R18 R20 R21: confirmation, last quality response, closure, reopening": [
        *FIRST,
        *SOLUTION,
        ("Mon 30 Nov 15:00", "customer", "That worked, thank you! You can close the case."),
        ("Mon 30 Nov 15:01", "tick", None),
        ("Mon 30 Nov 15:02", "drafts", ["lqr_resolved"]),
        ("Mon 30 Nov 15:03", "approve", None),
        ("Mon 30 Nov 15:04", "tick", None),
        ("Mon 30 Nov 15:05", "state", "closed"),
        ("Mon 30 Nov 15:06", "reminders", ["remind_closure_checklist"]),
        ("Thu 03 Dec 10:00", "customer", "Hello again, the error is back."),
        ("Thu 03 Dec 10:01", "tick", None),
        ("Thu 03 Dec 10:02", "state", "active"),
        ("Thu 03 Dec 10:03", "timeline", "R21"),
    ],
    "R19: a customer message before an approved follow-up leaves makes it stale": [
        *FIRST,
        ("Thu 03 Dec 10:05", "tick", None),
        ("Thu 03 Dec 17:30", "approve", None),
        ("Thu 03 Dec 17:31", "tick", None),
        ("Fri 04 Dec 08:30", "customer", "Here are the logs you asked for."),
        ("Fri 04 Dec 09:05", "tick", None),
        ("Fri 04 Dec 09:06", "sent", ["first_response"]),
        ("Fri 04 Dec 09:07", "timeline", "R19"),
    ],
    "R27: a password in customer mail: reminder now and a rotate-it draft": [
        *FIRST,
        ("Mon 30 Nov 11:00", "customer", "You can log in, our password: Winter2026!Secret"),
        ("Mon 30 Nov 11:01", "tick", None),
        ("Mon 30 Nov 11:02", "reminders", ["remind_secret"]),
        ("Mon 30 Nov 11:03", "drafts", ["rotate_secret"]),
    ],
    "R08 R30: strong wording: propose a call, involve a senior engineer": [
        *FIRST,
        ("Tue 01 Dec 10:00", "customer", "This is unacceptable, we are losing data every night."),
        ("Tue 01 Dec 10:01", "tick", None),
        ("Tue 01 Dec 10:02", "reminders", ["remind_dissatisfied", "remind_propose_call"]),
        ("Tue 01 Dec 10:03", "timeline", "R08"),
    ],
    "R05: a customer who asks for a call gets a call reminder instead of an email": [
        *FIRST,
        ("Tue 01 Dec 10:00", "customer", "Please call me, that is easier for us."),
        ("Tue 01 Dec 10:01", "tick", None),
        ("Tue 01 Dec 11:00", "engineer", ("Could you send the logs?", None)),
        ("Fri 04 Dec 11:05", "tick", None),
        ("Fri 04 Dec 11:06", "reminders", ["remind_call"]),
        ("Fri 04 Dec 11:07", "drafts", []),
    ],
    "R06: the engineer's promised date is reminded when due": [
        *FIRST,
        ("Mon 30 Nov 15:00", "engineer", ("I will update you by Thursday.", None)),
        ("Mon 30 Nov 15:01", "tick", None),
        ("Thu 03 Dec 09:05", "tick", None),
        ("Thu 03 Dec 09:06", "reminders", ["remind_promise"]),
    ],
    "R09: a voicemail signal drafts the email with the next steps": [
        *FIRST,
        ("Tue 01 Dec 10:00", "mark", "called-voicemail"),
        ("Tue 01 Dec 10:01", "tick", None),
        ("Tue 01 Dec 10:02", "drafts", ["voicemail_followup"]),
    ],
    "R22: a collaboration gets no strikes, only a reminder to confirm with the owner": [
        *FIRST,
        ("Mon 30 Nov 11:00", "engineer", ("Asked the owner to join.", "Mailbot: Collaboration")),
        ("Mon 30 Nov 11:05", "tick", None),
        *SOLUTION[:1],
        ("Mon 30 Nov 11:06", "tick", None),
        ("Wed 23 Dec 10:00", "daily", None),
        ("Wed 23 Dec 11:00", "reminders", ["remind_collab_owner"]),
        ("Wed 23 Dec 11:01", "state", "solution_delivered"),
        ("Wed 23 Dec 11:02", "no_sent", "strike_1"),
    ],
    "R10 R11 R12 R13 R14: a silent customer after a solution, all the way to closure": [
        *FIRST,
        *SOLUTION,
        ("Wed 30 Dec 17:00", "daily", None),
        (
            "Wed 30 Dec 17:10",
            "sent",
            [
                "first_response",
                "followup_solution",
                "followup_solution",
                "followup_solution",
                "strike_1",
                "strike_2",
                "strike_3",
                "closure_unresponsive",
            ],
        ),
        ("Wed 30 Dec 17:11", "reminders", ["remind_call", "remind_closure_checklist"]),
        ("Wed 30 Dec 17:12", "state", "closed"),
        ("Wed 30 Dec 17:13", "timeline", "R13"),
    ],
    "Pause: no follow-up until the date the engineer gave": [
        *FIRST,
        ("Mon 30 Nov 11:00", "mark", ("pause", "2026-12-10")),
        ("Thu 03 Dec 10:05", "tick", None),
        ("Wed 09 Dec 16:00", "tick", None),
        ("Wed 09 Dec 16:01", "drafts", []),
        ("Thu 10 Dec 09:05", "tick", None),
        ("Thu 10 Dec 09:06", "drafts", ["followup_info"]),
    ],
}


def _at(text: str) -> datetime:
    """ "Mon 30 Nov 09:30" (2026) or "2027 Tue 02 Mar 10:00", Berlin time."""
    stamp = text if text[:4].isdigit() else f"2026 {text}"
    return datetime.strptime(stamp, "%Y %a %d %b %H:%M").replace(tzinfo=BERLIN)


class Script:
    """Runs one scenario's steps through the CLI."""

    def __init__(self, tmp_path, db_url, monkeypatch, capsys) -> None:
        self.settings = helpers.settings(tmp_path, db_url)
        self.config = helpers.write_toml(
            tmp_path / "mailbot.toml", helpers.config_dict(tmp_path, db_url)
        )
        self.root = self.settings.mailbox.maildir_path
        self.pickup = self.settings.mailbox.pickup_dir
        self.monkeypatch, self.capsys = monkeypatch, capsys
        self.last_id: str | None = None
        self.now = _at("Mon 30 Nov 09:00")

    def cli(self, *args: str) -> str:
        self.monkeypatch.setenv("MAILBOT_NOW", self.now.isoformat())
        code = cli.main([*args, "--config", str(self.config)])
        out = self.capsys.readouterr().out
        assert code == 0, f"mailbot {' '.join(args)} exited {code}"
        return out

    def deliver(self, body: str, folder: str | None = None, **kw) -> None:
        msg = helpers.mail(body=body, when=self.now, in_reply_to=self.last_id, **kw)
        if folder is None:
            self.last_id = msg["Message-ID"]
        helpers.deliver(self.root, msg, folder)

    def _kinds(self, paths) -> list[str]:
        return sorted(message_from_bytes(p.read_bytes())["X-Mailbot-Kind"] for p in paths)

    def sent(self) -> list[str]:
        if not self.pickup.exists():
            return []
        msgs = [message_from_bytes(p.read_bytes(), policy=default) for p in self.pickup.glob("*")]
        return [m["X-Mailbot-Kind"] for m in sorted(msgs, key=lambda m: m["Date"].datetime)]

    def case(self) -> dict:
        return json.loads(self.cli("case", helpers.CASE, "--json"))

    def step(self, verb: str, arg) -> None:  # type: ignore[no-untyped-def]
        if verb == "open":
            self.deliver(arg, subject=SUBJECT)
        elif verb == "customer":
            self.deliver(arg, subject="RE: " + SUBJECT)
        elif verb == "auto":
            self.deliver(
                arg,
                subject="Automatic reply: RE: " + SUBJECT,
                headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
            )
        elif verb == "engineer":
            body, category = arg
            self.deliver(
                body,
                "Sent Items",
                sender=f"Alex Rivera <{helpers.ENGINEER}>",
                to=helpers.CUSTOMER,
                subject="RE: " + SUBJECT,
                headers={"Keywords": category} if category else None,
            )
        elif verb == "mark":
            name, value = arg if isinstance(arg, tuple) else (arg, None)
            self.cli("case", helpers.CASE, "mark", name, *(["--value", value] if value else []))
        elif verb == "tick":
            self.cli("tick")
        elif verb == "approve":
            helpers.approve_all(self.root)
        elif verb == "approve_with":  # the engineer's own line, as they typed it
            for path in helpers.folder_files(self.root, "Mailbot/Awaiting Approval"):
                helpers.personalise(path, arg)
            helpers.approve_all(self.root, edit=False)
        elif verb == "drafts":
            assert self._kinds(helpers.folder_files(self.root, "Mailbot/Awaiting Approval")) == arg
        elif verb == "sent":
            assert self.sent() == arg
        elif verb == "no_sent":
            assert arg not in self.sent()
        elif verb == "reminders":
            inbox = [
                p
                for sub in ("new", "cur")
                for p in (self.root / sub).iterdir()
                if message_from_bytes(p.read_bytes())["X-Mailbot-Kind"]
            ]
            assert set(arg) <= set(self._kinds(inbox)), self._kinds(inbox)
        elif verb == "last_sent_has":
            last = max(self.pickup.glob("*"), key=lambda p: p.stat().st_mtime)
            text = message_from_bytes(last.read_bytes(), policy=default)
            whole = f"Cc: {text['Cc']}\n" + text.get_body(("plain",)).get_content()
            missing = [needle for needle in arg if needle not in whole]
            assert not missing, missing
        elif verb == "subject":
            assert self.case()["subject"] == arg
        elif verb == "state":
            assert self.case()["state"] == arg
        elif verb == "timeline":
            assert any(e["rule"] == arg for e in self.case()["timeline"]), arg
        else:
            raise ValueError(verb)

    def daily(self, until: datetime) -> None:
        """Every weekday at 10:00 and 16:00 until ``until``: tick, approve what was drafted
        at once, tick again (the engineer who approves promptly)."""
        day = self.now.replace(hour=0, minute=0) + timedelta(days=1)
        while day <= until:
            if day.weekday() >= 5:  # nothing is due at the weekend (R23)
                day += timedelta(days=1)
                continue
            for hour in (10, 16):
                self.now = day.replace(hour=hour)
                self.cli("tick")
                helpers.approve_all(self.root)
                self.now = day.replace(hour=hour, minute=5)
                self.cli("tick")
            day += timedelta(days=1)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_through_the_cli(name, tmp_path, db_url, monkeypatch, capsys):
    script = Script(tmp_path, db_url, monkeypatch, capsys)
    try:
        for when, verb, arg in SCENARIOS[name]:
            script.now = _at(when) if verb != "daily" else script.now
            if verb == "daily":
                script.daily(_at(when))
                continue
            try:
                script.step(verb, arg)
            except AssertionError as exc:
                raise AssertionError(f"{name}: at {when}, {verb} {arg!r}: {exc}") from None
    finally:
        clock.use(None)


def test_rehearsal_clock_is_refused_for_the_daemon_and_must_carry_an_offset(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("MAILBOT_NOW", "2026-11-30T10:00+01:00")
    assert cli.main(["run", "--config", str(tmp_path / "none.toml")]) == 2
    assert "real clock" in capsys.readouterr().err
    monkeypatch.setenv("MAILBOT_NOW", "2026-11-30T10:00")
    assert cli.main(["cases", "--config", str(tmp_path / "none.toml")]) == 2
    assert "offset" in capsys.readouterr().err
    clock.use(None)
