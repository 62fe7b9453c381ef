"""The fold of the cases a sync opened takes their mail from the rows the sync just
committed (mailbot.timeline.FiledMail) instead of reading them back: the events must be
the very ones the database gives, value for value and type for type (a datetime's zone
shows in its repr, where == would not see it), in the order SQLite gives them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bench.mailbox import START, generate
from mailbot import cli
from mailbot.ingest import sync
from mailbot.store.models import Case
from mailbot.timeline import load_events
from tests import helpers


def test_the_mail_a_sync_filed_gives_the_events_the_database_gives(
    tmp_path: Path, db_url, monkeypatch
):
    generate(tmp_path / "Maildir", 300)
    data = helpers.config_dict(tmp_path, db_url)
    data["mailbox"]["maildir"] = {
        "path": str(tmp_path / "Maildir"),
        "pickup_dir": str(tmp_path / "outgoing"),
    }
    cfg = helpers.write_toml(tmp_path / "mailbot.toml", data)
    monkeypatch.setenv("MAILBOT_NOW", (START + timedelta(days=24)).isoformat())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sync, "BATCH", 47)  # parked replies join across batches
    real = sync.refold_pending
    seen: dict[str, int] = {}

    def compare_then_fold(app, now, filed=None):
        with app.sessions() as s:
            cases = list(s.scalars(select(Case).where(Case.needs_fold.is_(True))))
            held = {c.id for c in cases if c.id in filed.mail}
            fast = load_events(s, cases, filed)
            slow = load_events(s, cases)
        # PostgreSQL hands rows back in no fixed order (the fold sorts them): the same
        # events there; on SQLite also in the same order
        exact = db_url.startswith("sqlite")
        assert {k: _shown(v, exact) for k, v in fast.items()} == {
            k: _shown(v, exact) for k, v in slow.items()
        }
        seen.update(cases=len(cases), held=len(held))
        return real(app, now, filed)

    monkeypatch.setattr(sync, "refold_pending", compare_then_fold)
    assert cli.main(["tick", "--config", str(cfg)]) == 0
    # most cases are new and held whole; those parked mail joined are read back
    assert 0 < seen["held"] < seen["cases"]


def _shown(events: list, exact: bool) -> list[str]:
    shown = [repr(e) for e in events]
    return shown if exact else sorted(shown)
