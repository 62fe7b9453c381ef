"""Test helpers: a config for a temporary Maildir, and mail written as a person would."""

from __future__ import annotations

import contextlib
import os
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parsedate_to_datetime
from pathlib import Path
from typing import Any

from mailbot import config

ENGINEER = "alex.rivera@contoso.example"
SUPPORT = "support@servicedesk.example"
CUSTOMER = "maria.lopez@fabrikam.example"
CASE = "2611230010001234"


def config_dict(tmp: Path, db_url: str, summary: bool = False, **policy: Any) -> dict[str, Any]:
    """A complete config; the weekly summary is off unless a test is about it."""
    return {
        "summary": {"enabled": summary},
        "engineer": {
            "name": "Alex Rivera",
            "email": ENGINEER,
            "title": "Support Engineer",
            "team": "Data Platform Support",
            "working_hours": "Mon-Fri 09:00-17:00 CET",
            "phone": "+49 30 5550 1234",
            "manager_name": "Sam Okafor",
            "manager_email": "sam.okafor@contoso.example",
        },
        "calendar": {
            "timezone": "Europe/Berlin",
            "country": "DE",
            "subdivision": "BE",
            "start": "09:00",
            "end": "17:00",
        },
        "cases": {"support_address": SUPPORT, "internal_domains": ["contoso.example"]},
        "mailbox": {
            "kind": "maildir",
            "maildir": {"path": str(tmp / "Maildir"), "pickup_dir": str(tmp / "outgoing")},
        },
        "data": {"dir": str(tmp / "data")},
        "database": {"url": db_url},
        "policy": policy,
    }


def settings(tmp: Path, db_url: str, summary: bool = False, **policy: Any) -> config.Settings:
    return config.parse(config_dict(tmp, db_url, summary, **policy), file="test.toml", base=tmp)


def mail(
    *,
    sender: str = f"Maria Lopez <{CUSTOMER}>",
    to: str = ENGINEER,
    cc: str | None = SUPPORT,
    subject: str = f"Pipeline fails with timeout - TrackingID#{CASE}",
    body: str = "Hello, our nightly pipeline fails with a timeout since Monday.",
    when: datetime | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    if when is not None:
        msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id or make_msgid(domain="test.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


_n = [0]


def deliver(
    maildir: Path,
    msg: EmailMessage | bytes,
    folder: str | None = None,
    when: datetime | None = None,
) -> Path:
    """Drop a message into a Maildir++ folder as an MTA (or Outlook's sync) would: the
    file name starts with the delivery time, by default the message's own Date (so a
    test's timeline does not depend on the real clock), else the process clock."""
    base = maildir if not folder else maildir / ("." + folder.replace("/", "."))
    for sub in ("cur", "new", "tmp"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    _n[0] += 1
    data = msg if isinstance(msg, bytes) else msg.as_bytes()
    if when is None and not isinstance(msg, bytes) and msg["Date"]:
        with contextlib.suppress(TypeError, ValueError):
            when = parsedate_to_datetime(str(msg["Date"]))
    stamp = int(when.timestamp()) if when is not None else int(time.time())
    name = f"{stamp}.T{_n[0]}P{os.getpid()}.test"
    (base / "tmp" / name).write_bytes(data)
    os.replace(base / "tmp" / name, base / "new" / name)
    return base / "new" / name


def folder_files(maildir: Path, folder: str) -> list[Path]:
    base = maildir / ("." + folder.replace("/", "."))
    return sorted(
        p for sub in ("new", "cur") if (base / sub).exists() for p in (base / sub).iterdir()
    )


def personalise(path: Path, line: str = "Please send the run ID.") -> None:
    """What the engineer does in their mail client: add a line of their own to the draft."""
    from email import message_from_bytes
    from email.policy import default

    msg = message_from_bytes(path.read_bytes(), policy=default.clone(max_line_length=200))
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            content = part.get_content().replace("Kind regards,", f"{line}\n\nKind regards,", 1)
            part.set_content(content, subtype=part.get_content_subtype())
    path.write_bytes(msg.as_bytes())


def approve_all(maildir: Path, edit: bool = True) -> int:
    """Approve every draft the way the engineer would: personalise it, move it to Approved."""
    moved = 0
    for path in folder_files(maildir, "Mailbot/Awaiting Approval"):
        if edit:
            personalise(path)
        dest = maildir / ".Mailbot.Approved" / "cur" / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
        moved += 1
    return moved


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """Write a config dict as the TOML file a user would write."""
    import json

    lines: list[str] = []

    def emit(prefix: str, table: dict[str, Any]) -> None:
        lines.append(f"[{prefix}]")
        for k, v in table.items():
            if not isinstance(v, dict):
                lines.append(f"{k} = {json.dumps(v)}")
        for k, v in table.items():
            if isinstance(v, dict):
                emit(f"{prefix}.{k}", v)

    for name, table in data.items():
        emit(name, table)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def chromium_screenshot(page: Path, tmp: Path, size: str = "700,900"):  # type: ignore[no-untyped-def]
    """A real headless Chromium's screenshot of ``page``, as RGB pixels (0..1), and what
    the summary's page should show: the chart's dark blue bars (a mask) and the count of
    pixels of the tables' shaded header rows."""
    import subprocess

    from matplotlib import image as mpimg

    shot = tmp / "screenshot.png"
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
            f"--user-data-dir={tmp / 'profile'}",
            f"--window-size={size}",
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
    table_header = (
        (abs(pixels[:, :, 0] - 0xF2 / 255) < 0.02) & (abs(pixels[:, :, 2] - 0xFA / 255) < 0.02)
    ).sum()
    return dark_blue, int(table_header)
