"""Clocks, holds, escalations and calendar overrides (working-day time limits, DESIGN §5–6).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:19:57.038545
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_overrides',
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('region', 'day', name=op.f('pk_calendar_overrides'))
    )
    op.create_table('holds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('party', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('placed_by', sa.String(length=200), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_by', sa.String(length=200), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("party IN ('customer', 'external', 'utility')", name=op.f('ck_holds_party')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_holds_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_project_id'), ['project_id'], unique=False)

    op.create_table('clock_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('clock', sa.String(length=50), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('stage_occurrence_id', sa.Uuid(), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('limit_days', sa.Integer(), nullable=False),
    sa.Column('warning_days', sa.Float(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paused_seconds', sa.Integer(), nullable=False),
    sa.Column('paused_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('escalated_level', sa.Integer(), nullable=False),
    sa.Column('next_escalation_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_clock_runs_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stage_occurrence_id'], ['stage_occurrences.id'], name=op.f('fk_clock_runs_stage_occurrence_id_stage_occurrences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_runs')),
    sa.UniqueConstraint('project_id', 'clock', 'run', name=op.f('uq_clock_runs_project_id_clock_run'))
    )
    with op.batch_alter_table('clock_runs', schema=None) as batch_op:
        batch_op.create_index('ix_clock_runs_due', ['next_escalation_at'], unique=False, sqlite_where=sa.text('stopped_at IS NULL AND paused_since IS NULL'), postgresql_where=sa.text('stopped_at IS NULL AND paused_since IS NULL'))
        batch_op.create_index('ix_clock_runs_project_id_clock', ['project_id', 'clock'], unique=False)
        batch_op.create_index('ix_clock_runs_region_open', ['region'], unique=False, sqlite_where=sa.text('stopped_at IS NULL'), postgresql_where=sa.text('stopped_at IS NULL'))

    op.create_table('escalations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('stage_occurrence_id', sa.Uuid(), nullable=True),
    sa.Column('clock_run_id', sa.Uuid(), nullable=True),
    sa.Column('clock', sa.String(length=50), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=50), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clock_run_id'], ['clock_runs.id'], name=op.f('fk_escalations_clock_run_id_clock_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_escalations_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stage_occurrence_id'], ['stage_occurrences.id'], name=op.f('fk_escalations_stage_occurrence_id_stage_occurrences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_escalations_dedupe_key'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalations_clock_run_id'), ['clock_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalations_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_escalations_status_raised_at', ['status', 'raised_at'], unique=False)

    op.create_table('escalation_recipients',
    sa.Column('escalation_id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalations.id'], name=op.f('fk_escalation_recipients_escalation_id_escalations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_escalation_recipients_staff_id_staff')),
    sa.PrimaryKeyConstraint('escalation_id', 'staff_id', name=op.f('pk_escalation_recipients'))
    )
    with op.batch_alter_table('escalation_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_escalation_recipients_staff_id', ['staff_id', 'escalation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('escalation_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_recipients_staff_id')

    op.drop_table('escalation_recipients')
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_status_raised_at')
        batch_op.drop_index(batch_op.f('ix_escalations_project_id'))
        batch_op.drop_index(batch_op.f('ix_escalations_clock_run_id'))

    op.drop_table('escalations')
    with op.batch_alter_table('clock_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_clock_runs_region_open', sqlite_where=sa.text('stopped_at IS NULL'), postgresql_where=sa.text('stopped_at IS NULL'))
        batch_op.drop_index('ix_clock_runs_project_id_clock')
        batch_op.drop_index('ix_clock_runs_due', sqlite_where=sa.text('stopped_at IS NULL AND paused_since IS NULL'), postgresql_where=sa.text('stopped_at IS NULL AND paused_since IS NULL'))

    op.drop_table('clock_runs')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_project_id'))

    op.drop_table('holds')
    op.drop_table('calendar_overrides')
