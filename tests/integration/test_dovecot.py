"""mailbot's Maildir served by a real Dovecot (Debian's dovecot-imapd), as an engineer
reads it with Thunderbird or Outlook over IMAP: the test starts Dovecot itself on
loopback with its own config, and talks to it with Python's imaplib. What it checks: the
folders are listed and subscribed (clients show only subscribed folders), a draft is
fetched and approved by an IMAP MOVE, a message APPENDed by a client is filed, a
reminder is \\Flagged, and mailbot picks every change up."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot import config
from mailbot.store.models import Case
from tests import helpers
from tests.integration.world import World, berlin

DOVECOT = shutil.which("dovecot") or next(
    (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None
)
pytestmark = pytest.mark.skipif(
    DOVECOT is None,
    reason="Dovecot is not installed (Debian: apt-get install dovecot-imapd; scripts/ensure-dovecot)",
)
PASSWORD = "imap-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """A private Dovecot: its own config, run directory and port; mail as ``uid``.

    Run by root (a CI container), Dovecot's login processes need its unprivileged users
    and the mail must belong to someone other than root, as Dovecot refuses uid 0: the
    Maildir is then handed to ``nobody`` (``share``) whenever mailbot has written to it,
    as if mailbot and Dovecot ran as the same user, which is how they run for real."""

    def __init__(self, home: Path, maildir: Path) -> None:
        self.home, self.maildir = home, maildir
        self.port = _free_port()
        self.root = os.geteuid() == 0
        me = pwd.getpwuid(os.geteuid())
        if self.root:
            try:
                login, internal = pwd.getpwnam("dovenull"), pwd.getpwnam("dovecot")
                nobody = pwd.getpwnam("nobody")
            except KeyError:
                pytest.skip("Dovecot runs as root here but its users dovenull/dovecot are missing")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            users = (login.pw_name, internal.pw_name, "dovecot")
        else:
            self.uid, self.gid = me.pw_uid, me.pw_gid
            group = __import__("grp").getgrgid(me.pw_gid).gr_name
            users = (me.pw_name, me.pw_name, group)
        run = home / "run"
        run.mkdir()
        (home / "dovecot.conf").write_text(
            f"""
