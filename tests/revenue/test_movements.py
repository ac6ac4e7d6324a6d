"""Movements per customer, stored at ingest: hand-computed lifecycles on both backends."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from engine.revenue.ingest import import_events
from engine.revenue.models import MrrMovement
from engine.revenue.reports import customer_movements, revenue_kpis
from engine.store import Store
from tests.actors import ADMIN
from tests.revenue.stripe_objects import (
    customer,
    event,
    item,
    lines,
    period,
    price,
    subscription,
    ts,
)

GOLD_YEAR = price(50000, "year", nickname="Gold annual")  # $500 per seat per year
SILVER = price(3000, nickname="Silver monthly")  # $30 per seat
GOLD_MONTH = price(5000, nickname="Gold monthly")  # $50 per seat


def moves(store: Store, cus: str = "cus_1") -> list[tuple[str, str, float]]:
    return [(m["day"], m["kind"], m["amount"]) for m in customer_movements(store, cus)]


def chartmogul_events() -> list[dict]:
    gold = subscription("sub_gold", "cus_1", [item(GOLD_YEAR, 4)])
    return [
        customer("cus_1", "Acme", ts("2025-01-01")),
        event(ts("2025-01-10"), gold, "created"),
        event(ts("2025-02-10"), subscription("sub_silver", "cus_1", [item(SILVER, 2)]), "created"),
        event(
            ts("2025-05-10"),
            subscription("sub_silver", "cus_1", [item(SILVER, 2)], status="canceled"),
            "deleted",
        ),
        # Gold is cancelled in June, effective at the end of the paid year.
        event(
            ts("2025-06-10"),
            {**gold, "cancel_at_period_end": True, "current_period_end": ts("2026-01-10")},
        ),
        event(
            ts("2026-01-10"),
            {**gold, "status": "canceled", "ended_at": ts("2026-01-10")},
            "deleted",
        ),
        event(
            ts("2026-03-10"), subscription("sub_gold2", "cus_1", [item(GOLD_MONTH, 3)]), "created"
        ),
    ]


def test_chartmogul_lifecycle(store: Store) -> None:
    import_events(store, ADMIN, lines(chartmogul_events()))
    assert moves(store) == [
        ("2025-01-10", "new", 166.67),
        ("2025-02-10", "expansion", 60.0),
        ("2025-05-10", "contraction", 60.0),  # one of two subscriptions: not churn
        ("2026-01-10", "churn", 166.67),  # at the end of the paid year, not in June
        ("2026-03-10", "reactivation", 150.0),
    ]
    history = customer_movements(store, "cus_1")
    assert [m["mrr_after"] for m in history] == [166.67, 226.67, 166.67, 0.0, 150.0]


def test_cancel_at_period_end_churns_when_it_ends_even_before_the_deleted_event(
    store: Store,
) -> None:
    sub = subscription("sub_1", "cus_1", [item(SILVER, 1)])
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-01-05"), sub, "created"),
                event(
                    ts("2025-01-20"),
                    {**sub, "cancel_at_period_end": True, "current_period_end": ts("2025-02-05")},
                ),
            ]
        ),
    )
    assert moves(store) == [("2025-01-05", "new", 30.0), ("2025-02-05", "churn", 30.0)]
    jan = revenue_kpis(store, period("2025-01-01", "2025-01-31")).as_json()
    assert jan["churn"] == 0 and jan["mrr_end"] == 30.0


def test_uncancelling_before_period_end_keeps_the_customer(store: Store) -> None:
    sub = subscription("sub_1", "cus_1", [item(SILVER, 1)])
    scheduled = {**sub, "cancel_at_period_end": True, "current_period_end": ts("2025-02-05")}
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-01-05"), sub, "created"),
                event(ts("2025-01-20"), scheduled),
                event(ts("2025-01-25"), sub),  # the customer changed their mind
            ]
        ),
    )
    assert moves(store) == [("2025-01-05", "new", 30.0)]


def test_out_of_order_delivery_recomputes_the_customer(store: Store) -> None:
    events = chartmogul_events()
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    # One event at a time, in a scrambled order (as webhooks may arrive).
    for e in shuffled:
        import_events(store, ADMIN, [e], source="webhook")
    assert moves(store) == [
        ("2025-01-10", "new", 166.67),
        ("2025-02-10", "expansion", 60.0),
        ("2025-05-10", "contraction", 60.0),
        ("2026-01-10", "churn", 166.67),
        ("2026-03-10", "reactivation", 150.0),
    ]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(MrrMovement)) == 5


def test_late_event_in_the_past_rewrites_later_movements(store: Store) -> None:
    sub = subscription("sub_1", "cus_1", [item(SILVER, 1)])
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-01-05"), sub, "created"),
                event(ts("2025-03-05"), subscription("sub_1", "cus_1", [item(SILVER, 3)])),
            ]
        ),
    )
    assert moves(store) == [("2025-01-05", "new", 30.0), ("2025-03-05", "expansion", 60.0)]
    # A February upgrade to 2 seats arrives late: March is now +30, not +60.
    import_events(
        store,
        ADMIN,
        lines([event(ts("2025-02-05"), subscription("sub_1", "cus_1", [item(SILVER, 2)]))]),
    )
    assert moves(store) == [
        ("2025-01-05", "new", 30.0),
        ("2025-02-05", "expansion", 30.0),
        ("2025-03-05", "expansion", 30.0),
    ]


def test_changes_in_the_same_second_are_netted(store: Store) -> None:
    # A plan switch modelled as cancel + create at the same instant is an expansion of 20.
    old = subscription("sub_a", "cus_1", [item(SILVER, 1)])
    at = ts("2025-03-01")
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-01-01"), old, "created"),
                event(at, {**old, "status": "canceled"}, "deleted"),
                event(at, subscription("sub_b", "cus_1", [item(GOLD_MONTH, 1)]), "created"),
            ]
        ),
    )
    assert moves(store) == [("2025-01-01", "new", 30.0), ("2025-03-01", "expansion", 20.0)]


def test_same_second_events_of_one_subscription_last_arrival_wins(store: Store) -> None:
    at = ts("2025-01-01")
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(at, subscription("sub_a", "cus_1", [item(SILVER, 1)]), "created"),
                event(at, subscription("sub_a", "cus_1", [item(SILVER, 2)])),
            ]
        ),
    )
    assert moves(store) == [("2025-01-01", "new", 60.0)]


def test_trial_then_conversion_is_new_at_conversion(store: Store) -> None:
    trial = subscription(
        "sub_1", "cus_1", [item(SILVER, 1)], status="trialing", trial_end=ts("2025-01-15")
    )
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-01-01"), trial, "created"),
                event(ts("2025-01-15"), {**trial, "status": "active"}),
            ]
        ),
    )
    assert moves(store) == [("2025-01-15", "new", 30.0)]


def test_past_due_counts_unpaid_does_not(store: Store) -> None:
    sub = subscription("sub_1", "cus_1", [item(SILVER, 1)])
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-01-01"), sub, "created"),
                event(ts("2025-02-01"), {**sub, "status": "past_due"}),
                event(ts("2025-02-10"), {**sub, "status": "unpaid"}),
                event(ts("2025-02-20"), {**sub, "status": "active"}),
            ]
        ),
    )
    assert moves(store) == [
        ("2025-01-01", "new", 30.0),
        ("2025-02-10", "churn", 30.0),
        ("2025-02-20", "reactivation", 30.0),
    ]


def test_customer_events_only_name_customers(store: Store) -> None:
    import_events(
        store,
        ADMIN,
        lines(
            [
                customer("cus_1", "Old name", ts("2025-01-01")),
                customer("cus_1", "New name", ts("2025-02-01"), "updated"),
            ]
        ),
    )
    # Later import of an older name does not win.
    import_events(store, ADMIN, lines([customer("cus_1", "Stale", ts("2025-01-15"), "updated")]))
    from engine.revenue.models import RevenueCustomer

    with store.session() as s:
        assert s.get(RevenueCustomer, "cus_1").name == "New name"
    assert customer_movements(store, "cus_1") == []


def test_concurrent_imports_for_one_customer_do_not_lose_an_event(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A webhook landing while another import for the same customer is about to commit:
    writers are serialised, so the second recompute sees the first's event."""
    import threading
    import time

    from engine.revenue import movements

    real = movements.recompute
    first_done = threading.Event()

    def slow_commit(session, customer_ids):  # type: ignore[no-untyped-def]
        written = real(session, customer_ids)
        if not first_done.is_set():
            first_done.set()
            time.sleep(0.8)  # hold the transaction open while the other import runs
        return written

    monkeypatch.setattr(movements, "recompute", slow_commit)
    one = event(ts("2025-01-01"), subscription("sub_1", "cus_1", [item(SILVER, 1)]), "created")
    two = event(ts("2025-02-01"), subscription("sub_2", "cus_1", [item(GOLD_MONTH, 1)]), "created")
    worker = threading.Thread(target=import_events, args=(store, ADMIN, [one]))
    worker.start()
    assert first_done.wait(10)
    import_events(store, ADMIN, [two], source="webhook")
    worker.join(10)
    assert moves(store) == [("2025-01-01", "new", 30.0), ("2025-02-01", "expansion", 50.0)]
