"""Moving one engineer's database (the single-user SQLite file) into another database —
PostgreSQL, or a new SQLite file — continues where the old install stopped: no mail
filed twice, no draft sent twice (R26), new cases get fresh ids."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from mailbot.store.db import make_engine, upgrade
from mailbot.store.models import Case, MailItem, Outbox
from mailbot.store.transfer import TransferRefused, copy_database
from tests import helpers
from tests.integration.world import World, berlin


def test_r26_a_moved_database_goes_on_without_filing_or_sending_twice(tmp_path, db_url):
    w = World(tmp_path / "old", f"sqlite:///{tmp_path / 'old.db'}", berlin(2026, 11, 30, 9, 30))
    try:
        w.customer(subject=f"Pipeline fails with timeout - TrackingID#{helpers.CASE}")
        w.tick()
        assert w.approve() == 1
        w.at(berlin(2026, 11, 30, 10)).tick()
        assert w.sent_kinds() == ["first_response"]
        w.at(berlin(2026, 11, 30, 11)).tick()  # the sent reply is filed from Sent Items
        source = w.app.engine
        with source.connect() as conn:
            before = {
                "cases": conn.scalar(select(func.count()).select_from(Case)),
                "mail": conn.scalar(select(func.count()).select_from(MailItem)),
                "outbox": conn.scalar(select(func.count()).select_from(Outbox)),
            }

        target = make_engine(db_url)
        upgrade(target)
        copied = copy_database(source, target)
        assert copied["cases"] == before["cases"] == 1
        assert copied["mail_items"] == before["mail"] and copied["outbox"] == before["outbox"]
        with pytest.raises(TransferRefused, match="already holds"):
            copy_database(source, target)  # never merged into a database with data
        target.dispose()

        # the engineer's install now points at the new database
        w.settings = dataclasses.replace(w.settings, database_url=db_url)
        w.restart()
        w.at(berlin(2026, 11, 30, 12)).tick()
        assert w.sent_kinds() == ["first_response"]  # nothing sent again
        w.customer(subject="Login broken - TrackingID#2611300010009999", sender="k@adatum.example")
        w.at(berlin(2026, 11, 30, 13)).tick()
        with w.app.sessions() as s:
            numbers = sorted(s.scalars(select(Case.number)))
            ids = sorted(s.scalars(select(Case.id)))
            filed = s.scalar(select(func.count()).select_from(MailItem))
        assert numbers == sorted([helpers.CASE, "2611300010009999"])
        assert len(set(ids)) == 2  # the new case did not collide with the copied id
        assert filed == before["mail"] + 1  # only the new mail was filed
        assert w.approve() == 1
        w.at(berlin(2026, 11, 30, 14)).tick()
        assert w.sent_kinds() == ["first_response", "first_response"]
    finally:
        w.close()


def test_a_copy_is_refused_before_the_target_is_migrated(tmp_path):
    source = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(source)
    target = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    with pytest.raises(TransferRefused, match="mailbot db upgrade"):
        copy_database(source, target)
    source.dispose()
    target.dispose()
