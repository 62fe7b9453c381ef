"""The embedded default: a Maildir++ tree as Dovecot keeps it.

The root is the Inbox; a folder ``A/B`` is the directory ``.A.B``. The engineer approves
a draft by moving its file into the Approved folder and rejects it by moving it to
Rejected or deleting it. Sending goes to a pickup directory or through SMTP, with a copy
in Sent Items.

Sync is incremental per folder: the sync state is the modification times of ``new/`` and
``cur/``, so an idle poll is two ``stat`` calls. When they moved, the folder is listed and
the engine skips the keys it has already filed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime
from itertools import count
from pathlib import Path

from mailbot import clock
from mailbot.mailbox.port import KEY_HEADER, Changes, ItemRef, MailboxError, SentLookup
from mailbot.mailbox.rfc822 import recipients, with_note, without_sender_headers

_counter = count()
_WRITE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
TRASH_NAMES = ("Trash", "Deleted Items", "Deleted Messages")  # where IMAP clients delete to
_DELIVERY_TIME = re.compile(r"^(\d{9,11})\.")  # Maildir names start with the delivery time
# The key header on one unfolded line (what mailbot writes); anything else is parsed.
_KEY_LINE = re.compile(
    rb"^" + re.escape(KEY_HEADER.encode()) + rb":[ \t]*([\x21-\x7e]*)[ \t]*\r?\n(?![ \t])",
    re.IGNORECASE | re.MULTILINE,
)
_HOST = socket.gethostname().replace("/", "_").replace(":", "_") or "localhost"
# A directory listing taken this close to the directory's mtime may miss a file added in
# the same clock tick, so such a listing is not trusted as a sync state.
_MTIME_SLACK_NS = 2_000_000_000


# mailbot's own reminders in the Inbox: ``<unique name>.mailbot-<outbox key>``.
_OWN_INBOX_NAME = re.compile(r"\.mailbot-([0-9a-f]{32})$")


def _unique_name() -> str:
    now = time.time()
    return f"{int(now)}.M{int((now % 1) * 1e6)}P{os.getpid()}Q{next(_counter)}.{_HOST}"


class MaildirMailbox:
    """A Maildir++ mailbox; ``transmit`` delivers an outgoing message (pickup or SMTP)."""

    def __init__(
        self,
        root: Path,
        folders: list[str],
        sent_folder: str,
        inbox_folder: str,
        transmit: Callable[[bytes, str], None],
        pickup_probe: Callable[[str], bool] | None = None,
        evidence_dir: Path | None = None,
        proof_hint: Callable[[str], str] | None = None,
        flag_reminders: bool = True,
    ) -> None:
        self.root = root
        self.flag_reminders = flag_reminders
        self.evidence_dir = evidence_dir or root.parent / f".{root.name}.mailbot-sending"
        self.proof_hint = proof_hint or (
            lambda key: f"your mail server's log, for the Message-ID that contains mailbot.{key}"
        )
        self.folders = folders
        self.sent_folder = sent_folder
        self.inbox_folder = inbox_folder
        self.transmit = transmit
        self.pickup_probe = pickup_probe
        self._key_cache: dict[str, str | None] = {}  # file base name → mailbot key
        self._read_bases: dict[str, tuple[Path, str]] = {}  # folder → its path, as str too

    # -- layout -------------------------------------------------------------------------
    def path(self, folder: str) -> Path:
        if folder.upper() == "INBOX" or folder == self.inbox_folder:
            return self.root
        return self.root / ("." + folder.replace("/", "."))

    def ensure_folders(self) -> None:
        for folder in {self.inbox_folder, *self.folders}:
            base = self.path(folder)
            for sub in ("cur", "new", "tmp"):
                (base / sub).mkdir(parents=True, exist_ok=True)
            if base != self.root:
                (base / "maildirfolder").touch(exist_ok=True)
        self._subscribe()

    def _subscribe(self) -> None:
        """List mailbot's folders in Dovecot's ``subscriptions`` file (in the Maildir
        root), which IMAP clients such as Thunderbird and Outlook go by: an unsubscribed
        folder does not show there. The engineer's own entries stay; the file is
        replaced whole (a temporary file renamed over it)."""
        path = self.root / "subscriptions"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        # Dovecot 2.3 writes "V<TAB>2", an empty line, then one name per line with a TAB
        # between hierarchy levels; older files are one name per line with its "." (the
        # Maildir++ separator, as IMAP shows the folders: "Mailbot.Awaiting Approval").
        header = lines[:2] if lines[:1] == ["V\t2"] else ["V\t2", ""]
        names = [n for n in lines[2:] if n] if lines[:1] == ["V\t2"] else [n for n in lines if n]
        wanted = [f.replace("/", "\t") for f in self.folders if f.upper() != "INBOX"]
        known = {n.replace(".", "\t") for n in names} | set(names)
        missing = [n for n in wanted if n not in known]
        if not missing:
            return
        if lines[:1] != ["V\t2"]:  # an old-style file: keep its names, in the new form
            names = [n.replace(".", "\t") for n in names]
        tmp = self.root / "tmp" / ".mailbot-subscriptions"
        tmp.write_text("\n".join([*header, *names, *missing]) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    # -- reading ------------------------------------------------------------------------
    def changes(self, folder: str, state: str | None) -> Changes:
        base = self.path(folder)
        try:
            stamps = {sub: (base / sub).stat().st_mtime_ns for sub in ("new", "cur")}
        except FileNotFoundError:
            raise MailboxError(f"folder {folder!r} does not exist under {self.root}") from None
        fingerprint = json.dumps(stamps, sort_keys=True)
        if state == fingerprint:
            return Changes(items=[], state=state)
        items = self._iter(folder)
        # "Now" as the filesystem sees it (its own clock stamps the directories), so the
        # check holds whatever the process clock says.
        probe = base / "tmp" / ".mailbot-clock"
        probe.touch()
        fs_now = probe.stat().st_mtime_ns
        trusted = all(fs_now - stamp > _MTIME_SLACK_NS for stamp in stamps.values())
        return Changes(items=items, state=fingerprint if trusted else None, complete_listing=True)

    def _list(self, folder: str) -> list[ItemRef]:
        return list(self._iter(folder))

    def _iter(self, folder: str) -> Iterator[ItemRef]:
        """Stream the folder's items (a large folder is never held in memory at once)."""
        base = self.path(folder)
        for sub in ("new", "cur"):
            try:
                with os.scandir(base / sub) as entries:
                    for entry in entries:
                        if entry.name.startswith("."):
                            continue
                        yield ItemRef(folder, entry.name.split(":", 1)[0], f"{sub}/{entry.name}")
            except FileNotFoundError:
                continue

    def _locate(self, ref: ItemRef) -> Path:
        """The file now; a mail client may have moved it from new/ to cur/ or changed flags."""
        base = self.path(ref.folder)
        direct = base / ref.locator
        if direct.exists():
            return direct
        for sub in ("cur", "new"):
            try:
                with os.scandir(base / sub) as entries:
                    for entry in entries:
                        if entry.name.split(":", 1)[0] == ref.key:
                            return Path(entry.path)
            except FileNotFoundError:
                continue
        raise MailboxError(f"message {ref.key} is no longer in {ref.folder!r}")

    def prefetch(self, refs: list[ItemRef]) -> None:
        """Local files need no prefetching."""

    def delivered_at(self, ref: ItemRef) -> datetime | None:
        """The delivery time the MTA (or Dovecot, for an IMAP append) put at the start of
        the file name; None for names without one (the Date header is used then)."""
        found = _DELIVERY_TIME.match(ref.key)
        return datetime.fromtimestamp(int(found.group(1)), UTC) if found else None

    def read(self, ref: ItemRef, max_bytes: int | None = None) -> bytes:
        return self.read_prefix(ref, max_bytes)[0]

    def read_prefix(self, ref: ItemRef, max_bytes: int | None = None) -> tuple[bytes, bool]:
        """:meth:`read`, and whether that is the whole file (it held fewer than
        ``max_bytes`` bytes): a sync reading the head of a short message then has its
        body too, and need not open the file again."""
        # Where the listing saw it, opened straight away (a sync reads every message
        # twice, head and body: an existence check and Path objects for each were a
        # tenth of reading). If it is not there, or cannot be opened there, _locate
        # finds it as before and the open says why it cannot be read.
        try:
            base, base_str = self._read_bases[ref.folder]
        except KeyError:  # a Path per read was a tenth of it
            base = self.path(ref.folder)
            base, base_str = self._read_bases[ref.folder] = (base, str(base))
        path: str | Path = os.path.join(base_str, ref.locator)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except OSError:
            path = self._locate(ref)
            fh = open(path, "rb")  # noqa: SIM115
        with fh:
            data = fh.read() if max_bytes is None else fh.read(max_bytes)
        whole = max_bytes is None or len(data) < max_bytes
        return (without_sender_headers(data) if self._came_in(ref, path, base) else data), whole

    def _came_in(self, ref: ItemRef, path: str | Path, base: Path) -> bool:
        """Mail that came into the Inbox from outside: anything there but mailbot's own
        reminders, which mailbot names ``….mailbot-<key>`` (a name no MTA gives, since
        the key is random) and which carry that key. ``base`` is the folder's path."""
        if base != self.root:
            return False
        own = _OWN_INBOX_NAME.search(ref.key)
        return not (own and self._header_key(str(path), ref.key) == own.group(1))

    def _header_key(self, path: str, base: str) -> str | None:
        """The mailbot key in a file's headers. Cached by the file's base name: a Maildir
        message never changes under its name (flags change the part after ``:``, and a
        client that edits a message writes a new file), so no ``stat`` is needed."""
        try:
            return self._key_cache[base]
        except KeyError:
            pass
        try:
            with open(path, "rb") as fh:
                head = fh.read(16384)
        except FileNotFoundError:
            return None
        ends = [i for i in (head.find(b"\n\n"), head.find(b"\n\r\n")) if i >= 0]
        end = min(ends) if ends else -1
        found = _KEY_LINE.search(head, 0, end + 1) if end >= 0 else None
        if found:  # a regular expression over the header block: a seventh of a parse
            key = found.group(1).decode("ascii") or None
        else:
            headers = BytesHeaderParser(policy=compat32).parsebytes(
                head if end < 0 else head[: end + 1]
            )
            key = headers.get(KEY_HEADER)
            key = str(key).strip() if key else None
        self._key_cache[base] = key
        return key

    def keyed_items(self, folder: str) -> dict[str, ItemRef]:
        """mailbot's own items in ``folder`` by key (used for the approval folders): one
        directory listing, headers read once per file per process."""
        found = {}
        base_dir = str(self.path(folder))
        for sub in ("new", "cur"):
            try:
                with os.scandir(os.path.join(base_dir, sub)) as entries:
                    for entry in entries:
                        name = entry.name
                        if name.startswith("."):
                            continue
                        base = name.split(":", 1)[0]
                        key = self._header_key(entry.path, base)
                        if key:
                            found[key] = ItemRef(folder, base, f"{sub}/{name}")
            except FileNotFoundError:
                continue
        return found

    # -- writing ------------------------------------------------------------------------
    def _deliver(
        self,
        folder: str,
        data: bytes,
        name: str | None = None,
        sub: str = "new",
        flags: str = "",
        durable: bool = True,
    ) -> ItemRef:
        """Write atomically (tmp, then rename). ``durable`` also waits for the disk: for
        what a send relies on; a draft or a reminder lost to a power cut is redone,
        as its outbox row would be too (the database does not wait for the disk on
        every commit either)."""
        base = os.fspath(self.path(folder))
        name = name or _unique_name()
        tmp = os.path.join(base, "tmp", name)
        # what open(tmp, "wb") does, without its buffer object and the three system
        # calls it makes to set one up (a draft is written whole, at once)
        fd = os.open(tmp, _WRITE_FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        final_name = name + (f":2,{flags}" if sub == "cur" else "")
        os.replace(tmp, os.path.join(base, sub, final_name))
        return ItemRef(folder, name, f"{sub}/{final_name}")

    def find_key(self, key: str) -> ItemRef | None:
        """mailbot's item with ``key`` wherever it is now: any mailbot folder, the
        engineer's Trash, or sent (a draft is never saved twice, nor brought back after
        the engineer approved, rejected or deleted it)."""
        for folder in [*self.folders, *self._trash_folders()]:
            if folder == self.sent_folder:
                continue
            found = self.keyed_items(folder).get(key)
            if found:
                return found
        if self.find_sent(key) != SentLookup.ABSENT:
            return ItemRef(self.sent_folder, key, "")
        return None

    def _trash_folders(self) -> list[str]:
        return [name for name in TRASH_NAMES if (self.path(name) / "cur").is_dir()]

    def save_draft(
        self, folder: str, message: EmailMessage, key: str, retry: bool = False
    ) -> ItemRef:
        existing = self.find_key(key) if retry else None
        if existing:  # idempotent: a retry after a crash finds the first copy, wherever it went
            return existing
        return self._deliver(folder, message.as_bytes(), sub="cur", flags="D", durable=False)

    def deliver_to_inbox(
        self,
        message: EmailMessage,
        key: str,
        retry: bool = False,
        due: datetime | None = None,
    ) -> ItemRef:
        existing = self.keyed_items(self.inbox_folder).get(key) if retry else None
        if existing:
            return existing
        name = f"{_unique_name()}.mailbot-{key}"  # the key ends the file's name
        if due is not None and self.flag_reminders:
            # IMAP's \Flagged (Maildir flag F), unread: the nearest a Maildir has to a
            # follow-up flag (it carries no due date); the key ends the file's name
            return self._deliver(
                self.inbox_folder, message.as_bytes(), name, "cur", "F", durable=False
            )
        return self._deliver(self.inbox_folder, message.as_bytes(), name, durable=False)

    def complete_reminder(self, key: str) -> None:
        r"""Take \Flagged off the reminder (wherever in the Inbox it is now, whatever
        other flags a client set); nothing when it is gone or unflagged."""
        for sub in ("cur", "new"):
            folder = self.path(self.inbox_folder) / sub
            with os.scandir(folder) as entries:
                for entry in entries:
                    base, _, info = entry.name.partition(":")
                    if (
                        base.endswith((f".{key}", f"-{key}"))
                        and info.startswith("2,")
                        and "F" in info
                    ):
                        flags = info[2:].replace("F", "")
                        with contextlib.suppress(FileNotFoundError):
                            os.replace(entry.path, folder / f"{base}:2,{flags}")

    def withdraw(self, ref: ItemRef, folder: str, note: str) -> ItemRef:
        """Copy the draft, with ``note`` at its top, into ``folder`` and remove it from
        where it was. The copy keeps the draft's key, so after a crash between the two
        steps the retry finds the copy and only removes the original."""
        src = self._locate(ref)
        key = self._header_key(str(src), src.name.split(":", 1)[0])
        done = self.keyed_items(folder).get(key) if key else None
        if done is None:
            done = self._deliver(folder, with_note(src.read_bytes(), note), sub="cur", flags="S")
        src.unlink(missing_ok=True)
        return done

    def move(self, ref: ItemRef, folder: str) -> ItemRef:
        src = self._locate(ref)
        dest = self.path(folder) / src.parent.name / src.name
        os.replace(src, dest)
        return ItemRef(folder, ref.key, f"{src.parent.name}/{src.name}")

    def send(self, ref: ItemRef, key: str) -> None:
        """Send the item exactly as it is now (the engineer's edited version).

        Order matters for crash safety: (1) the outgoing message is written to
        mailbot's own evidence directory (in the data directory, where no mail client
        or Maildir cleaner deletes it), (2) it is transmitted, (3) the copy is filed in
        Sent Items, the evidence removed and the draft deleted. :meth:`find_sent` reads
        these traces.
        """
        src = self._locate(ref)
        data = _stamp_date(src.read_bytes())
        marker = self._evidence(key)
        _write_durably(marker, data)
        try:
            self.transmit(data, key)
        except MailboxError as exc:
            if exc.not_sent:
                marker.unlink(missing_ok=True)  # provably not sent: leave no trace, a retry is safe
            raise
        self._file_sent(key, data)
        src.unlink(missing_ok=True)

    def _evidence(self, key: str) -> Path:
        self.evidence_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.evidence_dir / f"{key}.sending"

    def _file_sent(self, key: str, data: bytes) -> None:
        """The Sent Items copy (named with the key, so it is found without reading it),
        then the evidence is no longer needed."""
        self._deliver(self.sent_folder, data, name=f"{_unique_name()}.{key}", sub="cur", flags="S")
        self._evidence(key).unlink(missing_ok=True)

    def find_sent(self, key: str) -> SentLookup:
        sent_base = self.path(self.sent_folder)
        marker = self._evidence(key)
        for sub in ("cur", "new"):
            with os.scandir(sent_base / sub) as entries:
                if any(f".{key}:" in e.name or e.name.endswith(f".{key}") for e in entries):
                    marker.unlink(missing_ok=True)
                    return SentLookup.SENT
        if not marker.exists():
            return SentLookup.ABSENT
        if self.pickup_probe and self.pickup_probe(key):
            self._file_sent(key, marker.read_bytes())
            return SentLookup.SENT
        return SentLookup.UNKNOWN

    def where_to_look(self, key: str) -> str:
        """Where the engineer can see whether an interrupted send left."""
        return self.proof_hint(key)

    def delete(self, ref: ItemRef) -> None:
        """Remove an item (e.g. an approved draft left behind by a crash after sending)."""
        with contextlib.suppress(MailboxError):
            self._locate(ref).unlink(missing_ok=True)


def _stamp_date(data: bytes) -> bytes:
    """Replace the draft's Date header with the moment of sending (bytes-level, so the
    engineer's edited body goes out untouched)."""
    end = data.find(b"\n\n")
    crlf = False
    if end < 0:
        end = data.find(b"\r\n\r\n")
        crlf = end >= 0
    if end < 0:
        return data
    head, body = data[:end], data[end:]
    nl = b"\r\n" if crlf else b"\n"
    lines = head.split(nl)
    kept: list[bytes] = []
    skipping = False
    for line in lines:
        if skipping and line[:1] in (b" ", b"\t"):
            continue
        skipping = line.lower().startswith(b"date:")
        if not skipping:
            kept.append(line)
    kept.append(b"Date: " + format_datetime(clock.now()).encode())
    return nl.join(kept) + body


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def pickup_transmitter(
    pickup_dir: Path, work_dir: Path | None = None
) -> tuple[Callable[[bytes, str], None], Callable[[str], bool]]:
    """Deliver into a pickup directory (an MTA or relay collects files from there).

    The file is written in mailbot's own work directory and then renamed into the pickup
    directory, so the MTA only ever sees whole files named ``<key>.eml``; a retry
    overwrites the same name instead of queueing a second copy. When the two directories
    are on different file systems (no atomic rename between them), the file is written
    inside the pickup directory under a dot-name (``.<key>.tmp``, which pickup readers
    skip) and renamed from there. Leftovers of a crash are removed on the next try.
    """
    pickup_dir.mkdir(parents=True, exist_ok=True)
    work = work_dir or pickup_dir.parent / f".{pickup_dir.name}.mailbot-tmp"

    def transmit(data: bytes, key: str) -> None:
        final = pickup_dir / f"{key}.eml"
        work.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = work / f"{key}.tmp"
        _write_durably(tmp, data)
        try:
            os.replace(tmp, final)
        except OSError:  # another file system: stage it inside, under a skipped name
            tmp.unlink(missing_ok=True)
            inside = pickup_dir / f".{key}.tmp"
            _write_durably(inside, data)
            os.replace(inside, final)

    def probe(key: str) -> bool:
        for leftover in (work / f"{key}.tmp", pickup_dir / f".{key}.tmp"):
            leftover.unlink(missing_ok=True)
        return (pickup_dir / f"{key}.eml").exists()

    return transmit, probe


def smtp_transmitter(
    host: str,
    port: int,
    starttls: bool,
    username: str | None,
    password: str | None,
    ca_bundle: Path | None = None,
    implicit_tls: bool | None = None,
) -> Callable[[bytes, str], None]:
    """Deliver through SMTP (smtplib); recipients are taken from the message headers.

    TLS is verified (certificate and host name) against the system's trust store, or
    ``ca_bundle``: STARTTLS, or implicit TLS (port 465 unless ``implicit_tls`` says).
    A password is never sent without TLS: that is refused before connecting."""
    import smtplib
    import ssl
    from email import message_from_bytes
    from email.policy import SMTP
    from email.utils import getaddresses

    implicit = port == 465 if implicit_tls is None else implicit_tls
    if username and not (starttls or implicit):
        raise ValueError("SMTP credentials without TLS: use starttls or implicit TLS (port 465)")

    def context() -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)

    def transmit(data: bytes, key: str) -> None:
        msg = message_from_bytes(data, policy=SMTP)
        rcpts = recipients(msg)
        sender = next((addr for _, addr in getaddresses(msg.get_all("From", [])) if addr), None)
        if not rcpts or not sender:
            raise MailboxError(
                f"outgoing message {key} has no sender or no recipients", not_sent=True
            )
        del msg["Bcc"]
        try:
            if implicit:
                smtp = smtplib.SMTP_SSL(host, port, timeout=60, context=context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=60)
        except ssl.SSLError as exc:
            raise MailboxError(
                f"SMTP {host}:{port}: the TLS certificate does not verify ({exc.reason}); "
                "set ca_bundle if your server uses a private CA",
                not_sent=True,
                unreachable=True,
            ) from None
        except OSError as exc:
            raise MailboxError(
                f"cannot connect to SMTP {host}:{port}: {type(exc).__name__}",
                not_sent=True,
                unreachable=True,
            ) from None
        refused = (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPDataError,
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPNotSupportedError,
            smtplib.SMTPHeloError,
        )
        try:
            with smtp:
                if starttls and not implicit:
                    try:
                        smtp.starttls(context=context())
                    except ssl.SSLError as exc:  # before any credential or message left
                        raise MailboxError(
                            f"SMTP {host}:{port}: the TLS certificate does not verify "
                            f"({exc.reason}); set ca_bundle if your server uses a private CA",
                            not_sent=True,
                            unreachable=True,
                        ) from None
                if username:
                    smtp.login(username, password or "")
                smtp.send_message(msg, from_addr=sender, to_addrs=rcpts)
        except MailboxError:
            raise
        except refused as exc:
            # The server said no before accepting the message: nothing was delivered.
            raise MailboxError(
                f"SMTP {host}:{port} refused {key}: {type(exc).__name__}", not_sent=True
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailboxError(
                f"SMTP delivery of {key} to {host}:{port} was cut off: {type(exc).__name__}"
            ) from None

    return transmit


def open_maildir(settings) -> MaildirMailbox:  # type: ignore[no-untyped-def]
    """Build the Maildir adapter from :class:`mailbot.config.Settings`."""
    mb = settings.mailbox
    f = mb.folders
    probe = None
    work = settings.data_dir / "outgoing"
    if mb.send_via == "smtp":
        s = mb.smtp
        transmit = smtp_transmitter(
            s.host,
            s.port,
            s.starttls,
            s.username,
            s.password,
            s.ca_bundle,
            s.implicit_tls,
        )
        hint = f"the log of your SMTP server {s.host}:{s.port}"
    else:
        transmit, probe = pickup_transmitter(mb.pickup_dir, work / "pickup-tmp")
        hint = (
            f"the pickup directory {mb.pickup_dir} and the log of the mail server that collects it"
        )
    box = MaildirMailbox(
        mb.maildir_path,
        [f.sent, f.awaiting_approval, f.approved, f.rejected, f.not_sent],
        f.sent,
        f.inbox,
        transmit,
        probe,
        evidence_dir=work / "sending",
        proof_hint=lambda key: (
            f"{hint}, for the Message-ID that contains mailbot.{key} (file {key}.eml)"
        ),
        flag_reminders=mb.flag_reminders,
    )
    return box
