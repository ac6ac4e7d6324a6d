"""Revenue KPIs of a period, every key hand-computed, on both backends."""

from __future__ import annotations

import itertools

import pytest

from engine.config import get_settings
from engine.revenue.ingest import import_events, import_spend
from engine.revenue.reports import KPI_KEYS, mrr_series, revenue_kpis
from engine.store import Store
from tests.actors import ADMIN
from tests.revenue.stripe_objects import event, item, lines, period, price, subscription, ts


def sub(sub_id: str, cus: str, dollars: int, **kw: object) -> dict:
    return subscription(sub_id, cus, [item(price(dollars * 100), 1)], **kw)


def february_story() -> list[dict]:
    """mrr_start 350 (a 100, b 200, c 50); in February: a churns, b +100, c −20, d new 80
    then churns, e converts from trial at 40, f's trial lapses, g reactivates at 60."""
    e_trial = sub("sub_e", "cus_e", 40, status="trialing", trial_end=ts("2025-02-08"))
    f_trial = sub("sub_f", "cus_f", 70, status="trialing", trial_end=ts("2025-02-15"))
    return [
        event(ts("2025-01-05"), sub("sub_a", "cus_a", 100), "created"),
        event(ts("2025-01-07"), sub("sub_b", "cus_b", 200), "created"),
        event(ts("2025-01-09"), sub("sub_c", "cus_c", 50), "created"),
        event(ts("2025-01-01"), sub("sub_g1", "cus_g", 60), "created"),
        event(ts("2025-01-20"), sub("sub_g1", "cus_g", 60, status="canceled"), "deleted"),
        event(ts("2025-01-25"), e_trial, "created"),
        event(ts("2025-02-01"), f_trial, "created"),
        event(ts("2025-02-03"), sub("sub_d", "cus_d", 80), "created"),
        event(ts("2025-02-08", 12, 5), {**e_trial, "status": "active"}),
        event(ts("2025-02-10"), sub("sub_a", "cus_a", 100, status="canceled"), "deleted"),
        event(ts("2025-02-12"), sub("sub_b", "cus_b", 300)),
        event(ts("2025-02-14"), sub("sub_c", "cus_c", 30)),
        event(ts("2025-02-15"), {**f_trial, "status": "canceled"}, "deleted"),
        event(ts("2025-02-20"), sub("sub_d", "cus_d", 80, status="canceled"), "deleted"),
        event(ts("2025-02-22"), sub("sub_g2", "cus_g", 60), "created"),
    ]


SPEND = [
    "date,channel,amount,currency",
    "2025-01-31,google_ads,999,USD",  # the day before: not in February
    "2025-02-01,google_ads,500,USD",
    "2025-02-15,linkedin,300.00,USD",
]


def test_every_kpi_of_a_hand_computed_month(store: Store) -> None:
    import_events(store, ADMIN, lines(february_story()))
    import_spend(store, ADMIN, SPEND)
    k = revenue_kpis(store, period("2025-02-01", "2025-02-28")).as_json()
    assert list(k) == [*KPI_KEYS, "currency"]
    assert k == {
        "mrr_start": 350.0,
        "mrr_end": 430.0,
        "arr_end": 5160.0,
        "new": 120.0,
        "expansion": 100.0,
        "reactivation": 60.0,
        "contraction": 20.0,
        "churn": 180.0,
        "fx": 0.0,
        "net_new_mrr": 80.0,
        "paying_customers_start": 3,
        "paying_customers_end": 4,
        "new_customers": 2,
        "churned_customers": 1,  # cus_d started and churned inside: not counted (B2B rule)
        "customer_churn_rate": pytest.approx(1 / 3),
        "gross_mrr_churn_rate": pytest.approx(200 / 350),
        "net_mrr_churn_rate": pytest.approx(40 / 350),
        "arpa": 107.5,
        "ltv": 322.5,
        "cac": 400.0,
        "cac_payback_months": pytest.approx(400 / 107.5),
        "quick_ratio": pytest.approx(1.4),
        "trial_conversion_rate": 0.5,
        "currency": "USD",
    }


def test_zero_denominators_are_null_never_zero(store: Store) -> None:
    k = revenue_kpis(store, period("2025-02-01", "2025-02-28")).as_json()
    for key in (
        "customer_churn_rate",
        "gross_mrr_churn_rate",
        "net_mrr_churn_rate",
        "arpa",
        "ltv",
        "cac",
        "cac_payback_months",
        "quick_ratio",
        "trial_conversion_rate",
    ):
        assert k[key] is None, key
    assert k["mrr_end"] == 0 and k["paying_customers_end"] == 0


def test_no_churn_means_null_ltv_and_quick_ratio(store: Store) -> None:
    import_events(
        store, ADMIN, lines([event(ts("2025-01-05"), sub("sub_a", "cus_a", 100), "created")])
    )
    k = revenue_kpis(store, period("2025-02-01", "2025-02-28")).as_json()
    assert k["customer_churn_rate"] == 0.0
    assert k["ltv"] is None  # ARPA ÷ 0
    assert k["quick_ratio"] is None  # (0) ÷ (0)
    assert k["cac"] is None  # no spend was ever imported, so CAC is unknown, not 0


