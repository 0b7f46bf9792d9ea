"""reports count enrolled students who submitted without a join per submission

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 13:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('student_enrolled', sa.Boolean(), server_default=sa.text('true'),
                                      nullable=False))
        batch_op.create_index('ix_submissions_attempts_covering', ['assignment_id', 'student_id', 'attempt'],
                              unique=False, postgresql_include=['status', 'uploaded_at', 'created_at'])
    # The same statement roster.refresh_student_enrolled runs for one user, for everyone.
    op.execute("""
        UPDATE submissions SET student_enrolled = EXISTS (
            SELECT 1 FROM enrolments JOIN assignments ON assignments.course_id = enrolments.course_id
            WHERE assignments.id = submissions.assignment_id AND enrolments.user_id = submissions.student_id
              AND enrolments.role = 'student')""")


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_attempts_covering', postgresql_include=['status', 'uploaded_at', 'created_at'])
        batch_op.drop_column('student_enrolled')
