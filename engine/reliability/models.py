"""Reliability tables: probe targets and results, maintenance, monitoring gaps, request logs.

Raw rows are kept (they are the evidence), and two kinds of derived tables make every
period query cheap whatever its length:

* `probe_segments`: each target's results compressed into maximal runs of covered time
  with one state (up or down), maintained at ingest. A year of 1-minute checks of a
  healthy target is a handful of rows, so uptime of any window is a sweep over few rows.
* `request_rollups` / `request_latency_bins` (hour and UTC-day grains) and
  `probe_latency_bins` (UTC days): counts and fine log-bucketed latency histograms, so
  percentiles of any window come from merged histograms, never from averaged percentiles.
  Sub-hour edges of a window are read from the raw rows, which carry their latency bin.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import BATCH_FK, Base, BigId, UtcDateTime, utcnow


class Probe(Base):
    """A configured uptime probe target (`hub probe add`)."""

    __tablename__ = "probe_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    method: Mapped[str] = mapped_column(String(10), default="GET")
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=10.0)
    expect_min: Mapped[int] = mapped_column(Integer, default=200)
    expect_max: Mapped[int] = mapped_column(Integer, default=299)
    contains: Mapped[str | None] = mapped_column(Text, nullable=True)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set only for demo targets, so `hub demo --clear` removes exactly those.
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey(BATCH_FK, ondelete="CASCADE"), nullable=True, index=True
    )


class ProbeResult(Base):
    """One check of one target. Joined to a configured `Probe` by name, if there is one."""

    __tablename__ = "probe_results"
    __table_args__ = (UniqueConstraint("target", "checked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target: Mapped[str] = mapped_column(String(100))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_bin: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # NULL for the live prober's results (they come from no import), else the import batch.
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey(BATCH_FK, ondelete="CASCADE"), nullable=True, index=True
    )


class ProbeSeries(Base):
    """Per target name (configured or imported): the interval its segments were built with.

    Also the row a segment rebuild locks, so two writers never rebuild one target at once.
    """

    __tablename__ = "probe_series"

    target: Mapped[str] = mapped_column(String(100), primary_key=True)
    interval_seconds: Mapped[float] = mapped_column(Float)
    configured: Mapped[bool] = mapped_column(Boolean, default=False)
    first_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class ProbeSegment(Base):
    """A maximal stretch of covered time of one target in one state (derived, rebuildable)."""

    __tablename__ = "probe_segments"
    __table_args__ = (Index("ix_probe_segments_target_ends_at", "target", "ends_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)


class ProbeLatencyBin(Base):
    """Histogram of successful checks' latency per target and UTC day (derived)."""

    __tablename__ = "probe_latency_bins"

    day: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    target: Mapped[str] = mapped_column(String(100), primary_key=True)
    bin: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class MaintenanceWindow(Base):
    """Declared maintenance: its time is left out of uptime (target NULL = every target)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str | None] = mapped_column(String(100), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey(BATCH_FK, ondelete="CASCADE"), nullable=True, index=True
    )


class MonitoringGap(Base):
    """A stretch when the prober itself was not running: shown as a gap, never as up."""

    __tablename__ = "monitoring_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey(BATCH_FK, ondelete="CASCADE"), nullable=True, index=True
    )


class ProberLease(Base):
    """Which prober is active and when it last beat: one active prober across all workers."""

    __tablename__ = "prober_lease"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_beat_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RequestSeries(Base):
    """A (service, route, method) the product's API serves; request rows point at it."""

    __tablename__ = "request_series"
    __table_args__ = (UniqueConstraint("service", "route", "method"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(100))
    route: Mapped[str] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(10))


class RequestLog(Base):
    """One request the product's API served (the raw evidence behind error rate and latency)."""

    __tablename__ = "request_logs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ts: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("request_series.id"))
    status: Mapped[int] = mapped_column(SmallInteger)
    duration_ms: Mapped[float] = mapped_column(Float)
    latency_bin: Mapped[int] = mapped_column(SmallInteger)
    batch_id: Mapped[int] = mapped_column(ForeignKey(BATCH_FK, ondelete="CASCADE"), index=True)


class RequestRollup(Base):
    """Requests and errors (status ≥ 500) per grain ('h' hour, 'd' UTC day) and series."""

    __tablename__ = "request_rollups"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger)
    errors: Mapped[int] = mapped_column(BigInteger)


class RequestLatencyBin(Base):
    """Latency histogram per grain, bucket and series (see `engine.reliability.histogram`)."""

    __tablename__ = "request_latency_bins"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bin: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
