"""/healthz: the database answers and its schema is at the newest migration."""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db, migrate

bp = Blueprint("health", __name__)


def migration_heads() -> frozenset[str]:
    """The migration scripts' heads, read once per app (parsing them took most of a check's
    time): they change only with a deployment, and a deployment restarts the app."""
    heads = current_app.extensions.get("migration_heads")
    if heads is None:
        heads = frozenset(ScriptDirectory.from_config(migrate.get_config()).get_heads())
        current_app.extensions["migration_heads"] = heads
    return heads


@bp.get("/healthz")
def healthz():
    checks: dict[str, object] = {}
    ok = True
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
        checks["database"] = "ok"
        heads = migration_heads()
        checks["migrations"] = "current" if current == heads else "behind"
        checks["revision"] = sorted(current)
        ok = current == heads
    except Exception as exc:  # any failure here is the answer, not a crash
        current_app.logger.warning("health check failed: %s", type(exc).__name__)
        checks["database"] = "unreachable"
        ok = False
    settings = current_app.config["SETTINGS"]
    checks["playback_key"] = "configured" if settings.stream_key_id else "missing"
    checks["webhook_secret"] = "configured" if settings.stream_webhook_secret else "missing"
    return jsonify(status="ok" if ok else "fail", checks=checks), 200 if ok else 503
