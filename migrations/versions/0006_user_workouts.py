"""per-user workouts aggregate (every session, with or without a day, per type and
intensity): the fitness figures over the whole history read it, not the fact table; filled
from the facts already published

Revision ID: 0006_user_workouts
Revises: 0005_daily_fact_aggregates
Create Date: 2026-12-06 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006_user_workouts'
down_revision: str | None = '0005_daily_fact_aggregates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the same statement as healthai.pipeline.aggregates.rebuild_statements, for this table
BACKFILL = """INSERT INTO user_workouts (user_id, workout_type, intensity, sessions, minutes)
    SELECT user_id, workout_type, COALESCE(intensity, ''), count(*), sum(duration_min)
    FROM workout_sessions GROUP BY user_id, workout_type, COALESCE(intensity, '')"""


def upgrade() -> None:
    op.create_table('user_workouts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('workout_type', sa.String(length=40), nullable=False),
    sa.Column('intensity', sa.String(length=10), nullable=False, comment="'' when not recorded."),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_workouts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'workout_type', 'intensity', name=op.f('pk_user_workouts'))
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table('user_workouts')
