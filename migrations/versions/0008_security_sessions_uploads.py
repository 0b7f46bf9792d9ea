"""server-side sessions; one unfinished upload per student and assignment

web_sessions holds the sessions Flask-Session keeps on the server (portal/sessions.py), so signing
out ends a session for every copy of its cookie (issue 18.4).

uq_submissions_one_uploading: at most one upload in progress per (assignment, student), enforced
by the database under concurrency (issue 18.6). Rows the old race left behind are expired first,
keeping each pair's newest.

Revision ID: 0008_security
Revises: 0007_moodle_sync
Create Date: 2026-12-03 19:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0008_security'
down_revision = '0007_moodle_sync'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])

    op.execute("""
        UPDATE submissions SET status = 'expired', upload_url = NULL,
               error_message = 'Another upload for this assignment was started at the same time.'
         WHERE status = 'uploading' AND id NOT IN (
               SELECT newest FROM (SELECT max(id) AS newest FROM submissions WHERE status = 'uploading'
                                    GROUP BY assignment_id, student_id) AS keep)
    """)
    op.create_index("uq_submissions_one_uploading", "submissions", ["assignment_id", "student_id"],
                    unique=True, postgresql_where=sa.text("status = 'uploading'"),
                    sqlite_where=sa.text("status = 'uploading'"))


def downgrade():
    op.drop_index("uq_submissions_one_uploading", table_name="submissions")
    op.drop_index(op.f("ix_web_sessions_expires_at"), table_name="web_sessions")
    op.drop_table("web_sessions")
