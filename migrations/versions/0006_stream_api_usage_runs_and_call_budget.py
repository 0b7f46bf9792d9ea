"""usage collected by the worker (days collected, runs), Stream API calls per minute, poll times

Revision ID: 0006_stream_api
Revises: 0005_moodle_setup
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_stream_api'
down_revision = '0005_moodle_setup'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_collected_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_usage_collected_days'))
    )
    op.create_table('usage_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('delivered_source', sa.String(length=80), nullable=True),
    sa.Column('problem', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_runs'))
    )
    op.create_index(op.f('ix_usage_runs_finished_at'), 'usage_runs', ['finished_at'], unique=False)
    op.create_table('stream_api_calls',
    sa.Column('minute', sa.DateTime(timezone=True), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('minute', name=op.f('pk_stream_api_calls'))
    )
    op.create_table('stream_polls',
    sa.Column('stream_uid', sa.String(length=64), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('stream_uid', name=op.f('pk_stream_polls'))
    )


def downgrade():
    op.drop_table('stream_polls')
    op.drop_table('stream_api_calls')
    op.drop_index(op.f('ix_usage_runs_finished_at'), table_name='usage_runs')
    op.drop_table('usage_runs')
    op.drop_table('usage_collected_days')
