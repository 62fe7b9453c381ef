"""An empty database gets the head from the stored DDL (mailbot/store/head_schema.py),
without Alembic; the schema is the one the migrations build, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

from mailbot.store import head_schema
from mailbot.store.db import SCHEMA_HEAD, current_revision, make_engine, upgrade
from tests.conftest import fresh_pg_database

ROOT = Path(__file__).resolve().parents[2]
PATIENCE = 1800  # seconds: a guard against a hang only; the suite runs on loaded machines

# Creates the schema the way `mailbot tick` does on a new database, and says whether
# Alembic was imported on the way.
ENSURE = """
import sys
from mailbot.store.db import ensure_schema, make_engine
engine = make_engine(sys.argv[1])
ensure_schema(engine)
engine.dispose()
print("alembic imported" if "alembic" in sys.modules else "no alembic")
"""


def _ensure_in_child(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", ENSURE, url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(child: subprocess.Popen[str]) -> str:
    out, err = child.communicate(timeout=PATIENCE)
    assert child.returncode == 0, err
    return out.strip()


def _migrated_catalogue(like_url: str, tmp_path: Path) -> dict[str, Any]:
    """The catalogue of a second, empty database of the same kind as ``like_url``, built
    through Alembic's migrations."""
    if like_url.startswith("sqlite"):
        return _through_migrations(f"sqlite:///{tmp_path / 'migrated.db'}")
    with fresh_pg_database("mailbot_t_") as url:
        return _through_migrations(url)


def _through_migrations(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine, through_migrations=True)
    try:
        return _catalogue(engine)
    finally:
        engine.dispose()


def _catalogue(engine: Engine) -> dict[str, Any]:
    """Everything a schema is: per table its columns in order (type, nullability,
    default, autoincrement), keys, unique and check constraints, indexes, foreign keys;
    the sequences; on SQLite also the catalogue's own text and pragmas."""
    with engine.connect() as conn:
        insp = inspect(conn)
        out: dict[str, Any] = {}
        for table in sorted(insp.get_table_names()):
            out[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c["default"], c.get("autoincrement"))
                    for c in insp.get_columns(table)
                ],
                "pk": insp.get_pk_constraint(table),
                "unique": sorted(insp.get_unique_constraints(table), key=lambda u: u["name"]),
                "checks": sorted(insp.get_check_constraints(table), key=lambda u: u["name"]),
                "indexes": sorted(insp.get_indexes(table), key=lambda i: i["name"]),
                "fks": sorted(insp.get_foreign_keys(table), key=lambda f: f["name"] or ""),
            }
        if engine.dialect.name == "postgresql":
            out["sequences"] = sorted(insp.get_sequence_names())
        if engine.dialect.name == "sqlite":
            out["sqlite_master"] = sorted(
                tuple(r)
                for r in conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master"))
            )
            for table in sorted(insp.get_table_names()):
                for pragma in ("table_info", "index_list", "foreign_key_list"):
                    rows = conn.exec_driver_sql(f'PRAGMA {pragma}("{table}")').fetchall()
                    out[f"{pragma} {table}"] = sorted(tuple(r) for r in rows)
        out["alembic_version"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return out


def test_the_stored_ddl_is_of_the_newest_migration():
    assert head_schema.REVISION == SCHEMA_HEAD, "run scripts/head-schema after a new migration"
    assert set(head_schema.STATEMENTS) == {"sqlite", "postgresql"}


def test_an_empty_database_gets_the_schema_the_migrations_build_without_alembic(db_url, tmp_path):
    assert _finished(_ensure_in_child(db_url)) == "no alembic"
    fast = make_engine(db_url)
    expected = _migrated_catalogue(db_url, tmp_path)
    got = _catalogue(fast)
    assert got["alembic_version"] == [(SCHEMA_HEAD,)]
    assert got == expected
    upgrade(fast)  # the next start finds the head and does nothing
    assert _catalogue(fast) == expected
    fast.dispose()


def test_an_older_schema_still_upgrades_through_the_migrations(db_url, tmp_path):
    engine = make_engine(db_url)
    upgrade(engine, "0006")
    upgrade(engine)
    assert current_revision(engine) == SCHEMA_HEAD
    assert _catalogue(engine) == _migrated_catalogue(db_url, tmp_path)
    engine.dispose()


def test_two_processes_creating_one_sqlite_database_at_once_both_succeed(tmp_path):
    """The second waits for the first's transaction (BEGIN IMMEDIATE), then finds the
    head: no table is created twice, neither start fails, and neither needs Alembic."""
    url = f"sqlite:///{tmp_path / 'both.db'}"
    children = [_ensure_in_child(url) for _ in range(2)]
    assert [_finished(c) for c in children] == ["no alembic", "no alembic"]
    engine = make_engine(url)
    assert _catalogue(engine) == _migrated_catalogue(url, tmp_path)
    engine.dispose()
