"""file life cycle: every landed file keeps its state (received ... published, or refused,
failed, rejected, rolled back), who moved it and when, its error and the run that claimed it;
ingestion runs keep the process running them (a run whose process died is closed as failed)

Revision ID: 0004_file_lifecycle
Revises: 0003_quarantine_links
Create Date: 2026-12-06 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004_file_lifecycle'
down_revision: str | None = '0003_quarantine_links'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "state IN ('received', 'read', 'validated', 'staged', 'audited', 'approved', 'published', 'settled', 'refused', 'failed', 'rejected', 'rolled_back')"
# a file already ingested takes its newest batch's state (no batch: settled, or failed when
# its last run failed)
BACKFILL = """
UPDATE raw_files SET state = COALESCE(
    (SELECT CASE b.status WHEN 'audit_failed' THEN 'staged' ELSE b.status END
     FROM batches b WHERE b.raw_file_id = raw_files.id ORDER BY b.id DESC LIMIT 1),
    (SELECT CASE r.status WHEN 'failed' THEN 'failed' WHEN 'running' THEN 'received'
            ELSE 'settled' END
     FROM ingestion_runs r WHERE r.raw_file_id = raw_files.id ORDER BY r.id DESC LIMIT 1),
    'received')
"""


def upgrade() -> None:
    # plain ADD COLUMNs (no copy of the tables on SQLite, and offline SQL works); SQLite cannot
    # add a CHECK to a table without copying it, so the state's CHECK is PostgreSQL's only
    # (the life cycle's moves are the only writers of the state anyway)
    op.add_column('ingestion_runs', sa.Column('owner', sa.String(length=200), nullable=True, comment='host:pid:start of the process running it (healthai.pipeline.runs): a run whose process is gone is closed as failed, never left running.'))
    op.add_column('ingestion_runs', sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
    for column in (sa.Column('state', sa.String(length=12), server_default=sa.text("'received'"), nullable=False, comment='Where the file stands in its life cycle (healthai.pipeline.lifecycle_states); changed only by healthai.pipeline.lifecycle.'),
        sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('state_by', sa.String(length=120), nullable=True),
        sa.Column('error', sa.Text(), nullable=True, comment='Why it failed or was refused.'),
        sa.Column('run_id', sa.Integer(), nullable=True, comment='The ingestion run that last claimed it (no foreign key: runs name their file).'),
    ):
        op.add_column('raw_files', column)
    op.create_index('ix_raw_files_state', 'raw_files', ['state'], unique=False)
    if op.get_context().dialect.name != 'sqlite':
        op.create_check_constraint(op.f('ck_raw_files_state_known'), 'raw_files', STATES)
    op.execute(BACKFILL)


def downgrade() -> None:
    if op.get_context().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_raw_files_state_known'), 'raw_files', type_='check')
    op.drop_index('ix_raw_files_state', table_name='raw_files')
    # plain DROP COLUMNs (SQLite 3.35 and later too): no copy of the tables
    for column in ('run_id', 'error', 'state_by', 'state_at', 'state'):
        op.execute(f'ALTER TABLE raw_files DROP COLUMN {column}')
    for column in ('heartbeat_at', 'owner'):
        op.execute(f'ALTER TABLE ingestion_runs DROP COLUMN {column}')
