"""Sync tables: targets, their connector state, jobs and attempts, conflicts, snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, UtcDateTime, utcnow

JOB_ACTIVE = ("queued", "running")
JOB_ENDED = ("succeeded", "conflict", "failed", "cancelled")
POLICIES = ("manual", "ai_studio_wins", "github_wins", "newest_wins")
WRITE_MODES = ("commit", "pull_request")


class SyncTarget(Base):
    """One architecture document kept in step between a GitHub file and a Drive file."""

    __tablename__ = "sync_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    github_owner: Mapped[str] = mapped_column(String(100))
    github_repo: Mapped[str] = mapped_column(String(100))
    github_path: Mapped[str] = mapped_column(String(500))
    github_branch: Mapped[str] = mapped_column(String(200))
    drive_file_id: Mapped[str] = mapped_column(String(200))
    policy: Mapped[str] = mapped_column(String(20), default="manual")
    write_mode: Mapped[str] = mapped_column(String(20), default="pull_request")
    schedule: Mapped[str | None] = mapped_column(String(100), nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def github_spec(self) -> str:
        return f"{self.github_owner}/{self.github_repo}:{self.github_path}@{self.github_branch}"


class SyncState(Base):
    """Connector state of a target, kept apart from the target (singer-sdk style).

    Markers make reads conditional (ETag, Drive version); they are saved only together with
    the snapshot of a successful sync, so a failed attempt never loses state.
    """

    __tablename__ = "sync_state"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("sync_targets.id", ondelete="CASCADE"), primary_key=True
    )
    github_marker: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    drive_marker: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # What each side held after the last successful sync (canonical JSON), so a 304 or an
    # unchanged Drive version needs no download.
    github_document: Mapped[str | None] = mapped_column(Text, nullable=True)
    drive_document: Mapped[str | None] = mapped_column(Text, nullable=True)
    pull_request_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Snapshot(Base):
    """The merged document after a successful sync: the base of the next three-way merge."""

    __tablename__ = "sync_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("sync_targets.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    document: Mapped[str] = mapped_column(Text)  # canonical JSON
    sha256: Mapped[str] = mapped_column(String(64))
    github_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)  # blob sha
    # The commit this sync made on GitHub (None when it did not write there).
    github_commit: Mapped[str | None] = mapped_column(String(100), nullable=True)
    drive_revision: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class SyncJob(Base):
    """queued → running → succeeded | conflict | failed | cancelled, with attempts."""

    __tablename__ = "sync_jobs"
    __table_args__ = (
        # At most one active job per target: "sync now" is idempotent and two workers can
        # never run one target at once, enforced by the database itself.
        Index(
            "uq_sync_jobs_active_target",
            "target_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_sync_jobs_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("sync_targets.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="queued")
    trigger: Mapped[str] = mapped_column(String(20))  # manual|schedule|webhook|resolution
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    fetch_ms: Mapped[float | None] = mapped_column(nullable=True)
    merge_ms: Mapped[float | None] = mapped_column(nullable=True)
    write_ms: Mapped[float | None] = mapped_column(nullable=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    wrote_github: Mapped[bool] = mapped_column(Boolean, default=False)
    wrote_drive: Mapped[bool] = mapped_column(Boolean, default=False)


class Attempt(Base):
    __tablename__ = "sync_attempts"
    __table_args__ = (UniqueConstraint("job_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="running")
    origin: Mapped[str | None] = mapped_column(String(20), nullable=True)
    type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    retryable: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    violations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ConflictRecord(Base):
    """A field the two sides changed differently; the losing value is never lost."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_open", "target_id", "status", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("sync_targets.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    path: Mapped[str] = mapped_column(String(1000))
    component_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    field: Mapped[str] = mapped_column(String(300))
    base: Mapped[Any] = mapped_column(JSON, nullable=True)
    github: Mapped[Any] = mapped_column(JSON, nullable=True)
    ai_studio: Mapped[Any] = mapped_column(JSON, nullable=True)
    deleted_on: Mapped[str | None] = mapped_column(String(20), nullable=True)
    policy: Mapped[str] = mapped_column(String(20))
    # open: waits for an operator; resolved: operator chose, applied by the next sync;
    # applied: written to both sides; settled: the policy decided at once.
    status: Mapped[str] = mapped_column(String(20), default="open")
    resolution: Mapped[str | None] = mapped_column(String(20), nullable=True)
    resolved_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class WebhookDelivery(Base):
    """Seen GitHub deliveries, so a redelivery queues nothing."""

    __tablename__ = "webhook_deliveries"

    delivery_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event: Mapped[str] = mapped_column(String(50))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    jobs_queued: Mapped[int] = mapped_column(Integer, default=0)


class Breaker(Base):
    """Circuit breaker per connector, shared by every worker through the store."""

    __tablename__ = "sync_breakers"

    connector: Mapped[str] = mapped_column(String(20), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="closed")  # closed|open|half_open
    failures: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
