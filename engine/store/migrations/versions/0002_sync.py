"""Sync engine: targets, state, snapshots, jobs, attempts, conflicts, webhooks, breakers.

Revision ID: 0002_sync
Revises: 0001_foundation
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.store.base import UtcDateTime

revision: str = "0002_sync"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("sync",)
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "sync_breakers",
        sa.Column("connector", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=True),
        sa.Column("retry_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("connector", name=op.f("pk_sync_breakers")),
    )
    op.create_table(
        "sync_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("github_owner", sa.String(length=100), nullable=False),
        sa.Column("github_repo", sa.String(length=100), nullable=False),
        sa.Column("github_path", sa.String(length=500), nullable=False),
        sa.Column("github_branch", sa.String(length=200), nullable=False),
        sa.Column("drive_file_id", sa.String(length=200), nullable=False),
        sa.Column("policy", sa.String(length=20), nullable=False),
        sa.Column("write_mode", sa.String(length=20), nullable=False),
        sa.Column("schedule", sa.String(length=100), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("next_run_at", UtcDateTime(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_targets")),
        sa.UniqueConstraint("name", name=op.f("uq_sync_targets_name")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("jobs_queued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_received_at"),
        "webhook_deliveries",
        ["received_at"],
        unique=False,
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("component_id", sa.String(length=300), nullable=True),
        sa.Column("field", sa.String(length=300), nullable=False),
        sa.Column("base", sa.JSON(), nullable=True),
        sa.Column("github", sa.JSON(), nullable=True),
        sa.Column("ai_studio", sa.JSON(), nullable=True),
        sa.Column("deleted_on", sa.String(length=20), nullable=True),
        sa.Column("policy", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolved_value", sa.JSON(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["sync_targets.id"],
            name=op.f("fk_sync_conflicts_target_id_sync_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    op.create_index(
        op.f("ix_sync_conflicts_created_at"), "sync_conflicts", ["created_at"], unique=False
    )
    op.create_index(
        "ix_sync_conflicts_open", "sync_conflicts", ["target_id", "status", "path"], unique=False
    )
    op.create_table(
        "sync_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", UtcDateTime(), nullable=True),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("fetch_ms", sa.Double(), nullable=True),
        sa.Column("merge_ms", sa.Double(), nullable=True),
        sa.Column("write_ms", sa.Double(), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("wrote_github", sa.Boolean(), nullable=False),
        sa.Column("wrote_drive", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["sync_targets.id"],
            name=op.f("fk_sync_jobs_target_id_sync_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_jobs")),
    )
    op.create_index(op.f("ix_sync_jobs_created_at"), "sync_jobs", ["created_at"], unique=False)
    op.create_index("ix_sync_jobs_due", "sync_jobs", ["status", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_sync_jobs_target_id"), "sync_jobs", ["target_id"], unique=False)
    op.create_index(
        "uq_sync_jobs_active_target",
        "sync_jobs",
        ["target_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_table(
        "sync_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("github_ref", sa.String(length=100), nullable=True),
        sa.Column("drive_revision", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["sync_targets.id"],
            name=op.f("fk_sync_snapshots_target_id_sync_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_snapshots")),
    )
    op.create_index(
        op.f("ix_sync_snapshots_created_at"), "sync_snapshots", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_sync_snapshots_target_id"), "sync_snapshots", ["target_id"], unique=False
    )
    op.create_table(
        "sync_state",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("github_marker", sa.JSON(), nullable=True),
        sa.Column("drive_marker", sa.JSON(), nullable=True),
        sa.Column("github_document", sa.Text(), nullable=True),
        sa.Column("drive_document", sa.Text(), nullable=True),
        sa.Column("pull_request_url", sa.String(length=500), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["sync_targets.id"],
            name=op.f("fk_sync_state_target_id_sync_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("target_id", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "sync_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("violations", sa.JSON(), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["sync_jobs.id"],
            name=op.f("fk_sync_attempts_job_id_sync_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_attempts")),
        sa.UniqueConstraint("job_id", "number", name=op.f("uq_sync_attempts_job_id")),
    )


def downgrade() -> None:
    for table in (
        "sync_attempts",
        "sync_snapshots",
        "sync_state",
        "sync_jobs",
        "sync_conflicts",
        "webhook_deliveries",
        "sync_targets",
        "sync_breakers",
    ):
        op.drop_table(table)
