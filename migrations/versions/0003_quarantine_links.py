"""quarantine links: a bad row identical to one already quarantined is linked to it
(quarantine_repeats: where it came from) instead of being quarantined twice; quarantined rows
keep the fingerprint of their untouched values to be found again

Revision ID: 0003_quarantine_links
Revises: 0002_access_policy
Create Date: 2026-12-05 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_quarantine_links'
down_revision: str | None = '0002_access_policy'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('quarantine_repeats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarantined_row_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.CHAR(length=64), nullable=False),
    sa.Column('source_record', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['quarantined_row_id'], ['quarantined_rows.id'], name=op.f('fk_quarantine_repeats_quarantined_row_id_quarantined_rows'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['ingestion_runs.id'], name=op.f('fk_quarantine_repeats_run_id_ingestion_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine_repeats'))
    )
    with op.batch_alter_table('quarantine_repeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_repeats_quarantined_row_id'), ['quarantined_row_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantine_repeats_run_id'), ['run_id'], unique=False)

    # a plain ADD COLUMN (no copy of the table on SQLite)
    op.add_column('quarantined_rows', sa.Column('fingerprint', sa.CHAR(length=64), nullable=True, comment='SHA-256 of the untouched row (its values, not its place in the file): the same bad row brought again is linked here, not quarantined twice.'))
    op.create_index('ix_quarantined_rows_source_id_fingerprint', 'quarantined_rows', ['source_id', 'fingerprint'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quarantine_repeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_repeats_run_id'))
        batch_op.drop_index(batch_op.f('ix_quarantine_repeats_quarantined_row_id'))

    op.drop_table('quarantine_repeats')
    op.drop_index('ix_quarantined_rows_source_id_fingerprint', table_name='quarantined_rows')
    # a plain DROP COLUMN (SQLite 3.35 and later too): no copy of the table
    op.execute('ALTER TABLE quarantined_rows DROP COLUMN fingerprint')
