"""A throw-away database per test run: a SQLite file, or a PostgreSQL database created and dropped."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, text

PG_SERVER = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


@contextmanager
def throwaway_database(kind: str, tmp_dir):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / 'portal-test.db'}"
        return
    name = f"sp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}".replace("+psycopg", "")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wipe(db) -> None:
    """Empty every table between tests (faster than migrating again, and keeps the schema)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))
