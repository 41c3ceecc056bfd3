"""per-day aggregates of workouts, satisfaction answers and plan periods (the analytics over a
period read them, not the fact tables), filled from the facts already published

Revision ID: 0005_daily_fact_aggregates
Revises: 0004_file_lifecycle
Create Date: 2026-12-06 02:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_daily_fact_aggregates'
down_revision: str | None = '0004_file_lifecycle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the same statements as healthai.pipeline.aggregates.rebuild_statements, for these tables
BACKFILL = [
    """INSERT INTO daily_user_workouts (user_id, day, workout_type, intensity, sessions, minutes)
    SELECT user_id, performed_on, workout_type, COALESCE(intensity, ''), count(*), sum(duration_min)
    FROM workout_sessions WHERE performed_on IS NOT NULL
    GROUP BY user_id, performed_on, workout_type, COALESCE(intensity, '')""",
    """INSERT INTO daily_user_surveys (user_id, day, answers, score_sum, promoters, detractors)
    SELECT user_id, answered_on, count(*), sum(score),
           sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END), sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END)
    FROM satisfaction_surveys GROUP BY user_id, answered_on""",
    """INSERT INTO daily_user_plans (user_id, day, free_periods, paid_periods)
    SELECT user_id, started_on, sum(CASE WHEN plan_tier = 'free' THEN 1 ELSE 0 END),
           sum(CASE WHEN plan_tier IN ('premium', 'premium_plus') THEN 1 ELSE 0 END)
    FROM subscriptions GROUP BY user_id, started_on""",
]


def upgrade() -> None:
    op.create_table('daily_user_plans',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('free_periods', sa.Integer(), nullable=False),
    sa.Column('paid_periods', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_daily_user_plans_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_daily_user_plans'))
    )
    op.create_index('ix_daily_user_plans_day_user_id', 'daily_user_plans', ['day', 'user_id'], unique=False)
    op.create_table('daily_user_surveys',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Integer(), nullable=False),
    sa.Column('promoters', sa.Integer(), nullable=False),
    sa.Column('detractors', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_daily_user_surveys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_daily_user_surveys'))
    )
    op.create_index('ix_daily_user_surveys_day_user_id', 'daily_user_surveys', ['day', 'user_id'], unique=False)
    op.create_table('daily_user_workouts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('workout_type', sa.String(length=40), nullable=False),
    sa.Column('intensity', sa.String(length=10), nullable=False, comment="'' when not recorded."),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_daily_user_workouts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', 'workout_type', 'intensity', name=op.f('pk_daily_user_workouts'))
    )
    op.create_index('ix_daily_user_workouts_day_user_id', 'daily_user_workouts', ['day', 'user_id'], unique=False)
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index('ix_daily_user_workouts_day_user_id', table_name='daily_user_workouts')
    op.drop_table('daily_user_workouts')
    op.drop_index('ix_daily_user_surveys_day_user_id', table_name='daily_user_surveys')
    op.drop_table('daily_user_surveys')
    op.drop_index('ix_daily_user_plans_day_user_id', table_name='daily_user_plans')
    op.drop_table('daily_user_plans')
