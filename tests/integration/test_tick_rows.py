"""The rows one tick leaves in the database, over a generated mailbox, are pinned.

Speed work on the sync (batched statements, one UPDATE for the folded cases, one lookup
per round of parked mail) must not change what is stored: the same cases, mail rows,
timeline lines, outbox rows and next steps, with the same ids. The digests below were
taken with the code before that work; a change of behaviour that is meant shows here,
and the digests are then taken again (``MAILBOT_PIN_ROWS=1`` prints them). Small
batches make parked replies wait across batches and join in several rounds.

PostgreSQL hands cases to evaluation in no fixed order, so there the ids of outbox rows
and timeline lines differ from run to run: both backends must give the same rows
without those ids, and SQLite the very same rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from bench.mailbox import START, generate
from mailbot import cli
from mailbot.ingest import sync
from mailbot.store.models import Base, Outbox
from tests import helpers

MAILS = 400
BATCH = 61
EXACT = "7b38a19193c824076efa34591766466e54c5c6097deb7666150508d5968594ab"  # SQLite
WITHOUT_IDS = "52a6c76e2a257f1803057492969938c136a720f5d55e6e4c1b8ed317e32911df"  # both


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return repr(value)


def dump(db_url: str) -> list[str]:
    """Every table, rows by primary key, as text; an outbox key (random) is replaced by
    its row's id, and a folder's sync state (file times) is left out."""
    engine = create_engine(db_url)
    lines = []
    with engine.connect() as conn:
        keys = dict(conn.execute(select(Outbox.key, Outbox.id)).all())
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if (table.name, c.name) != ("sync_states", "state")]
            order = list(table.primary_key.columns)
            for row in conn.execute(select(*cols).order_by(*order)):
                lines.append(table.name + ": " + " | ".join(_value(v) for v in row))
    engine.dispose()
    text = "\n".join(lines)
    if keys:
        text = re.sub("|".join(map(re.escape, keys)), lambda m: f"key#{keys[m.group(0)]}", text)
    return text.splitlines()


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def without_ids(lines: list[str]) -> list[str]:
    """The rows as a set, without the ids of outbox rows and timeline lines."""
    loose = (re.sub(r"^(events|outbox): \d+ ", r"\1: ", line) for line in lines)
    return sorted(re.sub(r"key#\d+", "key#", line) for line in loose)


def test_a_tick_over_a_generated_mailbox_stores_the_pinned_rows(
    tmp_path: Path, db_url, monkeypatch
):
    generate(tmp_path / "Maildir", MAILS)
    data = helpers.config_dict(tmp_path, db_url)
    data["mailbox"]["maildir"] = {
        "path": str(tmp_path / "Maildir"),
        "pickup_dir": str(tmp_path / "outgoing"),
    }
    cfg = helpers.write_toml(tmp_path / "mailbot.toml", data)
    monkeypatch.setenv("MAILBOT_NOW", (START + timedelta(days=24)).isoformat())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sync, "BATCH", BATCH)
    assert cli.main(["tick", "--config", str(cfg)]) == 0
    rows = dump(db_url)
    loose = without_ids(rows)
    if os.environ.get("MAILBOT_PIN_ROWS"):
        print(f"\n{db_url.split(':')[0]}: {len(rows)} rows, {digest(rows)}, {digest(loose)}")
    assert digest(loose) == WITHOUT_IDS
    if db_url.startswith("sqlite"):
        assert digest(rows) == EXACT
