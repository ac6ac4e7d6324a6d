"""Product-analytics tables: raw Segment events, identity links, rollups and surveys.

Raw events are the record; rollups (`product_user_days`, `product_user_event_days`,
`product_user_firsts`, `product_users`) are derived from them at ingest, keyed by the
*resolved user* ("person": the `userId`, or the user an anonymous id is linked to) and by
local day numbers in `HUB_TIMEZONE` (see `engine.product.buckets`). The timezone the
rollups were built for is kept in `product_meta`; when `HUB_TIMEZONE` changes, KPIs refuse
to answer until `hub product rebuild-rollups` has recomputed them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, BigId, UtcDateTime

ID_LEN = 200


class ProductEvent(Base):
    """One Segment call (`track`, `page`/`screen`, `identify`) exactly as first stored."""

    __tablename__ = "product_events"
    __table_args__ = (
        Index("ix_product_events_event_ts", "event", "ts_us", "person"),
        Index("ix_product_events_person_event_ts", "person", "event", "ts_us"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(ID_LEN), unique=True)
    type: Mapped[str] = mapped_column(String(10))
    event: Mapped[str | None] = mapped_column(String(ID_LEN), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(ID_LEN), nullable=True)
    anonymous_id: Mapped[str | None] = mapped_column(String(ID_LEN), nullable=True, index=True)
    person: Mapped[str | None] = mapped_column(String(ID_LEN), nullable=True)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    ts_us: Mapped[int] = mapped_column(BigInteger)  # epoch µs: portable arithmetic
    day: Mapped[int] = mapped_column(Integer)  # local day number in the rollup timezone
    properties: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), nullable=True
    )
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)


class IdentityLink(Base):
    """anonymousId → userId from an `identify` carrying both; the first link stored wins."""

    __tablename__ = "product_identity_links"

    anonymous_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)


class UserDay(Base):
    """A person was active (a `track` or `page` call) on a local day: DAU/WAU/MAU, lifecycle."""

    __tablename__ = "product_user_days"
    __table_args__ = (Index("ix_product_user_days_day_person", "day", "person"),)

    person: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    events: Mapped[int] = mapped_column(Integer)


class UserEventDay(Base):
    """A person did a named event on a local day: feature adoption, retention by event."""

    __tablename__ = "product_user_event_days"
    __table_args__ = (Index("ix_product_user_event_days_day_event", "day", "event", "person"),)

    person: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    event: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    events: Mapped[int] = mapped_column(Integer)


class UserFirst(Base):
    """A person's first-ever occurrence of each event name: signups, cohorts, activation."""

    __tablename__ = "product_user_firsts"
    __table_args__ = (Index("ix_product_user_firsts_event_ts", "event", "ts_us", "person"),)

    person: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    event: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    ts_us: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[int] = mapped_column(Integer)


class ProductUser(Base):
    """A person's first-ever activity: "new" in the weekly lifecycle."""

    __tablename__ = "product_users"

    person: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    first_active_us: Mapped[int] = mapped_column(BigInteger)
    first_active_day: Mapped[int] = mapped_column(Integer, index=True)


class EventName(Base):
    """Every event name seen, with its call type: funnel pickers and default features."""

    __tablename__ = "product_event_names"

    event: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    type: Mapped[str] = mapped_column(String(10))


class CalendarDay(Base):
    """Local calendar facts for day numbers 1970–2099 (filled by the migration)."""

    __tablename__ = "product_calendar"

    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    date: Mapped[date] = mapped_column(Date)
    week: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)


class ProductMeta(Base):
    """Small key/value facts about the rollups (e.g. the timezone they were built for)."""

    __tablename__ = "product_meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class SurveyResponse(Base):
    """An NPS (0–10) or CSAT (1–5) answer; identified by respondent, kind and time."""

    __tablename__ = "product_survey_responses"
    __table_args__ = (
        UniqueConstraint(
            "respondent_id", "kind", "responded_at", name="uq_product_survey_responses_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    respondent_id: Mapped[str] = mapped_column(String(ID_LEN))
    kind: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(SmallInteger)
    responded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
