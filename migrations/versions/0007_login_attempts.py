"""login attempts: the sign-in rate limit's attempts, shared by every API worker and replica
(healthai/ratelimit.py); rows are deleted once older than the window

Revision ID: 0007_login_attempts
Revises: 0006_lean_staging
Create Date: 2026-11-29 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007_login_attempts'
down_revision: str | None = '0006_lean_staging'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.CHAR(length=64), nullable=False, comment='HMAC-SHA256 of the client address and the lower-cased username, keyed with PSEUDONYM_SECRET.'),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False, comment='When the attempt was made.'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_key_at', ['key', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_at'))
        batch_op.drop_index('ix_login_attempts_key_at')

    op.drop_table('login_attempts')
