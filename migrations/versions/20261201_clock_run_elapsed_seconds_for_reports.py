"""Clock runs keep their counted working time once stopped (reports read it), and a partial index on
stopped_at (runs stopped in a period).

Runs stopped before this revision keep NULL: their working time depended on the calendar of the day, which
a static migration cannot recompute; reports leave them out of the medians.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 01:23:40.469678
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clock_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elapsed_seconds', sa.Integer(), nullable=True))
        batch_op.create_index('ix_clock_runs_stopped_at', ['stopped_at'], unique=False,
                              sqlite_where=sa.text('stopped_at IS NOT NULL'),
                              postgresql_where=sa.text('stopped_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('clock_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_clock_runs_stopped_at', sqlite_where=sa.text('stopped_at IS NOT NULL'),
                            postgresql_where=sa.text('stopped_at IS NOT NULL'))
        batch_op.drop_column('elapsed_seconds')
