"""Reliability: probe targets and results, segments, maintenance, gaps, request logs, rollups.

Revision ID: 0003_reliability
Revises: 0001_foundation
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.store.base import UtcDateTime

revision: str = "0003_reliability"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("reliability",)
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _batch_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["batch_id"],
        ["import_batches.id"],
        name=op.f(f"fk_{table}_batch_id_import_batches"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "probe_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("expect_min", sa.Integer(), nullable=False),
        sa.Column("expect_max", sa.Integer(), nullable=False),
        sa.Column("contains", sa.Text(), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        _batch_fk("probe_targets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_targets")),
        sa.UniqueConstraint("name", name=op.f("uq_probe_targets_name")),
    )
    op.create_index(op.f("ix_probe_targets_batch_id"), "probe_targets", ["batch_id"])

    op.create_table(
        "probe_results",
        sa.Column("id", BigId, nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("latency_bin", sa.SmallInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        _batch_fk("probe_results"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_results")),
        sa.UniqueConstraint("target", "checked_at", name=op.f("uq_probe_results_target")),
    )
    op.create_index(op.f("ix_probe_results_batch_id"), "probe_results", ["batch_id"])

    op.create_table(
        "probe_series",
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("configured", sa.Boolean(), nullable=False),
        sa.Column("first_checked_at", UtcDateTime(), nullable=True),
        sa.Column("last_checked_at", UtcDateTime(), nullable=True),
        sa.Column("last_ok", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("target", name=op.f("pk_probe_series")),
    )

    op.create_table(
        "probe_segments",
        sa.Column("id", BigId, nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_segments")),
    )
    op.create_index(op.f("ix_probe_segments_starts_at"), "probe_segments", ["starts_at"])
    op.create_index("ix_probe_segments_target_ends_at", "probe_segments", ["target", "ends_at"])

    op.create_table(
        "probe_latency_bins",
        sa.Column("day", UtcDateTime(), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("bin", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "target", "bin", name=op.f("pk_probe_latency_bins")),
    )

    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(100), nullable=True),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        _batch_fk("maintenance_windows"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index(op.f("ix_maintenance_windows_starts_at"), "maintenance_windows", ["starts_at"])
    op.create_index(op.f("ix_maintenance_windows_batch_id"), "maintenance_windows", ["batch_id"])

    op.create_table(
        "monitoring_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("detected_at", UtcDateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        _batch_fk("monitoring_gaps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_gaps")),
    )
    op.create_index(op.f("ix_monitoring_gaps_starts_at"), "monitoring_gaps", ["starts_at"])
    op.create_index(op.f("ix_monitoring_gaps_batch_id"), "monitoring_gaps", ["batch_id"])

    op.create_table(
        "prober_lease",
        sa.Column("id", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(120), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("last_beat_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prober_lease")),
    )

    op.create_table(
        "request_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_series")),
        sa.UniqueConstraint("service", "route", "method", name=op.f("uq_request_series_service")),
    )

    op.create_table(
        "request_logs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("latency_bin", sa.SmallInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        _batch_fk("request_logs"),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["request_series.id"],
            name=op.f("fk_request_logs_series_id_request_series"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_logs")),
    )
    op.create_index(op.f("ix_request_logs_ts"), "request_logs", ["ts"])
    op.create_index(op.f("ix_request_logs_batch_id"), "request_logs", ["batch_id"])

    op.create_table(
        "request_rollups",
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain", "bucket_start", "series_id", name=op.f("pk_request_rollups")
        ),
    )

    op.create_table(
        "request_latency_bins",
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("bin", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain", "bucket_start", "series_id", "bin", name=op.f("pk_request_latency_bins")
        ),
    )


def downgrade() -> None:
    for table in (
        "request_latency_bins",
        "request_rollups",
        "request_logs",
        "request_series",
        "prober_lease",
        "monitoring_gaps",
        "maintenance_windows",
        "probe_latency_bins",
        "probe_segments",
        "probe_series",
        "probe_results",
        "probe_targets",
    ):
        op.drop_table(table)
