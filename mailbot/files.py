"""What mailbot writes is for the engineer's eyes only: the database (addresses,
subjects, excerpts), token caches, Maildir folders, pickup files and Sent copies. The
process runs with umask 077, so everything it creates is owner-only whatever the shell's
umask; ``mailbot check`` names existing files and folders that others can read."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

OWNER_ONLY = 0o077  # the bits that must be clear


def secure_umask() -> None:
    """Owner-only for every file and directory this process creates (POSIX; a no-op on
    Windows, where the profile directory's ACLs apply)."""
    if os.name == "posix":
        os.umask(OWNER_ONLY)


def write_private_json(path: Path, doc: Any) -> None:
    """Write ``doc`` whole (a temporary file renamed over ``path``, so a reader never
    sees half of it), owner-only, creating the owner-only folder if need be."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    os.replace(tmp, path)


def readable_by_others(paths: list[Path]) -> list[str]:
    """One warning per existing path that group or others may read or enter."""
    if os.name != "posix":
        return []
    out = []
    for path in dict.fromkeys(paths):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & OWNER_ONLY:
            out.append(f"{path} is open to other users (mode {mode:o}): chmod go-rwx {path}")
    return out


def mailbot_paths(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    """The files and folders of ``settings`` that hold mail or personal data."""
    paths = [settings.data_dir]
    url = settings.database_url
    if url.startswith("sqlite:///"):
        paths.append(Path(url[len("sqlite:///") :]).expanduser())
    mb = settings.mailbox
    if mb.kind == "maildir":
        root = mb.maildir_path
        f = mb.folders
        paths.append(root)
        for name in (f.sent, f.awaiting_approval, f.approved, f.rejected, f.not_sent):
            paths.append(root / ("." + name.replace("/", ".")))
        if mb.pickup_dir:
            paths.append(mb.pickup_dir)
    for cache in (getattr(mb.graph, "token_cache", None), getattr(mb.ews, "token_cache", None)):
        if cache:
            paths.append(Path(cache))
    return paths


def missing_maildir(root: Path) -> str:
    """What to say when a configured Maildir is not there (``check`` and ``team check``:
    a tick would otherwise create an empty one and wait for mail that never comes)."""
    return (
        f"{root} does not exist: point it at the Maildir, or create an empty one with: "
        f"mkdir -p {root}/cur {root}/new {root}/tmp (mailbot then adds its own folders inside it)"
    )
