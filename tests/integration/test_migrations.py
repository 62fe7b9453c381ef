"""Alembic builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mailbot.store.db import current_revision, make_engine, upgrade
from mailbot.store.models import Base


def test_upgrade_to_head_matches_the_models_and_is_repeatable(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # a second upgrade (the daemon upgrades on every start) is a no-op
    assert current_revision(engine) == "0004"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    engine.dispose()
