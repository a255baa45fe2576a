"""0009 index escalations by stage (reassigning a stage resolves its unassigned escalation by stage)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 05:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_stage_occurrence_id', ['stage_occurrence_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_stage_occurrence_id')
