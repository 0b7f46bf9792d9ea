"""INSERT … ON CONFLICT DO NOTHING on both databases: the unique key, not a SELECT first, decides
whether a row is new. One statement, no race between two requests, no rollback for a duplicate."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


@lru_cache(maxsize=None)
def _statement(dialect_name: str, table: Table, key: str) -> Insert:
    # Built once, values bound at execution: SQLAlchemy compiles it once too (the webhook's hot path).
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c.id)


def insert_once(session: Session, model: type, key: str, values: dict[str, Any]) -> int | None:
    """Insert a row of `model` unless one with the same unique `key` column exists; returns the
    new row's id, or None when it was there already. Column defaults apply as for any insert."""
    stmt = _statement(session.get_bind().dialect.name, model.__table__, key)
    return session.execute(stmt, values).scalar()
