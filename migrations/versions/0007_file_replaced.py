"""file replaced: a failed, refused, rejected or rolled-back file can be closed by naming the
later file of its source that replaces it (state `replaced`, `raw_files.replaced_by_id`)

Revision ID: 0007_file_replaced
Revises: 0006_user_workouts
Create Date: 2026-12-06 04:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007_file_replaced'
down_revision: str | None = '0006_user_workouts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "state IN ('received', 'read', 'validated', 'staged', 'audited', 'approved', 'published', 'settled', 'refused', 'failed', 'rejected', 'rolled_back')"
AFTER = "state IN ('received', 'read', 'validated', 'staged', 'audited', 'approved', 'published', 'settled', 'refused', 'failed', 'rejected', 'rolled_back', 'replaced')"


def upgrade() -> None:
    # a plain ADD COLUMN (no copy of the table on SQLite); the state's CHECK is PostgreSQL's
    # only, as in 0004_file_lifecycle
    op.add_column('raw_files', sa.Column('replaced_by_id', sa.Integer(), nullable=True, comment="The later file of the same source a steward named as this one's replacement (state replaced)."))
    if op.get_context().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_raw_files_state_known'), 'raw_files', type_='check')
        op.create_check_constraint(op.f('ck_raw_files_state_known'), 'raw_files', AFTER)


def downgrade() -> None:
    # a replaced file goes back to the state a steward would have to decide on again
    op.execute("UPDATE raw_files SET state = 'failed' WHERE state = 'replaced'")
    if op.get_context().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_raw_files_state_known'), 'raw_files', type_='check')
        op.create_check_constraint(op.f('ck_raw_files_state_known'), 'raw_files', BEFORE)
    op.execute('ALTER TABLE raw_files DROP COLUMN replaced_by_id')