base_dir = {run}
state_dir = {run}/state
log_path = {home}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = {users[0]}
default_internal_user = {users[1]}
default_internal_group = {users[2]}
first_valid_uid = {min(self.uid, 1)}
mail_location = maildir:{maildir}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={maildir}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""",
            encoding="utf-8",
        )
        self.share()
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(home / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                log = (home / "dovecot.log").read_text() if (home / "dovecot.log").exists() else ""
                self.stop()
                pytest.fail(f"Dovecot did not start: {err} {log}")
            time.sleep(0.1)

    def share(self) -> None:
        """The Maildir belongs to the mail user (a no-op unless the test runs as root)."""
        if not self.root:
            return
        for path in [self.maildir, *self.maildir.rglob("*")]:
            os.lchown(path, self.uid, self.gid)

    def client(self) -> imaplib.IMAP4:
        self.share()
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        imap.login("alex", PASSWORD)
        return imap

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


@pytest.fixture
def served(tmp_path, db_url):
    # Outside pytest's tmp dir (0700, root's): Dovecot's users must reach the Maildir.
    home = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
    home.chmod(0o755)
    try:
        data = helpers.config_dict(tmp_path, db_url)
        data["mailbox"]["maildir"]["path"] = str(home / "Maildir")
        world = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
        world.settings = config.parse(data, file="test.toml", base=tmp_path)
        world.root = world.settings.mailbox.maildir_path
        world.restart()  # folders (and subscriptions) in the served Maildir
        dovecot = Dovecot(home, world.root)
        try:
            yield world, dovecot
        finally:
            dovecot.stop()
            world.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _names(answer: list[bytes]) -> set[str]:
    out = set()
    for line in answer:
        name = line.decode().rsplit(' "." ', 1)[1]
        out.add(name.strip('"'))
    return out


def _customer_mail(subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Maria Lopez <maria.lopez@fabrikam.example>"
    msg["To"] = helpers.ENGINEER
    msg["Cc"] = helpers.SUPPORT
    msg["Subject"] = subject
    msg["Date"] = format_datetime(World.now())
    msg["Message-ID"] = make_msgid(domain="fabrikam.example")
    msg.set_content(body)
    return msg.as_bytes()


def test_dovecot_lists_subscribed_folders_and_imap_moves_and_appends_reach_mailbot(served):
    world, dovecot = served
    world.customer(
        "Our pipeline fails. The service password is: Winter2026!Secret",
        subject=f"Pipeline fails - TrackingID#{helpers.CASE}",
    )
    world.tick()  # drafts for approval, and a reminder about the secret (R27)

    imap = dovecot.client()
    try:
        status, listed = imap.list()
        assert status == "OK"
        folders = _names(listed)
        expected = {
            "Mailbot.Awaiting Approval",
            "Mailbot.Approved",
            "Mailbot.Rejected",
            "Mailbot.Not sent",
            "Sent Items",
        }
        assert expected <= folders  # Dovecot's Maildir++ layout, "." between levels
        status, subscribed = imap.lsub()
        assert status == "OK" and expected <= _names(subscribed)  # what clients show

        # the reminder is \Flagged, unread
        imap.select("INBOX")
        status, found = imap.search(None, "FLAGGED")
        assert status == "OK" and len(found[0].split()) == 1
        status, flags = imap.fetch(found[0].split()[0], "(FLAGS)")
        assert b"\\Flagged" in flags[0] and b"\\Seen" not in flags[0]

        # the engineer reads the draft and approves it by moving it (an IMAP MOVE)
        assert imap.select('"Mailbot.Awaiting Approval"')[0] == "OK"
        status, fetched = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT X-MAILBOT-KEY)])")
        header = fetched[0][1].decode()
        assert helpers.CASE in header and "X-Mailbot-Key" in header
        assert imap.uid("MOVE", "1:*", '"Mailbot.Approved"')[0] == "OK"

        # a client files a new customer message into the Inbox (an IMAP APPEND)
        other = "2611230010009999"
        raw = _customer_mail(f"Export broken - TrackingID#{other}", "The export is broken.")
        status, _ = imap.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
        assert status == "OK"
    finally:
        imap.logout()

    world.at(berlin(2026, 11, 30, 10)).tick()
    world.tick()
    sent = world.sent()
    # both drafts (the first response, and the request to rotate the secret) were moved
    assert sorted(m["X-Mailbot-Kind"] for m in sent) == ["first_response", "rotate_secret"]
    with world.app.sessions() as s:
        numbers = set(s.scalars(select(Case.number)))
    assert other in numbers  # the APPENDed message was filed into a case of its own

    imap = dovecot.client()
    try:
        assert imap.select('"Mailbot.Approved"')[1] == [b"0"]  # sent, so gone from Approved
        assert imap.select('"Sent Items"')[1] == [b"2"]  # and their copies are in Sent Items
    finally:
        imap.logout()


def test_subscriptions_keep_the_engineers_own_and_are_written_once(tmp_path, db_url):
    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        path = w.root / "subscriptions"
        path.write_text("V\t2\n\nProjects\tAcme\n", encoding="utf-8")
        w.restart()
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[:3] == ["V\t2", "", "Projects\tAcme"]
        assert "Mailbot\tAwaiting Approval" in lines and "Sent Items" in lines
        before = path.stat().st_mtime_ns
        w.restart()
        assert path.stat().st_mtime_ns == before  # nothing missing: not rewritten
    finally:
        w.close()


def test_maildir_reminder_is_flagged_and_unflagged_when_the_call_is_logged(tmp_path, db_url):
    from mailbot import signals
    from tests.integration.test_engine import solution_delivered

    w = World(tmp_path, db_url, berlin(2026, 11, 30, 9, 30))
    try:
        solution_delivered(w)
        w.at(berlin(2026, 12, 2, 10, 5)).tick()  # 24 hours on: call the customer (R10)

        def reminders() -> list[str]:
            return [p.name for p in (w.root / "cur").iterdir()]

        (name,) = [n for n in reminders() if n.endswith(":2,F")]
        signals.add(w.app, helpers.CASE, "called-reached", berlin(2026, 12, 2, 11))
        w.at(berlin(2026, 12, 2, 11, 5)).tick()
        assert name[: -len("F")] in reminders()  # the same file, \\Flagged taken off
    finally:
        w.close()
