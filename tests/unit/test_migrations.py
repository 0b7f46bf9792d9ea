"""Migrations go up and down cleanly, and the models agree with the migrated schema."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.extensions import db
from tests.support.database import throwaway_database
from tests.support.portal import make_app


def test_up_down_up_and_no_drift(request, tmp_path):
    with throwaway_database(request.config.getoption("--db"), tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                        db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert {"submissions", "outbox", "audit_log"} <= set(inspect(db.engine).get_table_names())
            db.engine.dispose()
