"""Move one engineer's mailbot database into another database: from the single-user
SQLite file into PostgreSQL, or into a team database's schema for that engineer.

Everything mailbot knows lives in these tables (cases, timeline, outbox with its send
claims, sync states, quarantine, signals), so a faithful copy continues exactly where
the old install stopped: mail already filed is not filed again, a draft already sent is
not sent again. The copy is refused rather than merged when the target already holds
data: two histories of one mailbox cannot be reconciled row by row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, Integer, func, insert, select, text

from mailbot.store.db import SCHEMA_HEAD, current_revision
from mailbot.store.models import Base

CHUNK = 1000


class TransferRefused(Exception):
    """Nothing was copied: the reason is the message."""


def _chunks(conn: Connection, table: Any) -> Iterator[list[dict[str, Any]]]:
    result = conn.execute(select(table).order_by(*table.primary_key.columns))
    while rows := result.mappings().fetchmany(CHUNK):
        yield [dict(r) for r in rows]


def _reset_sequences(conn: Connection, schema: str | None) -> None:
    """PostgreSQL hands out ids from a sequence that a copy with explicit ids does not
    advance; without this the first new case would collide with a copied one."""
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        qualified = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": qualified, "c": pk[0].name}
        ).scalar()
        if seq is None:
            continue
        top = conn.execute(select(func.max(pk[0])).select_from(table)).scalar()
        conn.execute(
            text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
            {"s": seq, "v": top or 1, "called": top is not None},
        )


def copy_database(source: Engine, target: Engine, schema: str | None = None) -> dict[str, int]:
    """Copy every mailbot table from ``source`` into ``target`` (both at the schema this
    version writes; the target empty) in one target transaction, and return the rows
    copied per table. ``schema`` names the target's PostgreSQL schema when the target
    engine is scoped to one (a team database), for the sequence reset."""
    for name, engine in (("source", source), ("target", target)):
        revision = current_revision(engine)
        if revision != SCHEMA_HEAD:
            raise TransferRefused(
                f"the {name} database is at schema {revision or 'none'}, this mailbot writes "
                f"{SCHEMA_HEAD}: run `mailbot db upgrade` against it first"
            )
    copied: dict[str, int] = {}
    with source.connect() as src, target.begin() as dst:
        for table in Base.metadata.sorted_tables:
            if dst.execute(select(table).limit(1)).first() is not None:
                raise TransferRefused(
                    f"the target database already holds {table.name}: copy into an empty one"
                )
        for table in Base.metadata.sorted_tables:
            copied[table.name] = 0
            for rows in _chunks(src, table):
                dst.execute(insert(table), rows)
                copied[table.name] += len(rows)
        if dst.dialect.name == "postgresql":
            _reset_sequences(dst, schema)
    return copied
