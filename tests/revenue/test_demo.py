"""Demo revenue: generated through the importers, deterministic, removable exactly."""

from __future__ import annotations

import time
from datetime import date, timedelta

from sqlalchemy import func, select

from engine import demo
from engine.revenue.demo import HISTORY_DAYS, RevenueDemo, generate_events
from engine.revenue.ingest import import_events
from engine.revenue.models import FxRate, MarketingSpend, MrrMovement, StripeEvent
from engine.revenue.reports import customer_movements, mrr_series, revenue_kpis
from engine.store import Store
from engine.store.models import ImportBatch
from tests.actors import ADMIN
from tests.revenue.stripe_objects import event, item, period, price, subscription, ts

TODAY = date(2026, 3, 31)


def count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_demo_events_are_deterministic_and_cover_the_story() -> None:
    spec = demo.make_spec("S", 42, TODAY)
    events = generate_events(spec)
    assert events == generate_events(demo.make_spec("S", 42, TODAY))
    assert events != generate_events(demo.make_spec("S", 7, TODAY))
    objects = [e["data"]["object"] for e in events if e["type"].startswith("customer.subscription")]
    prices = [o["items"]["data"][0]["price"] for o in objects]
    assert {p["recurring"]["interval"] for p in prices} == {"month", "year"}
    assert {o["currency"] for o in objects} == {"usd", "eur"}
    assert {o["status"] for o in objects} >= {"trialing", "active", "past_due", "canceled"}
    assert any(o["cancel_at_period_end"] for o in objects)
    coupons = {
        d["coupon"]["duration"] for o in objects for d in [o["discount"], *o["discounts"]] if d
    }
    assert coupons == {"forever", "once"}
    first = min(e["created"] for e in events)
    assert first >= ts(str(TODAY - timedelta(days=HISTORY_DAYS)), 0)
    assert max(e["created"] for e in events) <= ts(str(TODAY), 23)


def test_demo_loads_through_importers_quickly_and_clears_exactly(store: Store) -> None:
    real = subscription("sub_real", "cus_real", [item(price(4200))])
    import_events(store, ADMIN, [event(ts("2026-01-05"), real, "created", "evt_real")])
    started = time.perf_counter()
    rows = RevenueDemo().load(store, demo.make_spec("S", 42, TODAY), lambda *_: None)
    assert time.perf_counter() - started < 15
    assert rows > 1000
    with store.session() as s:
        kinds = set(s.execute(select(ImportBatch.kind, ImportBatch.is_demo)).all())
    assert kinds == {("stripe", False), ("stripe", True), ("fx", True), ("spend", True)}

    k = revenue_kpis(store, period("2026-03-01", "2026-03-31")).as_json()
    assert k["mrr_end"] > 20_000 and k["paying_customers_end"] > 50
    assert k["cac"] is not None and k["trial_conversion_rate"] is not None
    rows_2y = mrr_series(store, period("2024-04-01", "2026-03-31"), "month").rows
    assert len(rows_2y) == 24 and any(r["fx"] != 0 for r in rows_2y)
    assert sum(r["churn"] for r in rows_2y) > 0 and sum(r["reactivation"] for r in rows_2y) > 0

    demo.clear(store, ADMIN)
    assert count(store, StripeEvent) == 1
    assert count(store, FxRate) == 0 and count(store, MarketingSpend) == 0
    assert [m["kind"] for m in customer_movements(store, "cus_real")] == ["new"]
    assert count(store, MrrMovement) == 1
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 1


def test_revenue_is_a_registered_demo_kind() -> None:
    assert "revenue" in {kind.name for kind in demo.kinds()}
