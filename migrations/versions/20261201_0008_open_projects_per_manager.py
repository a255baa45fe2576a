"""0008 indexes for open projects per manager (auto-assignment counts them on every new project)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:26:06.508678
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text('owner_kind IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index('ix_projects_open_customer_manager', ['customer_manager_id'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_projects_open_project_manager', ['project_manager_id'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_projects_open_project_manager')
        batch_op.drop_index('ix_projects_open_customer_manager')
