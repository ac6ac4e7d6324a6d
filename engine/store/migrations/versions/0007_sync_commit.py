"""Sync snapshots remember the GitHub commit a sync made, for links in the history.

Revision ID: 0007_sync_commit
Revises: 0002_sync
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_sync_commit"
down_revision: str | Sequence[str] | None = "0002_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_snapshots") as batch:
        batch.add_column(sa.Column("github_commit", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_snapshots") as batch:
        batch.drop_column("github_commit")
