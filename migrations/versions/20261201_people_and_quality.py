"""Staff qualification (assessments, suspension, trainings), questions and answers, follow-ups, feedback.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 01:11:47.068768
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('trainings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trainings'))
    )
    op.create_table('assessments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=50), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_assessments_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index('ix_assessments_staff_id_role_assessed_on', ['staff_id', 'role', 'assessed_on'], unique=False)

    op.create_table('training_attendees',
    sa.Column('training_id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_training_attendees_staff_id_staff'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['training_id'], ['trainings.id'], name=op.f('fk_training_attendees_training_id_trainings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('training_id', 'staff_id', name=op.f('pk_training_attendees'))
    )
    with op.batch_alter_table('training_attendees', schema=None) as batch_op:
        batch_op.create_index('ix_training_attendees_staff_id', ['staff_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_feedback_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('project_id', name=op.f('uq_feedback_project_id'))
    )
    op.create_table('follow_ups',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('owner_staff_id', sa.Uuid(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clock_run_id', sa.Uuid(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('contacted_on', sa.Date(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('times_match_records', sa.Boolean(), nullable=True),
    sa.Column('issues', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['clock_run_id'], ['clock_runs.id'], name=op.f('fk_follow_ups_clock_run_id_clock_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_staff_id'], ['staff.id'], name=op.f('fk_follow_ups_owner_staff_id_staff')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_follow_ups_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('project_id', name=op.f('uq_follow_ups_project_id'))
    )
    op.create_table('messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reply_to', sa.Uuid(), nullable=True),
    sa.Column('author_kind', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.String(length=64), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clock_run_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['clock_run_id'], ['clock_runs.id'], name=op.f('fk_messages_clock_run_id_clock_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_messages_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reply_to'], ['messages.id'], name=op.f('fk_messages_reply_to_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_project_id_created_at', ['project_id', 'created_at'], unique=False)

    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_since', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.drop_column('suspended_since')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_project_id_created_at')

    op.drop_table('messages')
    op.drop_table('follow_ups')
    op.drop_table('feedback')
    with op.batch_alter_table('training_attendees', schema=None) as batch_op:
        batch_op.drop_index('ix_training_attendees_staff_id')

    op.drop_table('training_attendees')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_assessments_staff_id_role_assessed_on')

    op.drop_table('assessments')
    op.drop_table('trainings')
