"""Revenue: Stripe events, subscription states, MRR movements, FX rates, spend, sync state.

Revision ID: 0005_revenue
Revises: 0001_foundation
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.store.base import UtcDateTime

revision: str = "0005_revenue"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("revenue",)
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
        "revenue_stripe_events",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("object_id", sa.String(255), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_stripe_events")),
        _batch_fk("revenue_stripe_events"),
    )
    op.create_index(
        op.f("ix_revenue_stripe_events_batch_id"), "revenue_stripe_events", ["batch_id"]
    )

    op.create_table(
        "revenue_subscription_states",
        sa.Column("seq", BigId, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("subscription_id", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("mrr", sa.BigInteger(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=True),
        sa.Column("trial_end", sa.BigInteger(), nullable=True),
        sa.Column("plans", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_revenue_subscription_states")),
    )
    op.create_index(
        "ix_revenue_subscription_states_customer_at",
        "revenue_subscription_states",
        ["customer_id", "at"],
    )
    op.create_index(
        "ix_revenue_subscription_states_sub_at",
        "revenue_subscription_states",
        ["subscription_id", "at"],
    )
    op.create_index(
        op.f("ix_revenue_subscription_states_trial_end"),
        "revenue_subscription_states",
        ["trial_end"],
    )

    op.create_table(
        "revenue_customers",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("email", sa.String(500), nullable=False),
        sa.Column("seen_at", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_customers")),
        _batch_fk("revenue_customers"),
    )
    op.create_index(op.f("ix_revenue_customers_batch_id"), "revenue_customers", ["batch_id"])

    op.create_table(
        "revenue_mrr_movements",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("mrr_after", sa.BigInteger(), nullable=False),
        sa.Column("paying_delta", sa.SmallInteger(), nullable=False),
        sa.Column("subscription_ids", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_mrr_movements")),
    )
    op.create_index(
        "ix_revenue_mrr_movements_at_cover",
        "revenue_mrr_movements",
        ["at", "currency", "kind", "amount", "paying_delta"],
    )
    op.create_index(
        "ix_revenue_mrr_movements_customer_at", "revenue_mrr_movements", ["customer_id", "at"]
    )

    op.create_table(
        "revenue_fx_rates",
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("currency", "day", name=op.f("pk_revenue_fx_rates")),
        _batch_fk("revenue_fx_rates"),
    )
    op.create_index(op.f("ix_revenue_fx_rates_batch_id"), "revenue_fx_rates", ["batch_id"])

    op.create_table(
        "revenue_marketing_spend",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_marketing_spend")),
        _batch_fk("revenue_marketing_spend"),
        sa.UniqueConstraint(
            "day", "channel", "currency", name=op.f("uq_revenue_marketing_spend_key")
        ),
    )
    op.create_index(op.f("ix_revenue_marketing_spend_day"), "revenue_marketing_spend", ["day"])
    op.create_index(
        op.f("ix_revenue_marketing_spend_batch_id"), "revenue_marketing_spend", ["batch_id"]
    )

    op.create_table(
        "revenue_sync_state",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_revenue_sync_state")),
    )


def downgrade() -> None:
    for table in (
        "revenue_sync_state",
        "revenue_marketing_spend",
        "revenue_fx_rates",
        "revenue_mrr_movements",
        "revenue_customers",
        "revenue_subscription_states",
        "revenue_stripe_events",
    ):
        op.drop_table(table)
