"""Many rows in one statement, for the steps that write hundreds of rows at once (filing a
batch of mail, folding the cases it touched).

The ORM's own bulk INSERT leaves out every key whose value is None (so that a column
default applies) and then sends consecutive rows with the same keys together: rows that
differ only in which values are None (a message without a Message-ID, a timeline line
without a rule) went out as hundreds of one-row statements, a fifth of filing. Writing
None as NULL gives every row the same keys and one executemany, which stores the same
thing as long as None only ever stands for a column that has no default; when a row
breaks that rule the rows go the ORM's way, unchanged.

Updates by primary key go through the ORM's bulk UPDATE: one executemany for rows with
the same keys, and the objects of the session take the new values without becoming
dirty, so nothing is written twice.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import insert, inspect, update
from sqlalchemy.orm import Session

from mailbot.store.models import Base


@cache
def _defaulted(model: type[Base]) -> frozenset[str]:
    """The attributes whose column fills a missing value (Python or server default)."""
    mapper = inspect(model)
    return frozenset(
        attr.key
        for attr in mapper.column_attrs
        if any(c.default is not None or c.server_default is not None for c in attr.columns)
    )


@cache
def _column_keys(model: type[Base]) -> dict[str, str]:
    """Attribute name → its column's key, for the attributes named differently."""
    mapper = inspect(model)
    return {
        attr.key: attr.columns[0].key
        for attr in mapper.column_attrs
        if attr.columns[0].key != attr.key
    }


def insert_rows(s: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (attribute name → value) in order, in one statement when every
    row has the same keys and no None stands for a column with a default.

    Such a batch goes to the table's Core INSERT (what the ORM's bulk INSERT ends in,
    without its per-row pass over the mapper), after the flush the ORM would do first."""
    if not rows:
        return
    keys = rows[0].keys()
    defaulted = [k for k in _defaulted(model) if k in keys]  # others are absent from all
    uniform = all(r.keys() == keys for r in rows) and not any(
        r[k] is None for k in defaulted for r in rows
    )
    if not uniform:
        s.execute(insert(model), rows)
        return
    if s.autoflush:  # as an ORM statement would: pending objects go in first
        s.flush()
    renamed = _column_keys(model)
    if renamed.keys() & keys:
        rows = [{renamed.get(k, k): v for k, v in r.items()} for r in rows]
    s.connection().execute(model.__table__.insert(), rows)


def update_rows(s: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """UPDATE by primary key (each row holds it), one executemany per set of keys; the
    session's objects of these rows take the values as their stored state."""
    if rows:
        s.execute(update(model), rows)
