"""Sign-in for people: accounts (login, argon2 password hash), per-login attempt counters for the lockout,
and session tokens (api_tokens with purpose 'session' and an expiry). Existing tokens become 'api' tokens.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 02:59:56.912455
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sign_in_throttles',
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('login', name=op.f('pk_sign_in_throttles'))
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_window_started_at'), ['window_started_at'], unique=False)

    op.create_table('accounts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('principal_kind', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('password_set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(principal_kind = 'staff' AND staff_id IS NOT NULL AND customer_id IS NULL) OR (principal_kind = 'customer' AND customer_id IS NOT NULL AND staff_id IS NULL)", name=op.f('ck_accounts_one_person')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_accounts_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_accounts_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_accounts_customer_id')),
    sa.UniqueConstraint('login', name=op.f('uq_accounts_login')),
    sa.UniqueConstraint('staff_id', name=op.f('uq_accounts_staff_id'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20), server_default='api', nullable=False))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_api_tokens_purpose'),
            "purpose = 'api' OR (purpose = 'session' AND expires_at IS NOT NULL"
            " AND principal_kind IN ('staff', 'customer'))")
        batch_op.create_index('ix_api_tokens_expires_at', ['expires_at'], unique=False,
                              sqlite_where=sa.text('expires_at IS NOT NULL'),
                              postgresql_where=sa.text('expires_at IS NOT NULL'))


def downgrade() -> None:
    # Sessions are meaningless without their expiry: they go, API tokens stay.
    op.execute("DELETE FROM api_tokens WHERE purpose = 'session'")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_api_tokens_expires_at', sqlite_where=sa.text('expires_at IS NOT NULL'),
                            postgresql_where=sa.text('expires_at IS NOT NULL'))
        batch_op.drop_constraint(op.f('ck_api_tokens_purpose'), type_='check')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('purpose')

    op.drop_table('accounts')
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_window_started_at'))

    op.drop_table('sign_in_throttles')
