"""``mailbot team import``: move one engineer from a single-user install into the team.

The engineer's database (everything mailbot knows: cases, timeline, outbox, sync
states) is copied into their mailbox's schema (mailbot/store/transfer.py), and the
remote adapter's state file (folder ids, the approval folders' sync state), if there
is one, into their team data directory. The team then goes on where the single install
stopped: mail already filed is not filed again, a draft already sent is not sent again.

While it copies, the import holds the mailbox's lease like a worker would, so no worker
serves the mailbox half-copied; a mailbox a worker is serving is refused. A send the
old install left in flight is refused too: its outcome is only known to that install
(its spool, its mailbox), so it must settle there first (one ``mailbot tick``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from mailbot.config import Settings
from mailbot.store.db import make_engine
from mailbot.store.models import Outbox
from mailbot.store.transfer import TransferRefused, copy_database
from mailbot.team.config import TeamSettings
from mailbot.team.leases import Leases, ensure_team_tables, new_worker_id
from mailbot.team.tenancy import prepare_mailbox, schema_for, scoped, shared_engine

STATE_FILES = ("graph-state.json", "ews-state.json")


@dataclass
class Imported:
    rows: dict[str, int]
    files: list[str]


def _check_source(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :]).expanduser()
        if not path.is_file():
            raise TransferRefused(f"no database at {path}")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            in_flight = conn.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.state == "sending")
            )
    finally:
        engine.dispose()
    if in_flight:
        raise TransferRefused(
            f"{in_flight} send(s) of the old install are in flight: run `mailbot tick` "
            "there once so they settle, stop it, then import"
        )


def _state_files(old_data_dir: Path | None, settings: Settings) -> list[str]:
    """The adapter state files to bring along (checked before anything is copied)."""
    if old_data_dir is None:
        return []
    if not old_data_dir.is_dir():
        raise TransferRefused(f"no data directory at {old_data_dir}")
    found = [name for name in STATE_FILES if (old_data_dir / name).is_file()]
    for name in found:
        if (settings.data_dir / name).exists():
            raise TransferRefused(
                f"{settings.data_dir / name} exists: the team already has state for this mailbox"
            )
    return found


def _copy_state_files(old_data_dir: Path, names: list[str], settings: Settings) -> list[str]:
    copied = []
    for name in names:
        source, target = old_data_dir / name, settings.data_dir / name
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(source, target)
        target.chmod(0o600)
        copied.append(name)
    return copied


def import_engineer(
    team: TeamSettings, engineer_id: str, source_url: str, old_data_dir: Path | None
) -> Imported:
    settings = team.engineers[engineer_id]
    _check_source(source_url)
    names = _state_files(old_data_dir, settings)
    engine = shared_engine(team.database_url, pool_size=1)
    source = make_engine(source_url)
    leases = Leases(engine, f"import:{new_worker_id()}", team.lease_seconds)
    try:
        ensure_team_tables(engine)
        schema = schema_for(engineer_id)
        lease = leases.acquire(schema)
        if lease is None:
            raise TransferRefused(
                f"mailbox {engineer_id} is being served by a worker: import before the "
                "engineer is added to the running workers' team file"
            )
        try:
            prepare_mailbox(engine, schema)
            rows = copy_database(source, scoped(engine, schema), schema=schema)
            files = _copy_state_files(old_data_dir, names, settings) if old_data_dir else []
        finally:
            leases.release(lease)
        return Imported(rows, files)
    finally:
        source.dispose()
        engine.dispose()
