"""Engine and session factory, and schema upgrades through Alembic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from mailbot.store.lite import (
    SCHEMA_HEAD,  # the newest revision in migrations/ (a test keeps the two equal)
)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL and a busy timeout so the CLI can read while the daemon runs."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migration_engine(url: str) -> Engine:
    """An engine for schema changes. On SQLite every statement runs inside one explicit
    transaction, DDL included (pysqlite would otherwise commit each CREATE TABLE on its
    own), so a kill at any instant leaves the old schema or the new one, never a mix."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def ensure_schema(engine: Engine) -> None:
    """Upgrade only when needed: the usual start costs one query, not an Alembic
    environment (whose import alone takes longer than an idle tick should)."""
    if current_revision(engine) != SCHEMA_HEAD:
        upgrade(engine)


class SchemaError(Exception):
    """The database holds something mailbot cannot upgrade by itself."""


def upgrade(engine: Engine, revision: str = "head", through_migrations: bool = False) -> None:
    """Bring the schema to ``revision`` (the daemon and ``tick`` call this on start), in
    one transaction. A database that an older mailbot left half-created (tables but no
    schema version, and no data in them) is recreated.

    An empty database asked for the head gets the head's stored DDL
    (:mod:`mailbot.store.head_schema`: the very schema the migrations build, a test
    compares the two on SQLite and PostgreSQL) without Alembic, whose import and
    environment cost a first tick more than half a second. An older schema, another
    revision, or ``through_migrations`` (that test, scripts/head-schema) runs Alembic."""
    url = engine.url.render_as_string(hide_password=False)
    migrator = migration_engine(url)
    try:
        with migrator.begin() as conn:
            tables = _repair_half_created(conn)
            stored = not through_migrations and revision in ("head", SCHEMA_HEAD)
            if stored and _head_without_alembic(conn, tables):
                return
            from alembic import command

            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        migrator.dispose()


def _head_without_alembic(conn, tables: set[str]) -> bool:  # type: ignore[no-untyped-def]
    """Whether the database is at the head without Alembic: already (a process that
    waited for another's creation), or created now from the stored DDL because none of
    its tables is mailbot's (:func:`_repair_half_created` ran first). False sends the
    caller to Alembic (an older schema, or no stored DDL for this database)."""
    from sqlalchemy import text

    from mailbot.store import head_schema

    if "alembic_version" in tables:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    statements = head_schema.STATEMENTS.get(conn.dialect.name)
    if head_schema.REVISION != SCHEMA_HEAD or statements is None:
        return False
    for statement in statements:
        conn.exec_driver_sql(statement)
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": SCHEMA_HEAD})
    return True


def _repair_half_created(conn) -> set[str]:  # type: ignore[no-untyped-def]
    """Drop the empty tables a kill inside an older, non-atomic 0001 left without a
    schema version (refused when they hold data); the table names left."""
    from sqlalchemy import inspect, text

    from mailbot.store.models import Base

    tables = set(inspect(conn).get_table_names())
    ours = tables & set(Base.metadata.tables)
    if not ours or "alembic_version" in tables:
        return tables
    for name in ours:
        if conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
            raise SchemaError(
                "the database has mailbot tables with data but no schema version; "
                "restore it from a backup or point [database] url at a new database"
            )
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in ours:
            conn.execute(text(f'DROP TABLE "{table.name}"'))
    return tables - ours


def current_revision(engine: Engine) -> str | None:
    """The schema revision, read with one query (None for an empty database)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            conn.rollback()
            return None
