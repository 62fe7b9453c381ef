"""What a remote mailbox adapter remembers between processes: folder ids and the
incremental state of the approval folders, in one owner-only JSON file per mailbox in
the data directory (a cron ``mailbot tick`` is a new process every time, and must not
rediscover the folders or relist the approval folders).

The file is read afresh before every use and written whole (a temporary file renamed
over it) under a file lock (filelock, portable), so a daemon and a cron tick on one machine never lose each
other's updates, and a crash leaves the old file or the new one. A file written for
another mailbox (another address or server in the config) is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock

VERSION = 1


class StateFile:
    """A small JSON document of named sections (see :class:`mailbot.mailbox.port.StateStore`)."""

    def __init__(self, path: Path, identity: str) -> None:
        self.path = path
        self.identity = identity

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with FileLock(f"{self.path}.lock", mode=0o600):
            yield

    def _read(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        if not isinstance(doc, dict) or doc.get("identity") != self.identity:
            return {}  # another mailbox's, or an older format: start afresh
        if doc.get("version") != VERSION:
            return {}
        return doc.get("sections") or {}

    def get(self, section: str) -> dict[str, Any]:
        value = self._read().get(section)
        return value if isinstance(value, dict) else {}

    def put(self, section: str, value: dict[str, Any]) -> None:
        self.update(section, lambda _old: value)

    def update(
        self, section: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        """Read, change and write one section atomically (another process may have
        written other sections meanwhile)."""
        with self._locked():
            sections = self._read()
            new = change(dict(sections.get(section) or {}))
            sections[section] = new
            doc = {"version": VERSION, "identity": self.identity, "sections": sections}
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
            return new


class MemoryState:
    """The same interface in memory (an adapter built without a data directory)."""

    def __init__(self) -> None:
        self.sections: dict[str, dict[str, Any]] = {}

    def get(self, section: str) -> dict[str, Any]:
        return json.loads(json.dumps(self.sections.get(section) or {}))

    def put(self, section: str, value: dict[str, Any]) -> None:
        self.sections[section] = json.loads(json.dumps(value))

    def update(
        self, section: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        self.put(section, change(self.get(section)))
        return self.get(section)


class KeyIndex:
    """mailbot's items in one folder by key, kept current from incremental changes
    (EWS SyncFolderItems, Graph delta): ``{item id: key}`` plus the sync state that
    produced it, stored together so that a crash replays changes onto the index that
    went with the state (applying a change twice changes nothing)."""

    def __init__(self, folder_id: str, state: str | None, items: dict[str, str]) -> None:
        self.folder_id, self.state, self.items = folder_id, state, items

    @classmethod
    def load(cls, stored: dict[str, Any], folder_id: str) -> KeyIndex:
        if stored.get("folder_id") != folder_id:  # a folder found again: start afresh
            return cls(folder_id, None, {})
        return cls(folder_id, stored.get("state"), dict(stored.get("items") or {}))

    def dump(self) -> dict[str, Any]:
        return {"folder_id": self.folder_id, "state": self.state, "items": self.items}

    def apply(self, present: dict[str, str | None], removed: list[str]) -> list[str]:
        """``present``: item id → key (None: not one of mailbot's); returns the keys of
        mailbot's items that left the folder."""
        gone = [self.items.pop(i) for i in removed if i in self.items]
        for item_id, key in present.items():
            if key:
                self.items[item_id] = key
            else:
                self.items.pop(item_id, None)
        return gone

    def advance(
        self,
        present: dict[str, str | None],
        removed: list[str],
        state: str | None,
        own: set[str],
    ) -> tuple[bool, bool]:
        """One incremental read applied (after a read from no state, what it did not
        name is gone): (mailbot's items left the folder, some left that this process did
        not move)."""
        if self.state is None:
            self.items = {}
        lost = [i for i in removed if i in self.items]
        self.apply(present, removed)
        self.state = state
        return bool(lost), any(i not in own for i in lost)


def find_again(
    paths: dict[str, list[str]],
    seen: dict[str, tuple[str | None, str | None]],
    root: str | None,
    well_known: Callable[[str], bool],
    discover: Callable[[list[str]], None],
    log: Any,
) -> list[str]:
    """The folders whose stored path no longer holds (renamed, moved, deleted), each
    logged, looked up again by name (or created) through ``discover``; their names."""
    moved = []
    for name, path in paths.items():
        why = path_problem(name, path, seen, root, well_known(name))
        if why:
            log.warning(
                "mail folder renamed, moved or deleted; looking it up again by its name",
                folder=name,
                found=why,
            )
            moved.append(name)
    if moved:
        for name in moved:
            paths.pop(name, None)
        discover(moved)
        log.warning("mail folders found again", folders=moved)
    return moved


def path_problem(
    name: str,
    path: list[str],
    seen: dict[str, tuple[str | None, str | None]],
    root: str | None,
    well_known: bool,
) -> str | None:
    """Why a stored folder path (the id of each part of ``name``) no longer names the
    folder, or None. ``seen``: folder id -> (display name, parent id) as the mailbox
    has it now; ``root``: the id of the top of the mailbox; ``well_known``: the path
    starts at a distinguished folder (Inbox, Sent Items), which is never renamed."""
    parts = name.split("/")
    if well_known:
        if path[0] not in seen:
            return "gone"
        parent, rest, parts = path[0], path[1:], parts[1:]
    else:
        parent, rest = root, path
    if len(rest) != len(parts):
        return "a different path"
    for part, fid in zip(parts, rest, strict=True):
        if fid not in seen:
            return "deleted"
        now, under = seen[fid]
        if (now or "") != part:
            return f"renamed to {now!r}"
        if under != parent:
            return "moved to another folder"
        parent = fid
    return None


class RecentListings:
    """When the listing of an approval folder just taken still holds.

    The outbox reads the engineer's verdicts as Approved, Awaiting Approval, Approved
    again, then Rejected: a draft moved from Awaiting to Approved between the first two
    reads is seen by the third. When the Awaiting read lost no item, nothing can have
    moved out of it since the first Approved read, so the third read can be the first
    one's answer, and the idle tick with drafts pending costs one request per folder.
    Anything this process writes starts the sequence afresh."""

    def __init__(self, awaiting: str | None) -> None:
        self.awaiting = awaiting
        self.recent: list[tuple[str, bool]] = []
        self.answers: dict[str, Any] = {}

    def still(self, folder: str) -> Any:
        r = self.recent
        if (
            folder != self.awaiting
            and len(r) == 2
            and r[0][0] == folder
            and r[1] == (self.awaiting, False)
            and folder in self.answers
        ):
            self.seen(folder, False, self.answers[folder])
            return self.answers[folder]
        return None

    def seen(self, folder: str, lost: bool, answer: Any) -> None:
        self.recent = [*self.recent, (folder, lost)][-2:]
        self.answers[folder] = answer

    def wrote(self) -> None:
        self.recent = []
