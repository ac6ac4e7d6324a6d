"""Revenue tables: Stripe events as received, what the MRR rules read from them, and the
movements kept up to date at ingest so reports never replay events.

Money is stored as integers of 10⁻⁶ of the currency's major unit (see `money`), so SQL sums
are exact on both backends. Every ingested row points at its import batch; derived rows
(states, movements) are rebuilt from events, so they need no batch of their own.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import BATCH_FK, Base, BigId, UtcDateTime, utcnow


class StripeEvent(Base):
    """One Stripe event, stored once by its id, exactly as it arrived (compact JSON)."""

    __tablename__ = "revenue_stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    object_id: Mapped[str] = mapped_column(String(255))  # subscription or customer id
    batch_id: Mapped[int] = mapped_column(ForeignKey(BATCH_FK, ondelete="CASCADE"), index=True)
    payload: Mapped[str] = mapped_column(Text)


class SubscriptionState(Base):
    """What the MRR rules read from one subscription event (see `mrr.parse_subscription`).

    `seq` breaks ties between events created in the same second (arrival order); `rank`
    orders created < updated < deleted within a second, as Stripe emits them.
    """

    __tablename__ = "revenue_subscription_states"
    __table_args__ = (
        Index("ix_revenue_subscription_states_customer_at", "customer_id", "at"),
        Index("ix_revenue_subscription_states_sub_at", "subscription_id", "at"),
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No foreign key on purpose: states are derived, written and deleted only together with
    # their events (import, demo clear, rebuild), and the per-row check halved import speed.
    event_id: Mapped[str] = mapped_column(String(255))
    subscription_id: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[str] = mapped_column(String(255))
    at: Mapped[int] = mapped_column(BigInteger)  # event `created`, epoch seconds
    rank: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    mrr: Mapped[int] = mapped_column(BigInteger)  # micro-units of `currency`
    ends_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    trial_end: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    plans: Mapped[str] = mapped_column(Text, default="{}")  # JSON: plan label → micro


class RevenueCustomer(Base):
    """A Stripe customer's name and email, from its latest `customer.*` event."""

    __tablename__ = "revenue_customers"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(500), default="")
    seen_at: Mapped[int] = mapped_column(BigInteger)  # event `created` it came from
    batch_id: Mapped[int] = mapped_column(ForeignKey(BATCH_FK, ondelete="CASCADE"), index=True)


class MrrMovement(Base):
    """A change of one customer's MRR in one currency at one instant (signed `amount`).

    `paying_delta` is +1 on the movement that makes the customer paying (new or
    reactivation), −1 on the one that churns them, else 0, so paying customers at any
    instant is one SUM.
    """

    __tablename__ = "revenue_mrr_movements"
    __table_args__ = (
        Index("ix_revenue_mrr_movements_customer_at", "customer_id", "at"),
        # Covers the report scans (balances and per-day sums) so they never touch rows.
        Index(
            "ix_revenue_mrr_movements_at_cover", "at", "currency", "kind", "amount", "paying_delta"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(255))
    at: Mapped[int] = mapped_column(BigInteger)  # epoch seconds
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)  # micro, + for new/expansion/reactivation
    mrr_after: Mapped[int] = mapped_column(BigInteger)  # customer's MRR in `currency` after
    paying_delta: Mapped[int] = mapped_column(SmallInteger)
    subscription_ids: Mapped[str] = mapped_column(Text)  # comma-separated, for drill-down


class FxRate(Base):
    """One unit of `currency` is `rate` units of the reporting currency on `day`."""

    __tablename__ = "revenue_fx_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[str] = mapped_column(String(40))  # exact decimal text
    batch_id: Mapped[int] = mapped_column(ForeignKey(BATCH_FK, ondelete="CASCADE"), index=True)


class MarketingSpend(Base):
    """Marketing spend of one channel on one day (for CAC)."""

    __tablename__ = "revenue_marketing_spend"
    __table_args__ = (
        UniqueConstraint("day", "channel", "currency", name="uq_revenue_marketing_spend_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # micro-units of `currency`
    batch_id: Mapped[int] = mapped_column(ForeignKey(BATCH_FK, ondelete="CASCADE"), index=True)


class StripeSyncState(Base):
    """`hub stripe sync` bookkeeping (the events cursor), one row per key."""

    __tablename__ = "revenue_sync_state"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
