"""erasure: a person's erasure everywhere (RGPD article 17): the erasures register, run
accounting of erased records, the fingerprint of a raw file rewritten without a person,
audit entries that no longer name an erased row

Revision ID: 0008_erasure
Revises: 0007_login_attempts
Create Date: 2026-12-05 22:00:08.744397
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.util import OrderedSet


revision: str = '0008_erasure'
down_revision: str | None = '0007_login_attempts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ADD_UP_OLD = (
    "status = 'running' OR status = 'failed' OR "
    "rows_in = rows_published + rows_quarantined + rows_duplicate + rows_pending"
)
ERASED_COMMENT = (
    'Records published, quarantined or pending, later erased with their person (right to erasure).'
)
CONTENT_COMMENT = (
    "SHA-256 of the stored bytes once an erasure rewrote the file without a person's records "
    "(NULL: never rewritten; `sha256` stays the fingerprint of what came in). A file with "
    "either fingerprint is known and not ingested again."
)
ADD_UP_NEW = (
    "status = 'running' OR status = 'failed' OR rows_in = rows_published + "
    "rows_quarantined + rows_duplicate + rows_pending + rows_erased"
)


def _ordered(table: sa.Table) -> sa.Table:
    """The table's constraints in name order: batch mode copies them in iteration order, and
    a set's order varies from run to run (so would the offline SQL script)."""
    table.constraints = OrderedSet(sorted(table.constraints, key=lambda c: str(c.name)))
    return table


def _raw_files() -> sa.Table:
    """raw_files after this revision, for SQLite's batch mode offline (downgrade)."""
    return _ordered(sa.Table(
        'raw_files', sa.MetaData(),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.CHAR(length=64), nullable=False),
        sa.Column('original_name', sa.String(length=500), nullable=False),
        sa.Column('stored_path', sa.String(length=1000), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='When the row was written.'),
        sa.Column('content_sha256', sa.CHAR(length=64), nullable=True, comment=CONTENT_COMMENT),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name='fk_raw_files_source_id_sources'),
        sa.PrimaryKeyConstraint('id', name='pk_raw_files'),
        sa.UniqueConstraint('source_id', 'sha256', name='uq_raw_files_source_id_sha256'),
    ))


def _ingestion_runs(erased: bool) -> sa.Table:
    """ingestion_runs as it is before (erased=False) or after this revision, for SQLite's
    batch mode offline (the CHECK changes, so the table is copied)."""
    columns = [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('dagster_run_id', sa.String(length=64), nullable=True),
        sa.Column('raw_file_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('rows_in', sa.Integer(), nullable=False),
        sa.Column('rows_published', sa.Integer(), nullable=False),
        sa.Column('rows_quarantined', sa.Integer(), nullable=False),
        sa.Column('rows_duplicate', sa.Integer(), nullable=False),
        sa.Column('rows_pending', sa.Integer(), nullable=False, comment='Staged rows waiting for approval (not yet published).'),
        sa.Column('error', sa.Text(), nullable=True),
    ]
    if erased:
        columns.append(sa.Column('rows_erased', sa.Integer(), server_default='0', nullable=False, comment=ERASED_COMMENT))
    table = sa.Table(
        'ingestion_runs', sa.MetaData(), *columns,
        sa.CheckConstraint(ADD_UP_NEW if erased else ADD_UP_OLD, name='ck_ingestion_runs_rows_add_up'),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'partial', 'failed', 'skipped')", name='ck_ingestion_runs_status_known'),
        sa.ForeignKeyConstraint(['raw_file_id'], ['raw_files.id'], name='fk_ingestion_runs_raw_file_id_raw_files'),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name='fk_ingestion_runs_source_id_sources'),
        sa.PrimaryKeyConstraint('id', name='pk_ingestion_runs'),
    )
    return _ordered(table)


def _sqlite_indexes() -> None:
    """SQLite copied ingestion_runs into a new table (its CHECK changed): its indexes are made
    again here, in a fixed order (a Table's indexes are a set: the offline script would vary)."""
    if op.get_context().dialect.name == 'sqlite':
        op.create_index('ix_ingestion_runs_dagster_run_id', 'ingestion_runs', ['dagster_run_id'])
        op.create_index(
            'ix_ingestion_runs_source_id_started_at', 'ingestion_runs', ['source_id', 'started_at']
        )


def upgrade() -> None:
    op.create_table('erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.CHAR(length=64), nullable=False, comment='HMAC-SHA256, keyed with PSEUDONYM_SECRET, of `erased:<users.external_key>`.'),
    sa.Column('detail', sa.JSON(), nullable=False, comment='Rows removed per table, log entries cleared, files rewritten.'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures'))
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasures_subject'), ['subject'], unique=False)

    with op.batch_alter_table('ingestion_runs', copy_from=_ingestion_runs(False)) as batch_op:
        batch_op.add_column(sa.Column('rows_erased', sa.Integer(), server_default='0', nullable=False, comment=ERASED_COMMENT))
        batch_op.drop_constraint(op.f('ck_ingestion_runs_rows_add_up'), type_='check')
        batch_op.create_check_constraint('rows_add_up', ADD_UP_NEW)
    _sqlite_indexes()

    op.add_column('raw_files', sa.Column('content_sha256', sa.CHAR(length=64), nullable=True, comment=CONTENT_COMMENT))
    op.create_index(op.f('ix_raw_files_content_sha256'), 'raw_files', ['content_sha256'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_raw_files_content_sha256'), table_name='raw_files')
    with op.batch_alter_table('raw_files', copy_from=_raw_files()) as batch_op:
        batch_op.drop_column('content_sha256')

    with op.batch_alter_table('ingestion_runs', copy_from=_ingestion_runs(True)) as batch_op:
        batch_op.drop_constraint(op.f('ck_ingestion_runs_rows_add_up'), type_='check')
        batch_op.create_check_constraint('rows_add_up', ADD_UP_OLD)
        batch_op.drop_column('rows_erased')
    _sqlite_indexes()

    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasures_subject'))
        batch_op.drop_index(batch_op.f('ix_erasures_at'))

    op.drop_table('erasures')
