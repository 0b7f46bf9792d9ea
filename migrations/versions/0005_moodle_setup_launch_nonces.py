"""sign-in links from Moodle are single-use: their nonces are stored when used

Revision ID: 0005_moodle_setup
Revises: 0004
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005_moodle_setup'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'launch_nonces',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('moodle_user_id', sa.BigInteger(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('nonce'),
    )
    op.create_index(op.f('ix_launch_nonces_expires_at'), 'launch_nonces', ['expires_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_launch_nonces_expires_at'), table_name='launch_nonces')
    op.drop_table('launch_nonces')
