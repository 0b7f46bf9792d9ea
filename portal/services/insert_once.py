"""INSERT … ON CONFLICT DO NOTHING on both databases: the unique key, not a SELECT first, decides
whether a row is new. One statement, no race between two requests, no rollback for a duplicate.

Written as typed text rather than with the dialects' insert(): SQLAlchemy 2.0 does not cache the
compiled form of a dialect insert (sqlalchemy#10445), and compiling it on every call cost about
a third of the webhook endpoint's time. The text is the same on both (SQLite ≥ 3.35)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, TextClause, bindparam, text
from sqlalchemy.orm import Session


@lru_cache(maxsize=None)
def _statement(table: Table, key: str, names: tuple[str, ...]) -> TextClause:
    columns = ", ".join(f'"{n}"' for n in names)
    values = ", ".join(f":{n}" for n in names)
    sql = (f'INSERT INTO "{table.name}" ({columns}) VALUES ({values}) '
           f'ON CONFLICT ("{key}") DO NOTHING RETURNING "{table.primary_key.columns.values()[0].name}"')
    # typed binds: UTCDateTime, JSON and the rest convert their values as in any insert
    return text(sql).bindparams(*(bindparam(n, type_=table.c[n].type) for n in names))


def _with_defaults(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    row = dict(values)
    for column in table.c:
        default = column.default
        if column.name in row or default is None:
            continue
        if default.is_scalar:
            row[column.name] = default.arg
        elif default.is_callable:
            row[column.name] = default.arg(None)   # SQLAlchemy's wrapper takes an (unused) context
    return row


def insert_once(session: Session | Connection, model: type, key: str, values: dict[str, Any]) -> int | None:
    """Insert a row of `model` unless one with the same unique `key` column exists; returns the
    new row's id, or None when it was there already. Python-side column defaults apply, as for
    an ORM insert."""
    table = model.__table__
    row = _with_defaults(table, values)
    return session.execute(_statement(table, key, tuple(sorted(row))), row).scalar()
