"""attempts as Moodle applies them, and grades given in Moodle read back

assignments.reopen_method is Moodle's attemptreopenmethod (none / manual / untilpass; 4.3's
default is none); grades_read_at is the watermark for mod_assign_get_grades' `since`.
submissions.moodle_reopened_at says Moodle confirmed a newer attempt after this one;
moodle_grader_id / moodle_graded_at record a grade given in Moodle's own grader. Outbox rows the
old worker killed only because Moodle was away are queued again (a Moodle outage no longer ends a row).

Columns are only added, never altered: on SQLite an ALTER rebuilds the table, and dropping the old
`assignments` with foreign keys on would cascade-delete every submission (and a rebuilt
`submissions` would lose the tallies' triggers of 0004). The CHECK on reopen_method is created on
PostgreSQL only for that reason (the portal writes only ReopenMethod values). Unlimited attempts
(Moodle's -1, read as 10 before) become models.UNLIMITED_ATTEMPTS at the next roster sync.

Revision ID: 0007_moodle_sync
Revises: 0006_stream_api
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_moodle_sync'
down_revision = '0006_stream_api'
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.add_column('assignments', sa.Column('reopen_method', sa.String(length=20), server_default='none',
                                           nullable=False))
    op.add_column('assignments', sa.Column('grades_read_at', sa.DateTime(timezone=True), nullable=True))
    if _postgres():
        op.create_check_constraint('ck_assignments_reopen_method_valid', 'assignments',
                                   "reopen_method IN ('none', 'manual', 'untilpass')")
    op.add_column('submissions', sa.Column('moodle_reopened_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('submissions', sa.Column('moodle_grader_id', sa.Integer(), nullable=True))
    op.add_column('submissions', sa.Column('moodle_graded_at', sa.DateTime(timezone=True), nullable=True))
    # Rows the old worker gave up on only because Moodle was away go back to the queue (nobody has
    # to click Retry); a resubmission request stays for a person (it may have opened an attempt).
    outbox = sa.table('outbox', sa.column('id', sa.Integer), sa.column('state', sa.String),
                      sa.column('payload', sa.JSON), sa.column('last_error', sa.Text),
                      sa.column('locked_until', sa.DateTime(timezone=True)))
    bind = op.get_bind()
    gave_up = bind.execute(sa.select(outbox.c.id, outbox.c.payload).where(
        outbox.c.state == 'dead', outbox.c.last_error.like('Gave up after%'))).all()
    ids = [i for i, payload in gave_up if not (payload or {}).get('addattempt')]
    if ids:
        bind.execute(outbox.update().where(outbox.c.id.in_(ids)).values(state='pending', locked_until=None))


def downgrade():
    # SQLite drops these columns in place (3.35+): nothing references them.
    with op.batch_alter_table('submissions', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('moodle_graded_at')
        batch_op.drop_column('moodle_grader_id')
        batch_op.drop_column('moodle_reopened_at')
    if _postgres():
        op.drop_constraint('ck_assignments_reopen_method_valid', 'assignments', type_='check')
    with op.batch_alter_table('assignments', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('grades_read_at')
        batch_op.drop_column('reopen_method')
