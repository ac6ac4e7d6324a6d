"""Launch-control tables: SLOs, alert rules/state/notifications, incidents, annotations,
the launch checklist, editable criteria, settings and go/no-go decisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, UtcDateTime, utcnow


class Slo(Base):
    """A service level objective (`kind`: availability, error_rate or latency_p95)."""

    __tablename__ = "launch_slos"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    objective: Mapped[float] = mapped_column(Float)  # fraction of good (availability) or limit
    window_days: Mapped[int] = mapped_column(Integer, default=30)


class AlertRule(Base):
    """`metric op threshold` over the last `window_seconds`, or a burn-rate rule (kind=burn)."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="kpi")  # kpi | burn
    metric: Mapped[str] = mapped_column(String(50))
    op: Mapped[str] = mapped_column(String(2), default=">")
    threshold: Mapped[float] = mapped_column(Float, default=0.0)
    window_seconds: Mapped[int] = mapped_column(Integer, default=300)
    severity: Mapped[str] = mapped_column(String(10), default="ticket")  # page | ticket | info
    webhook_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    firing: Mapped[bool] = mapped_column(Boolean, default=False)
    firing_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertEvent(Base):
    """One transition of a rule: fired or resolved (history on the Reliability page)."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_name: Mapped[str] = mapped_column(String(100), index=True)
    event: Mapped[str] = mapped_column(String(10))  # fire | resolve | test
    severity: Mapped[str] = mapped_column(String(10))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class AlertNotification(Base):
    """Every attempt to deliver an event to a channel (slack or webhook)."""

    __tablename__ = "alert_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Incident(Base):
    """An incident: SEV1–SEV3; `category` flags data loss, corruption or a breach."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(4))
    category: Mapped[str | None] = mapped_column(String(30), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IncidentNote(Base):
    """A timeline note of an incident."""

    __tablename__ = "incident_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100), default="")


class Annotation(Base):
    """A marker for time charts, e.g. a deploy (`hub annotate`, POST /v1/annotations)."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(20), default="deploy")
    text: Mapped[str] = mapped_column(String(500), default="")
    service: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChecklistItem(Base):
    """One item of the launch checklist (seeded once from the plan, then edited)."""

    __tablename__ = "launch_checklist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    phase: Mapped[str] = mapped_column(String(60))
    section: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))
    due_offset_hours: Mapped[float] = mapped_column(Float)  # relative to the launch time
    status: Mapped[str] = mapped_column(String(10), default="todo")
    owner: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(String(2000), default="")
    check: Mapped[str | None] = mapped_column(String(30), nullable=True)  # live evidence
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CriterionSetting(Base):
    """An edited threshold of a success or rollback criterion (defaults in code)."""

    __tablename__ = "launch_criteria"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    threshold: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LaunchSetting(Base):
    """Key/value settings of launch control (e.g. `launch_at`)."""

    __tablename__ = "launch_settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LaunchDecision(Base):
    """A go/no-go decision with a frozen JSON snapshot of every criterion (append-only)."""

    __tablename__ = "launch_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision: Mapped[str] = mapped_column(String(10))  # go | no_go | rollback
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[str] = mapped_column(Text)
