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


def test_rows_killed_only_because_moodle_was_away_are_queued_again(request, tmp_path):
    """0007_moodle_sync: the old worker ended a row after 8 transient failures ("Gave up after …"); those go back
    to the queue, a refusal stays dead, and a resubmission request stays for a person."""
    import sqlalchemy as sa

    from portal.models import utcnow
    with throwaway_database(request.config.getoption("--db"), tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(revision="0004")
            outbox = sa.table("outbox", sa.column("kind"), sa.column("payload", sa.JSON), sa.column("idempotency_key"),
                              sa.column("state"), sa.column("attempts"), sa.column("next_attempt_at", sa.DateTime(True)),
                              sa.column("created_at", sa.DateTime(True)), sa.column("last_error"))
            rows = {"away": ("Gave up after 8 tries. Last: Moodle is not answering", {}),
                    "refused": ("Moodle refused it: invalidparameter", {}),
                    "reopen": ("Gave up after 8 tries. Last: Moodle is not answering", {"addattempt": True})}
            with db.engine.begin() as conn:
                for key, (error, payload) in rows.items():
                    conn.execute(outbox.insert().values(kind="grade", payload=payload, idempotency_key=key,
                                                        state="dead", attempts=8, next_attempt_at=utcnow(),
                                                        created_at=utcnow(), last_error=error))
            upgrade()
            with db.engine.connect() as conn:
                got = dict(conn.execute(sa.text("SELECT idempotency_key, state FROM outbox")).all())
            assert got == {"away": "pending", "refused": "dead", "reopen": "dead"}
            db.engine.dispose()
