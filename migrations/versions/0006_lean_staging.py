"""lean staging: the source fingerprint moves from every staged row to its batch
(`batches.source_sha256`), and staging tables lose their foreign key to `batches` (a per-row
check during COPY; batches are never deleted). Staged rows of unpublished batches keep their
fingerprint through the move, both ways.

Revision ID: 0006_lean_staging
Revises: 0005_analytics_rollups
Create Date: 2026-11-29 06:20:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = '0006_lean_staging'
down_revision: str | None = '0005_analytics_rollups'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every staging table's columns (name, type) in order as 0005 left them; staging_id is the
# primary key, every other column is nullable.
COLUMNS: dict[str, tuple[tuple[str, Any], ...]] = {
    'app_sessions': (
        ('user_key', sa.String(length=200)),
        ('started_at', sa.DateTime(timezone=True)),
        ('duration_s', sa.Integer()),
        ('platform', sa.String(length=10)),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'biometric_measurements': (
        ('user_key', sa.String(length=200)),
        ('metric', sa.String(length=20)),
        ('measured_at', sa.DateTime(timezone=True)),
        ('value', sa.Float()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'daily_activity': (
        ('user_key', sa.String(length=200)),
        ('activity_date', sa.Date()),
        ('steps', sa.Integer()),
        ('distance_km', sa.Float()),
        ('very_active_min', sa.SmallInteger()),
        ('fairly_active_min', sa.SmallInteger()),
        ('lightly_active_min', sa.SmallInteger()),
        ('sedentary_min', sa.SmallInteger()),
        ('calories_kcal', sa.Float()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'exercise_muscles': (
        ('batch_id', sa.Integer()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('exercise_key', sa.String(length=200)),
        ('muscle_key', sa.String(length=200)),
        ('role', sa.String(length=10)),
    ),
    'exercises': (
        ('code', sa.String(length=170)),
        ('source', sa.String(length=40)),
        ('source_key', sa.String(length=120)),
        ('name', sa.String(length=200)),
        ('exercise_type', sa.String(length=40)),
        ('body_part_key', sa.String(length=200)),
        ('equipment_key', sa.String(length=200)),
        ('level', sa.String(length=20)),
        ('force', sa.String(length=10)),
        ('mechanic', sa.String(length=12)),
        ('instructions', sa.Text()),
        ('same_as_key', sa.String(length=200)),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'foods': (
        ('code', sa.String(length=130)),
        ('source', sa.String(length=40)),
        ('source_code', sa.String(length=80)),
        ('name', sa.String(length=300)),
        ('category', sa.String(length=200)),
        ('energy_kcal', sa.Float()),
        ('protein_g', sa.Float()),
        ('carbohydrate_g', sa.Float()),
        ('fat_g', sa.Float()),
        ('fibre_g', sa.Float()),
        ('sugars_g', sa.Float()),
        ('salt_g', sa.Float()),
        ('sodium_mg', sa.Float()),
        ('cholesterol_mg', sa.Float()),
        ('portion_g', sa.Float()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'meal_logs': (
        ('user_key', sa.String(length=200)),
        ('eaten_on', sa.Date()),
        ('meal_type', sa.String(length=20)),
        ('food_key', sa.String(length=200)),
        ('food_label', sa.String(length=300)),
        ('quantity_g', sa.Float()),
        ('energy_kcal', sa.Float()),
        ('protein_g', sa.Float()),
        ('carbohydrate_g', sa.Float()),
        ('fat_g', sa.Float()),
        ('fibre_g', sa.Float()),
        ('sugars_g', sa.Float()),
        ('sodium_mg', sa.Float()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'recipe_ingredients': (
        ('batch_id', sa.Integer()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('recipe_key', sa.String(length=200)),
        ('food_key', sa.String(length=200)),
        ('quantity_g', sa.Float()),
    ),
    'recipes': (
        ('code', sa.String(length=130)),
        ('source', sa.String(length=40)),
        ('source_code', sa.String(length=80)),
        ('name', sa.String(length=300)),
        ('servings', sa.SmallInteger()),
        ('instructions', sa.Text()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'satisfaction_surveys': (
        ('user_key', sa.String(length=200)),
        ('answered_on', sa.Date()),
        ('score', sa.SmallInteger()),
        ('comment', sa.Text()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'subscriptions': (
        ('user_key', sa.String(length=200)),
        ('plan_tier', sa.String(length=20)),
        ('started_on', sa.Date()),
        ('ended_on', sa.Date()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
    'user_allergies': (
        ('batch_id', sa.Integer()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('user_key', sa.String(length=200)),
        ('allergen', sa.String(length=40)),
    ),
    'user_dietary_restrictions': (
        ('batch_id', sa.Integer()),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('user_key', sa.String(length=200)),
        ('restriction', sa.String(length=40)),
    ),
    'users': (
        ('external_key', sa.String(length=120)),
        ('birth_year', sa.SmallInteger()),
        ('sex', sa.String(length=10)),
        ('height_cm', sa.Float()),
        ('goal', sa.String(length=30)),
        ('activity_level', sa.String(length=20)),
        ('experience_level', sa.SmallInteger()),
        ('workouts_per_week', sa.SmallInteger()),
        ('plan_tier', sa.String(length=20)),
        ('organisation_key', sa.String(length=200)),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
        ('created_at', sa.DateTime(timezone=True)),
    ),
    'workout_sessions': (
        ('user_key', sa.String(length=200)),
        ('exercise_key', sa.String(length=200)),
        ('workout_type', sa.String(length=40)),
        ('performed_on', sa.Date()),
        ('duration_min', sa.Float()),
        ('calories_kcal', sa.Float()),
        ('avg_hr_bpm', sa.SmallInteger()),
        ('max_hr_bpm', sa.SmallInteger()),
        ('intensity', sa.String(length=10)),
        ('source_sha256', sa.CHAR(length=64)),
        ('source_record', sa.String(length=200)),
        ('batch_id', sa.Integer()),
    ),
}


def _staging(name: str, before: bool) -> sa.Table:
    """staging_<name> as it is before (with the fingerprint and the foreign key) or after this
    revision: SQLite alters a table by copying it, and needs its definition when writing the
    offline script (migrations/sql/), where there is no database to read it from."""
    md = sa.MetaData()
    sa.Table('batches', md, sa.Column('id', sa.Integer(), primary_key=True))
    columns = [c for c in COLUMNS[name] if before or c[0] != 'source_sha256']
    table = sa.Table(
        f'staging_{name}',
        md,
        sa.Column('staging_id', sa.Integer(), nullable=False),
        *(sa.Column(column, kind, nullable=True) for column, kind in columns),
        sa.PrimaryKeyConstraint('staging_id', name=f'pk_staging_{name}'),
    )
    if before:
        table.append_constraint(
            sa.ForeignKeyConstraint(
                ['batch_id'], ['batches.id'], name=f'fk_staging_{name}_batch_id_batches',
                ondelete='CASCADE',
            )
        )
    sa.Index(f'ix_staging_{name}_batch_id', table.c.batch_id)
    return table


def upgrade() -> None:
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'source_sha256', sa.CHAR(length=64), nullable=True,
                comment="SHA-256 of the source file or API response of every row staged in "
                "the batch; publication writes it into each row's lineage.",
            )
        )
    for name in COLUMNS:
        # every row of a batch was staged with its file's fingerprint: keep it on the batch
        op.execute(
            f"UPDATE batches SET source_sha256 = (SELECT max(s.source_sha256) FROM staging_{name} s"
            " WHERE s.batch_id = batches.id) WHERE source_sha256 IS NULL"
        )
        with op.batch_alter_table(f'staging_{name}', copy_from=_staging(name, True)) as batch_op:
            batch_op.drop_constraint(f'fk_staging_{name}_batch_id_batches', type_='foreignkey')
            batch_op.drop_column('source_sha256')


def downgrade() -> None:
    for name in COLUMNS:
        with op.batch_alter_table(f'staging_{name}', copy_from=_staging(name, False)) as batch_op:
            batch_op.add_column(sa.Column('source_sha256', sa.CHAR(length=64), nullable=True))
            batch_op.create_foreign_key(
                f'fk_staging_{name}_batch_id_batches', 'batches', ['batch_id'], ['id'],
                ondelete='CASCADE',
            )
        op.execute(
            f"UPDATE staging_{name} SET source_sha256 = (SELECT b.source_sha256 FROM batches b"
            f" WHERE b.id = staging_{name}.batch_id)"
        )
    op.execute('ALTER TABLE batches DROP COLUMN source_sha256')  # SQLite 3.35 and later too
