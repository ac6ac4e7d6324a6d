"""Foundation tables: where data came from, and which processes are alive.

Each later capability adds its own tables in its own module and migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, UtcDateTime, utcnow


class ImportBatch(Base):
    """One ingestion run (a file, an HTTP batch, a demo load, a pull from an API).

    Every ingested row points at its batch, so demo data can be removed exactly
    (`hub demo --clear`) and "data as of" is a simple max over finished batches.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(20))  # file | http | demo | api | webhook
    label: Mapped[str] = mapped_column(String(500), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|done|failed
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class WorkerHeartbeat(Base):
    """A worker process announces itself here so `hub doctor` and pages can tell it runs."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # host:pid:start
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
