"""Core tables: staff, customers, API tokens, projects, stage occurrences, transitions, assignments.

Revision ID: 0001
Revises:
Create Date: 2026-12-01 00:10:46.129406
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('counters',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.create_table('customers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('external_ref', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_customers_external_ref'))
    )
    op.create_table('staff',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_email'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_region'), ['region'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('principal_kind', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('client_name', sa.String(length=200), nullable=True),
    sa.Column('client_roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(principal_kind = 'staff' AND staff_id IS NOT NULL AND customer_id IS NULL AND client_name IS NULL) OR (principal_kind = 'customer' AND customer_id IS NOT NULL AND staff_id IS NULL AND client_name IS NULL) OR (principal_kind = 'client' AND client_name IS NOT NULL AND staff_id IS NULL AND customer_id IS NULL)", name=op.f('ck_api_tokens_one_principal')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_api_tokens_customer_id_customers')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_api_tokens_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_tokens_staff_id'), ['staff_id'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('workflow_key', sa.String(length=50), nullable=False),
    sa.Column('workflow_version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('site_address', sa.String(length=500), nullable=False),
    sa.Column('voltage_kv', sa.Float(), nullable=False),
    sa.Column('capacity_kva', sa.Float(), nullable=False),
    sa.Column('supply', sa.String(length=10), nullable=False),
    sa.Column('important', sa.Boolean(), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('external_ref', sa.String(length=100), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('customer_manager_id', sa.Uuid(), nullable=True),
    sa.Column('project_manager_id', sa.Uuid(), nullable=True),
    sa.Column('owner_kind', sa.String(length=20), nullable=True),
    sa.Column('owner_staff_id', sa.Uuid(), nullable=True),
    sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('last_transition_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("supply IN ('single', 'dual')", name=op.f('ck_projects_supply')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_projects_customer_id_customers')),
    sa.ForeignKeyConstraint(['customer_manager_id'], ['staff.id'], name=op.f('fk_projects_customer_manager_id_staff')),
    sa.ForeignKeyConstraint(['owner_staff_id'], ['staff.id'], name=op.f('fk_projects_owner_staff_id_staff')),
    sa.ForeignKeyConstraint(['project_manager_id'], ['staff.id'], name=op.f('fk_projects_project_manager_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('customer_id', 'external_ref', name=op.f('uq_projects_customer_id_external_ref')),
    sa.UniqueConstraint('number', name=op.f('uq_projects_number'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index('ix_projects_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_projects_customer_id_created_at', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_projects_owner_staff_id_created_at', ['owner_staff_id', 'created_at'], unique=False)
        batch_op.create_index('ix_projects_region_created_at', ['region', 'created_at'], unique=False)
        batch_op.create_index('ix_projects_state_created_at', ['state', 'created_at'], unique=False)

    op.create_table('staff_roles',
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_roles_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'role', name=op.f('pk_staff_roles'))
    )
    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.create_index('ix_staff_roles_role_staff_id', ['role', 'staff_id'], unique=False)

    op.create_table('stage_occurrences',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=50), nullable=False),
    sa.Column('visit', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('owner_kind', sa.String(length=20), nullable=True),
    sa.Column('owner_staff_id', sa.Uuid(), nullable=True),
    sa.Column('entered_by_transition_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['owner_staff_id'], ['staff.id'], name=op.f('fk_stage_occurrences_owner_staff_id_staff')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_stage_occurrences_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_occurrences')),
    sa.UniqueConstraint('project_id', 'seq', name=op.f('uq_stage_occurrences_project_id_seq'))
    )
    with op.batch_alter_table('stage_occurrences', schema=None) as batch_op:
        batch_op.create_index('ix_stage_occurrences_open_owner', ['owner_staff_id'], unique=False, sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))
        batch_op.create_index('uq_stage_occurrences_open_per_project', ['project_id'], unique=True, sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))

    op.create_table('transitions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('from_state', sa.String(length=50), nullable=False),
    sa.Column('to_state', sa.String(length=50), nullable=False),
    sa.Column('actor_kind', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.String(length=30), nullable=False),
    sa.Column('on_behalf_of', sa.String(length=64), nullable=True),
    sa.Column('admin_reason', sa.Text(), nullable=True),
    sa.Column('input', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_transitions_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transitions')),
    sa.UniqueConstraint('project_id', 'seq', name=op.f('uq_transitions_project_id_seq'))
    )
    op.create_table('assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('stage_occurrence_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=50), nullable=False),
    sa.Column('owner_kind', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('basis', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('assigned_by', sa.String(length=200), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_assignments_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_assignments_staff_id_staff')),
    sa.ForeignKeyConstraint(['stage_occurrence_id'], ['stage_occurrences.id'], name=op.f('fk_assignments_stage_occurrence_id_stage_occurrences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_project_id'), ['project_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_project_id'))

    op.drop_table('assignments')
    op.drop_table('transitions')
    with op.batch_alter_table('stage_occurrences', schema=None) as batch_op:
        batch_op.drop_index('uq_stage_occurrences_open_per_project', sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))
        batch_op.drop_index('ix_stage_occurrences_open_owner', sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))

    op.drop_table('stage_occurrences')
    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_roles_role_staff_id')

    op.drop_table('staff_roles')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_projects_state_created_at')
        batch_op.drop_index('ix_projects_region_created_at')
        batch_op.drop_index('ix_projects_owner_staff_id_created_at')
        batch_op.drop_index('ix_projects_customer_id_created_at')
        batch_op.drop_index('ix_projects_created_at_id')

    op.drop_table('projects')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_staff_id'))
        batch_op.drop_index(batch_op.f('ix_api_tokens_customer_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_region'))

    op.drop_table('staff')
    op.drop_table('customers')
    op.drop_table('counters')

