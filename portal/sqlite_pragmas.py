"""SQLite needs foreign keys switched on per connection; WAL lets the worker and web share it."""
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def _on_connect(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def init(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from .extensions import db

    with app.app_context():
        engine: Engine = db.engine
        if not event.contains(engine, "connect", _on_connect):
            event.listen(engine, "connect", _on_connect)
