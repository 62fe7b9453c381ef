"""Alembic builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mailbot.store.db import current_revision, make_engine, upgrade
from mailbot.store.models import Base

HEAD = "0007"


def test_upgrade_to_head_matches_the_models_and_is_repeatable(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # a second upgrade (the daemon upgrades on every start) is a no-op
    assert current_revision(engine) == HEAD
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    engine.dispose()


def _statements_of_a_fresh_upgrade(url: str) -> int:
    from sqlalchemy import event

    from mailbot.store import db

    counted = [0]
    real = db.migration_engine

    def counting(u):  # type: ignore[no-untyped-def]
        engine = real(u)
        event.listen(
            engine, "before_cursor_execute", lambda *a: counted.__setitem__(0, counted[0] + 1)
        )
        return engine

    db.migration_engine = counting
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    finally:
        db.migration_engine = real
    return counted[0]


def _killed_at(url: str, n: int) -> None:
    """Run a fresh upgrade in a child process that SIGKILLs itself before statement n."""
    import os
    import signal

    from sqlalchemy import event

    pid = os.fork()
    if pid == 0:  # the child: no cleanup, no atexit, exactly like kill -9
        from mailbot.store import db

        real = db.migration_engine
        seen = [0]

        def killing(u):  # type: ignore[no-untyped-def]
            engine = real(u)

            def before(*_a):  # type: ignore[no-untyped-def]
                seen[0] += 1
                if seen[0] >= n:
                    os.kill(os.getpid(), signal.SIGKILL)

            event.listen(engine, "before_cursor_execute", before)
            return engine

        db.migration_engine = killing
        try:
            upgrade(make_engine(url))
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 0


def test_a_kill_at_any_statement_of_the_schema_creation_leaves_a_database_that_upgrades(
    tmp_path,
):
    """SQLite: schema creation and every migration are one transaction, so a kill -9 at
    any statement leaves no schema or the whole one; the next start upgrades."""
    total = _statements_of_a_fresh_upgrade(f"sqlite:///{tmp_path / 'count.db'}")
    assert total > 20
    for n in range(1, total + 1):
        url = f"sqlite:///{tmp_path / f'k{n}.db'}"
        _killed_at(url, n)
        engine = make_engine(url)
        assert current_revision(engine) in (None, HEAD)
        upgrade(engine)
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        engine.dispose()


def test_a_database_an_older_version_left_half_created_is_recreated(tmp_path):
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'half.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:  # what a kill inside the old, non-atomic 0001 left
        conn.execute(text("CREATE TABLE cases (id INTEGER PRIMARY KEY, number VARCHAR(64))"))
    upgrade(engine)
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_the_schema_head_constant_is_the_newest_migration():
    from alembic.script import ScriptDirectory

    from mailbot.store.db import MIGRATIONS, SCHEMA_HEAD, alembic_config

    cfg = alembic_config("sqlite://")
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD
    assert MIGRATIONS.is_dir()


def test_the_previous_release_upgrades_in_place_and_keeps_its_data(tmp_path, db_url, capsys):
    """0006 was the schema of the previous release: its data is there after the first
    command of the new one, which migrates by itself."""
    import json

    from sqlalchemy import text

    from mailbot import cli
    from tests import helpers

    engine = make_engine(db_url)
    upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO quarantine (folder, item_key, reason, at) "
                "VALUES ('INBOX', 'k1', 'unreadable: no headers', '2026-12-01 09:00:00')"
            )
        )
    engine.dispose()
    cfg = helpers.write_toml(tmp_path / "m.toml", helpers.config_dict(tmp_path, db_url))
    assert cli.main(["quarantine", "list", "--json", "--config", str(cfg)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["reason"] == "unreadable: no headers" and row["retries"] == 0
    engine = make_engine(db_url)
    assert current_revision(engine) == HEAD
    engine.dispose()
    assert cli.main(["quarantine", "show", str(row["id"]), "--config", str(cfg)]) == 1
    assert "older mailbot" in capsys.readouterr().err  # no location was recorded then
