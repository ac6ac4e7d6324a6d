"""Product analytics: Segment events, identity links, rollups, calendar and surveys.

Revision ID: 0004_product
Revises: 0001_foundation
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from engine.store.base import UtcDateTime

revision: str = "0004_product"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("product",)
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _calendar_rows() -> list[dict[str, object]]:
    from engine.product.buckets import calendar_rows

    return calendar_rows(date(1970, 1, 1), date(2099, 12, 31))


def upgrade() -> None:
    op.create_table(
        "product_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("event", sa.String(200), nullable=True),
        sa.Column("user_id", sa.String(200), nullable=True),
        sa.Column("anonymous_id", sa.String(200), nullable=True),
        sa.Column("person", sa.String(200), nullable=True),
        sa.Column("timestamp", UtcDateTime(), nullable=False),
        sa.Column("ts_us", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_product_events_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_events")),
        sa.UniqueConstraint("message_id", name=op.f("uq_product_events_message_id")),
    )
    op.create_index("ix_product_events_event_ts", "product_events", ["event", "ts_us", "person"])
    op.create_index(
        "ix_product_events_person_event_ts", "product_events", ["person", "event", "ts_us"]
    )
    op.create_index(op.f("ix_product_events_anonymous_id"), "product_events", ["anonymous_id"])
    op.create_index(op.f("ix_product_events_batch_id"), "product_events", ["batch_id"])

    op.create_table(
        "product_identity_links",
        sa.Column("anonymous_id", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("linked_at", UtcDateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_product_identity_links_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("anonymous_id", name=op.f("pk_product_identity_links")),
    )
    op.create_index(
        op.f("ix_product_identity_links_user_id"), "product_identity_links", ["user_id"]
    )
    op.create_index(
        op.f("ix_product_identity_links_batch_id"), "product_identity_links", ["batch_id"]
    )

    op.create_table(
        "product_user_days",
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person", "day", name=op.f("pk_product_user_days")),
    )
    op.create_index("ix_product_user_days_day_person", "product_user_days", ["day", "person"])

    op.create_table(
        "product_user_event_days",
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person", "event", "day", name=op.f("pk_product_user_event_days")),
    )
    op.create_index(
        "ix_product_user_event_days_day_event",
        "product_user_event_days",
        ["day", "event", "person"],
    )

    op.create_table(
        "product_user_firsts",
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("ts_us", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person", "event", name=op.f("pk_product_user_firsts")),
    )
    op.create_index(
        "ix_product_user_firsts_event_ts", "product_user_firsts", ["event", "ts_us", "person"]
    )

    op.create_table(
        "product_users",
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("first_active_us", sa.BigInteger(), nullable=False),
        sa.Column("first_active_day", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person", name=op.f("pk_product_users")),
    )
    op.create_index(
        op.f("ix_product_users_first_active_day"), "product_users", ["first_active_day"]
    )

    op.create_table(
        "product_event_names",
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("event", name=op.f("pk_product_event_names")),
    )

    calendar = op.create_table(
        "product_calendar",
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_product_calendar")),
    )
    op.bulk_insert(calendar, _calendar_rows())

    op.create_table(
        "product_meta",
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_product_meta")),
    )

    op.create_table(
        "product_survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("responded_at", UtcDateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_product_survey_responses_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_survey_responses")),
        sa.UniqueConstraint(
            "respondent_id", "kind", "responded_at", name="uq_product_survey_responses_key"
        ),
    )
    op.create_index(
        op.f("ix_product_survey_responses_responded_at"),
        "product_survey_responses",
        ["responded_at"],
    )
    op.create_index(
        op.f("ix_product_survey_responses_batch_id"), "product_survey_responses", ["batch_id"]
    )


def downgrade() -> None:
    for table in (
        "product_survey_responses",
        "product_meta",
        "product_calendar",
        "product_event_names",
        "product_users",
        "product_user_firsts",
        "product_user_event_days",
        "product_user_days",
        "product_identity_links",
        "product_events",
    ):
        op.drop_table(table)