def test_spend_without_new_customers_gives_null_cac(store: Store) -> None:
    import_events(
        store, ADMIN, lines([event(ts("2025-01-05"), sub("sub_a", "cus_a", 100), "created")])
    )
    import_spend(store, ADMIN, ["date,channel,amount,currency", "2025-02-03,ads,100,USD"])
    assert revenue_kpis(store, period("2025-02-01", "2025-02-28")).as_json()["cac"] is None


def test_period_is_whole_local_days(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """[A 00:00, B+1 00:00) in HUB_TIMEZONE: 22:30 UTC on Feb 28 is March 1 in Kyiv."""
    monkeypatch.setenv("HUB_TIMEZONE", "Europe/Kyiv")
    get_settings.cache_clear()
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-02-28", 21, 59), sub("s1", "c1", 10), "created"),  # 23:59 local
                event(ts("2025-02-28", 22, 0), sub("s2", "c2", 20), "created"),  # 00:00 Mar 1
            ]
        ),
    )
    feb = revenue_kpis(store, period("2025-02-01", "2025-02-28", "Europe/Kyiv")).as_json()
    mar = revenue_kpis(store, period("2025-03-01", "2025-03-31", "Europe/Kyiv")).as_json()
    assert (feb["new"], feb["mrr_end"]) == (10.0, 10.0)
    assert (mar["mrr_start"], mar["new"], mar["mrr_end"]) == (10.0, 20.0, 30.0)


def test_daily_buckets_follow_daylight_saving(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Kyiv moves from UTC+2 to UTC+3 on 2025-03-30: 21:30 UTC that day is 00:30 on the 31st.
    monkeypatch.setenv("HUB_TIMEZONE", "Europe/Kyiv")
    get_settings.cache_clear()
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-03-29", 21, 30), sub("s1", "c1", 10), "created"),  # 23:30 on 29th
                event(ts("2025-03-30", 21, 30), sub("s2", "c2", 20), "created"),  # 00:30 on 31st
            ]
        ),
    )
    rows = mrr_series(store, period("2025-03-29", "2025-03-31", "Europe/Kyiv"), "day").rows
    assert [(r["bucket"], r["new"]) for r in rows] == [
        ("2025-03-29", 10.0),
        ("2025-03-30", 0.0),
        ("2025-03-31", 20.0),
    ]


def test_series_rows_chain_and_match_the_period_kpis(store: Store) -> None:
    import_events(store, ADMIN, lines(february_story()))
    rows = mrr_series(store, period("2025-01-01", "2025-03-31"), "month").rows
    assert [r["bucket"] for r in rows] == ["2025-01", "2025-02", "2025-03"]
    for before, after in itertools.pairwise(rows):
        assert after["mrr_start"] == before["mrr_end"]
    feb = revenue_kpis(store, period("2025-02-01", "2025-02-28")).as_json()
    assert {k: rows[1][k] for k in ("mrr_start", "new", "churn", "mrr_end")} == {
        k: feb[k] for k in ("mrr_start", "new", "churn", "mrr_end")
    }
    assert rows[1]["paying_customers_end"] == 4
    assert rows[0]["churn"] == 60.0  # cus_g in January


def test_weekly_buckets_are_iso_weeks_clipped_to_the_period(store: Store) -> None:
    rows = mrr_series(store, period("2025-02-01", "2025-02-12"), "week").rows
    assert [r["bucket"] for r in rows] == ["2025-W05", "2025-W06", "2025-W07"]


def test_trial_converting_a_little_after_trial_end_counts(store: Store) -> None:
    trial = sub("sub_t", "cus_t", 40, status="trialing", trial_end=ts("2025-02-08", 0))
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-01-25"), trial, "created"),
                event(ts("2025-02-08", 3), {**trial, "status": "active"}),  # 3 h later
            ]
        ),
    )
    k = revenue_kpis(store, period("2025-02-01", "2025-02-28")).as_json()
    assert k["trial_conversion_rate"] == 1.0


def test_stripe_example_through_the_store(store: Store) -> None:
    """Stripe's docs: 100 customers at $100 a month and 50 at $600 a year → MRR $12,500."""
    events = [
        event(ts("2025-01-02"), sub(f"sub_m{i}", f"cus_m{i}", 100), "created") for i in range(100)
    ]
    events += [
        event(
            ts("2025-01-03"),
            subscription(f"sub_y{i}", f"cus_y{i}", [item(price(60000, "year"), 1)]),
            "created",
        )
        for i in range(50)
    ]
    import_events(store, ADMIN, lines(events))
    k = revenue_kpis(store, period("2025-01-01", "2025-01-31")).as_json()
    assert (k["mrr_end"], k["new"], k["new_customers"]) == (12500.0, 12500.0, 150)
    assert k["arpa"] == 83.33 and k["arr_end"] == 150000.0
