"""revoked sessions: signing out (web interface, POST /auth/logout) ends that session's
tokens at once and everywhere, not the account's other sessions (table `revoked_sessions`,
checked with every token)

Revision ID: 0008_revoked_sessions
Revises: 0007_file_replaced
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008_revoked_sessions'
down_revision: str | None = '0007_file_replaced'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('revoked_sessions',
    sa.Column('session_id', sa.String(length=64), nullable=False, comment="The tokens' `sid` claim (their `jti` for tokens issued without one)."),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False, comment='When the last token the session may have issued expires: the row can go then.'),
    sa.ForeignKeyConstraint(['account_id'], ['api_accounts.id'], name=op.f('fk_revoked_sessions_account_id_api_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_revoked_sessions'))
    )
    op.create_index(op.f('ix_revoked_sessions_account_id'), 'revoked_sessions', ['account_id'], unique=False)
    op.create_index(op.f('ix_revoked_sessions_expires_at'), 'revoked_sessions', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_revoked_sessions_expires_at'), table_name='revoked_sessions')
    op.drop_index(op.f('ix_revoked_sessions_account_id'), table_name='revoked_sessions')
    op.drop_table('revoked_sessions')
