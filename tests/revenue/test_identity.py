"""Property: on random event streams (shuffled, split into batches, with duplicates), every
bucket satisfies start + new + expansion + reactivation − contraction − churn + fx = end to
the cent, and MRR equals an independent recomputation from subscription states."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from engine.revenue.ingest import import_events, import_fx
from engine.revenue.models import (
    FxRate,
    MarketingSpend,
    MrrMovement,
    RevenueCustomer,
    StripeEvent,
    SubscriptionState,
)
from engine.revenue.reports import mrr_series, revenue_kpis
from engine.store import Store
from engine.store.models import ImportBatch
from tests.actors import ADMIN
from tests.revenue.stripe_objects import coupon, discount, event, item, period, price, subscription

START = datetime(2025, 1, 1, tzinfo=UTC)
HORIZON_DAYS = 110
FACTOR = {"month": Fraction(12), "year": Fraction(1), "week": Fraction(52), "day": Fraction(365)}
STATUSES = ["active"] * 5 + ["past_due", "trialing", "unpaid", "canceled", "incomplete", "paused"]


def wipe(store: Store) -> None:
    with store.session() as s:
        for model in (
            MrrMovement,
            SubscriptionState,
            StripeEvent,
            RevenueCustomer,
            FxRate,
            MarketingSpend,
            ImportBatch,
        ):
            s.execute(delete(model))


def random_history(rng: random.Random) -> tuple[list[dict[str, Any]], dict[date, Decimal]]:
    rates: dict[date, Decimal] = {date(2024, 12, 20): Decimal("1.08")}
    for d in range(HORIZON_DAYS + 60):
        if rng.random() < 0.3:
            rates[date(2025, 1, 1) + timedelta(days=d)] = Decimal(rng.randint(90, 130)) / 100
    base = int(START.timestamp())
    events: list[dict[str, Any]] = []
    for c in range(rng.randint(1, 5)):
        ccy = rng.choice(["usd", "eur"])
        for s in range(rng.randint(1, 3)):
            sid = f"sub_{c}_{s}"
            moments = sorted(
                rng.sample(range(base, base + HORIZON_DAYS * 86400, 1800), rng.randint(1, 6))
            )
            for i, at in enumerate(moments):
                interval = rng.choice(list(FACTOR))
                count = rng.randint(1, 3)
                extra: dict[str, Any] = {}
                pct = rng.choice([None, None, 10, 25, 50])
                if pct:
                    extra["discount"] = discount(
                        coupon(rng.choice(["forever", "once"]), percent_off=pct)
                    )
                if rng.random() < 0.25:
                    extra["cancel_at_period_end"] = True
                    extra["current_period_end"] = at + rng.randint(1, 60 * 86400)
                obj = subscription(
                    sid,
                    f"cus_{c}",
                    [
                        item(
                            price(rng.randint(100, 100000), interval, count, currency=ccy),
                            rng.randint(0, 5),
                        )
                    ],
                    status=rng.choice(STATUSES),
                    currency=ccy,
                    **extra,
                )
                events.append(event(at, obj, "created" if i == 0 else "updated"))
    return events, rates


def independent_mrr(
    events: list[dict[str, Any]], before: int, rate: Fraction
) -> tuple[Fraction, int]:
    """MRR (USD) and paying customers just before `before`, straight from the objects."""
    latest: dict[str, dict[str, Any]] = {}
    for e in sorted(events, key=lambda e: e["created"]):
        if e["created"] < before:
            latest[e["data"]["object"]["id"]] = e
    per_customer: dict[str, Fraction] = {}
    for e in latest.values():
        sub = e["data"]["object"]
        value = Fraction(0)
        ends = sub.get("current_period_end") if sub.get("cancel_at_period_end") else None
        ended = ends is not None and (ends < before or ends <= e["created"])
        if sub["status"] in ("active", "past_due") and not ended:
            it = sub["items"]["data"][0]
            p = it["price"]
            rec = p["recurring"]
            value = (
                Fraction(p["unit_amount"])
                * it["quantity"]
                * FACTOR[rec["interval"]]
                / (12 * rec["interval_count"])
                / 100
            )
            d = sub.get("discount")
            if d and d["coupon"]["duration"] == "forever":
                value *= 1 - Fraction(d["coupon"]["percent_off"]) / 100
            if sub["currency"] == "eur":
                value *= rate
        per_customer[sub["customer"]] = per_customer.get(sub["customer"], Fraction(0)) + value
    return sum(per_customer.values(), Fraction(0)), sum(1 for v in per_customer.values() if v > 0)


def rate_on(rates: dict[date, Decimal], day: date) -> Fraction:
    return Fraction(rates[max(d for d in rates if d <= day)])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), by=st.sampled_from(["month", "week"]))
def test_identity_to_the_cent_and_mrr_matches_recomputation(
    store: Store, seed: int, by: str
) -> None:
    wipe(store)
    rng = random.Random(seed)
    events, rates = random_history(rng)
    import_fx(store, ADMIN, ["date,currency,rate"] + [f"{d},EUR,{r}" for d, r in rates.items()])
    delivery = events + rng.sample(events, k=min(3, len(events)))  # a few replays
    rng.shuffle(delivery)
    cut = sorted(rng.sample(range(len(delivery) + 1), 2))
    for part in (delivery[: cut[0]], delivery[cut[0] : cut[1]], delivery[cut[1] :]):
        import_events(store, ADMIN, part, source="webhook")

    span = period("2025-01-01", "2025-04-30")
    rows = mrr_series(store, span, by).rows
    day = date(2025, 1, 1)
    for row in rows:
        parts = [Decimal(str(row[k])) for k in ("mrr_start", "new", "expansion", "reactivation")]
        total = sum(parts) - Decimal(str(row["contraction"])) - Decimal(str(row["churn"]))
        assert total + Decimal(str(row["fx"])) == Decimal(str(row["mrr_end"])), row
        for key in ("new", "expansion", "reactivation", "contraction", "churn"):
            assert row[key] >= 0
        # the bucket's last day
        if by == "month":
            nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        else:
            nxt = day + timedelta(days=7 - day.weekday())
        last = min(nxt - timedelta(days=1), date(2025, 4, 30))
        before = int(
            datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC).timestamp()
        )
        expected, paying = independent_mrr(events, before, rate_on(rates, last))
        assert abs(
            Decimal(str(row["mrr_end"])) - Decimal(expected.numerator) / expected.denominator
        ) <= Decimal("0.01"), row
        assert row["paying_customers_end"] == paying
        day = last + timedelta(days=1)
    whole = revenue_kpis(store, span).as_json()
    flows = whole["new"] + whole["expansion"] + whole["reactivation"]
    flows -= whole["contraction"] + whole["churn"]
    assert round(whole["mrr_start"] + flows + whole["fx"], 2) == whole["mrr_end"]
    assert whole["mrr_end"] == rows[-1]["mrr_end"]
