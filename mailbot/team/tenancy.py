"""One PostgreSQL schema per mailbox, on one shared engine (one connection pool).

Every mailbot table and query stays as it is: a transaction opened through a mailbox's
engine first runs ``SET LOCAL search_path`` to that mailbox's schema, so ORM queries,
raw ``text()`` SQL and Alembic's ``op.execute`` strings alike resolve unqualified names
there. Outside a mailbox's transaction the search path holds only ``pg_catalog``: a
query that was not scoped fails ("relation does not exist") instead of reading another
mailbox's rows. Team tables (leases, workers) live in :data:`TEAM_SCHEMA` and are always
named with their schema. docs/design.md ("Tenancy") compares the alternatives.
"""

from __future__ import annotations

import re
import zlib

from sqlalchemy import Connection, Engine, create_engine, event, text

from mailbot.store.db import SCHEMA_HEAD, alembic_config

TEAM_SCHEMA = "mailbot_team"
SCHEMA_PREFIX = "mailbox_"
ENGINEER_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # fits a schema name (63 bytes) with the prefix
_OPTION = "mailbot_schema"
# A transaction left open by a stopped (SIGSTOP) or hung worker holds its row locks; the
# server ends such a session after this long, so a takeover never waits on it for ever.
# Generous: mailbot may hold a transaction open across a slow mailbox listing.
IDLE_IN_TRANSACTION_MS = 600_000
# A statement waiting this long for a lock (a row a stopped worker left locked) fails:
# that mailbox's cycle fails this round, the worker's other mailboxes go on.
LOCK_TIMEOUT_MS = 30_000


def schema_for(engineer_id: str) -> str:
    """The schema of an engineer's mailbox (ids are checked by the team config)."""
    if not ENGINEER_ID.match(engineer_id):
        raise ValueError(f"not an engineer id: {engineer_id!r}")
    return SCHEMA_PREFIX + engineer_id


def shared_engine(url: str, pool_size: int = 5) -> Engine:
    """The one engine of a team process. Its connections start with no schema of ours on
    the search path (fail closed); :func:`scoped` engines share its pool."""
    if not url.startswith("postgresql"):
        raise ValueError("a team needs PostgreSQL (database_url postgresql://...)")
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        connect_args={
            "options": (
                "-c search_path=pg_catalog"
                f" -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
                f" -c lock_timeout={LOCK_TIMEOUT_MS}"
            )
        },
    )
    event.listen(engine, "begin", _scope_transaction)
    return engine


def _scope_transaction(conn: Connection) -> None:
    """Every transaction of a mailbox's engine sees that mailbox's schema only. SET LOCAL
    ends with the transaction, so a pooled connection never carries a scope to the next
    user. PostgreSQL re-parses a prepared statement when the search path changed since it
    was prepared (9.3+), so psycopg's automatic preparing stays scoped (tests prove it)."""
    schema = conn.get_execution_options().get(_OPTION)
    if schema:
        conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')


def scoped(engine: Engine, schema: str) -> Engine:
    """An engine whose every transaction runs in ``schema`` (it shares ``engine``'s pool:
    never dispose it; dispose the shared engine once at the end)."""
    if not schema.startswith(SCHEMA_PREFIX) or not ENGINEER_ID.match(schema[len(SCHEMA_PREFIX) :]):
        raise ValueError(f"not a mailbox schema: {schema!r}")
    return engine.execution_options(**{_OPTION: schema})


def prepare_mailbox(engine: Engine, schema: str) -> None:
    """Create the mailbox's schema and bring its tables to the current revision, in one
    transaction (DDL is transactional on PostgreSQL). Two workers starting at once take
    turns on a transaction-scoped advisory lock per schema; the usual start costs one
    query. Alembic's version table is created unqualified, so it lands in the schema too."""
    mailbox = scoped(engine, schema)
    if _revision(mailbox) == SCHEMA_HEAD:
        return
    from alembic import command

    with mailbox.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(schema)})
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _revision(mailbox: Engine) -> str | None:
    with mailbox.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
        if not exists:
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def lock_key(schema: str) -> int:
    """A stable 32-bit key per schema (advisory locks take integers)."""
    return zlib.crc32(schema.encode())


def mailbox_schemas(engine: Engine) -> list[str]:
    """The mailbox schemas that exist in the database."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p ORDER BY nspname"),
            {"p": SCHEMA_PREFIX + "%"},
        )
        return [r[0] for r in rows]
