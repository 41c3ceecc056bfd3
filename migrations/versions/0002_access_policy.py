"""access policy: token versions and account creators, API keys owned by accounts, audit
entries naming accounts, normalised usernames

Revision ID: 0002_access_policy
Revises: 0001_baseline
Create Date: 2026-12-05 21:49:32
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002_access_policy'
down_revision: str | None = '0001_baseline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USERNAME_COMMENT = 'Normalised (NFKC, case-folded, ASCII): one per person.'
KEY_COMMENT = 'HMAC-SHA256, keyed with PSEUDONYM_SECRET, of the normalised username or of the client address (each attempt writes one row of each).'
OLD_KEY_COMMENT = 'HMAC-SHA256 of the client address and the lower-cased username, keyed with PSEUDONYM_SECRET.'


def _normalise_usernames() -> None:
    """Existing usernames take their normalised spelling (NFKC, case folding); a name that
    would then collide with another account's is left as is and its account disabled (a
    person signs in with one spelling)."""
    if op.get_context().as_sql:  # offline script: ASCII lower-casing only
        op.execute(
            "UPDATE api_accounts SET username = lower(username) WHERE username <> lower(username) "
            "AND lower(username) NOT IN (SELECT username FROM api_accounts)"
        )
        return
    conn = op.get_bind()
    accounts = sa.table('api_accounts', sa.column('id'), sa.column('username'), sa.column('is_active'))
    rows = conn.execute(sa.select(accounts.c.id, accounts.c.username)).all()
    taken = {name for _id, name in rows}
    for account_id, name in rows:
        folded = unicodedata.normalize('NFKC', unicodedata.normalize('NFKC', name).casefold().strip())
        if folded == name:
            continue
        if folded in taken:
            conn.execute(accounts.update().where(accounts.c.id == account_id).values(is_active=False))
            continue
        conn.execute(accounts.update().where(accounts.c.id == account_id).values(username=folded))
        taken.discard(name)
        taken.add(folded)


class _Sorted(set):
    """A table's constraints (or indexes) iterated by name: Alembic copies a SQLite table's
    constraints and indexes in the order it iterates them, and a plain set's order changes
    from run to run (the offline script in migrations/sql/ must not)."""

    def __iter__(self):  # noqa: ANN204
        return iter(sorted(set.__iter__(self), key=lambda c: (type(c).__name__, c.name or '')))


def _sorted(table: sa.Table) -> sa.Table:
    table.constraints = _Sorted(table.constraints)
    table.indexes = _Sorted(table.indexes)
    return table


def _tables(after: bool) -> dict[str, sa.Table]:
    """api_accounts, api_keys and audit_log as they are before (or after) this revision:
    SQLite alters a table by copying it, and needs its definition when writing the offline
    script (migrations/sql/), where there is no database to read it from."""
    md = sa.MetaData()
    sa.Table('organisations', md, sa.Column('id', sa.Integer(), primary_key=True))
    accounts = sa.Table(
        'api_accounts', md,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=120), nullable=False),
        sa.Column('password_hash', sa.String(length=300), nullable=False, comment='Argon2 hash (pwdlib).'),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True, comment='Tenant of a partner account.'),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='When the row was written.'),
        *(
            [
                sa.Column('token_version', sa.Integer(), server_default='0', nullable=False),
                sa.Column('created_by_id', sa.Integer(), nullable=True),
                sa.ForeignKeyConstraint(['created_by_id'], ['api_accounts.id'], name='fk_api_accounts_created_by_id_api_accounts'),
            ]
            if after
            else []
        ),
        sa.CheckConstraint("role <> 'partner' OR organisation_id IS NOT NULL", name='ck_api_accounts_partner_has_organisation'),
        sa.CheckConstraint("role IN ('admin', 'steward', 'analyst', 'partner')", name='ck_api_accounts_role_known'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name='fk_api_accounts_organisation_id_organisations'),
        sa.PrimaryKeyConstraint('id', name='pk_api_accounts'),
        sa.UniqueConstraint('username', name='uq_api_accounts_username'),
    )
    sa.Index('ix_api_accounts_organisation_id', accounts.c.organisation_id)
    if after:
        owner = [
            sa.Column('account_id', sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(['account_id'], ['api_accounts.id'], name='fk_api_keys_account_id_api_accounts'),
        ]
    else:
        owner = [
            sa.Column('role', sa.String(length=20), nullable=False),
            sa.Column('organisation_id', sa.Integer(), nullable=True),
            sa.CheckConstraint("role <> 'partner' OR organisation_id IS NOT NULL", name='ck_api_keys_partner_has_organisation'),
            sa.CheckConstraint("role IN ('admin', 'steward', 'analyst', 'partner')", name='ck_api_keys_role_known'),
            sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name='fk_api_keys_organisation_id_organisations'),
        ]
    keys = sa.Table(
        'api_keys', md,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('key_hash', sa.CHAR(length=64), nullable=False, comment='SHA-256 of the key.'),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='When the row was written.'),
        *owner,
        sa.PrimaryKeyConstraint('id', name='pk_api_keys'),
        sa.UniqueConstraint('key_hash', name='uq_api_keys_key_hash'),
        sa.UniqueConstraint('name', name='uq_api_keys_name'),
    )
    sa.Index('ix_api_keys_prefix', keys.c.prefix)
    if after:
        sa.Index('ix_api_keys_account_id', keys.c.account_id)
    audit = sa.Table(
        'audit_log', md,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        *(
            [
                sa.Column('actor_account_id', sa.Integer(), nullable=True),
                sa.ForeignKeyConstraint(['actor_account_id'], ['api_accounts.id'], name='fk_audit_log_actor_account_id_api_accounts'),
            ]
            if after
            else []
        ),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('entity', sa.String(length=60), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=120), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_audit_log'),
    )
    sa.Index('ix_audit_log_at', audit.c.at)
    sa.Index('ix_audit_log_entity_entity_id', audit.c.entity, audit.c.entity_id)
    return {'api_accounts': _sorted(accounts), 'api_keys': _sorted(keys), 'audit_log': _sorted(audit)}


def _comments(username: str | None, key: str, old_key: str | None) -> None:
    """Column comments: PostgreSQL only (SQLite has none)."""
    if op.get_context().dialect.name == 'sqlite':
        return
    op.alter_column('api_accounts', 'username', existing_type=sa.String(length=120), existing_nullable=False, comment=username)
    op.alter_column('login_attempts', 'key', existing_type=sa.CHAR(length=64), existing_nullable=False, comment=key, existing_comment=old_key)


def upgrade() -> None:
    before = _tables(after=False)
    with op.batch_alter_table('api_accounts', copy_from=before['api_accounts']) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0', nullable=False, comment='Bumped by a change of password, role, organisation or active flag: every token issued before carries an older version and is refused.'))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True, comment="The account that created this one (four eyes: neither approves the other's work). None: made on the command line."))
        batch_op.create_foreign_key(batch_op.f('fk_api_accounts_created_by_id_api_accounts'), 'api_accounts', ['created_by_id'], ['id'])
    _normalise_usernames()

    # Keys had a role of their own and no owner: they stop working (an admin makes new ones,
    # each acting as an account).
    op.execute('UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL')
    with op.batch_alter_table('api_keys', copy_from=before['api_keys']) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True, comment='The account the key acts as. None only for keys made before keys had owners (revoked by the migration).'))
        batch_op.create_index(batch_op.f('ix_api_keys_account_id'), ['account_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_api_keys_partner_has_organisation'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_api_keys_role_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_api_keys_organisation_id_organisations'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_api_keys_account_id_api_accounts'), 'api_accounts', ['account_id'], ['id'])
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('role')

    with op.batch_alter_table('audit_log', copy_from=before['audit_log']) as batch_op:
        batch_op.add_column(sa.Column('actor_account_id', sa.Integer(), nullable=True, comment="The person's account behind `actor` (an API key's owner); None for the pipeline. Four eyes compares these, never names."))
        batch_op.create_foreign_key(batch_op.f('fk_audit_log_actor_account_id_api_accounts'), 'api_accounts', ['actor_account_id'], ['id'])
    _comments(USERNAME_COMMENT, KEY_COMMENT, OLD_KEY_COMMENT)


def downgrade() -> None:
    after = _tables(after=True)
    _comments(None, OLD_KEY_COMMENT, KEY_COMMENT)
    with op.batch_alter_table('audit_log', copy_from=after['audit_log']) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_log_actor_account_id_api_accounts'), type_='foreignkey')
        batch_op.drop_column('actor_account_id')

    # A key takes back its owner's role and organisation (an analyst's when it has none).
    with op.batch_alter_table('api_keys', copy_from=after['api_keys']) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), server_default='analyst', nullable=False))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE api_keys SET role = (SELECT a.role FROM api_accounts a WHERE a.id = api_keys.account_id), "
        "organisation_id = (SELECT a.organisation_id FROM api_accounts a WHERE a.id = api_keys.account_id) "
        "WHERE account_id IS NOT NULL"
    )
    keys = _tables(after=True)['api_keys']
    keys.append_column(sa.Column('role', sa.String(length=20), server_default='analyst', nullable=False))
    keys.append_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    _sorted(keys)
    with op.batch_alter_table('api_keys', copy_from=keys) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=20), existing_nullable=False, server_default=None)
        batch_op.drop_constraint(batch_op.f('fk_api_keys_account_id_api_accounts'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_api_keys_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_api_keys_role_known'), "role IN ('admin', 'steward', 'analyst', 'partner')")
        batch_op.create_check_constraint(batch_op.f('ck_api_keys_partner_has_organisation'), "role <> 'partner' OR organisation_id IS NOT NULL")
        batch_op.drop_index(batch_op.f('ix_api_keys_account_id'))
        batch_op.drop_column('account_id')

    with op.batch_alter_table('api_accounts', copy_from=after['api_accounts']) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_accounts_created_by_id_api_accounts'), type_='foreignkey')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('token_version')
