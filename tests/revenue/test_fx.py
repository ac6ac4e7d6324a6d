"""FX: movements at their day's rate, revaluation of the rest as `fx`, missing rates."""

from __future__ import annotations

import pytest

from engine.errors import HubError, InputError
from engine.revenue.fx import MissingFxRate
from engine.revenue.ingest import import_events, import_fx, import_spend
from engine.revenue.reports import mrr_series, revenue_kpis
from engine.store import Store
from tests.actors import ADMIN
from tests.revenue.stripe_objects import event, item, lines, period, price, subscription, ts

RATES = [
    "date,currency,rate",
    "2025-01-09,EUR,1.10",
    "2025-01-31,EUR,1.20",
    "2025-02-14,EUR,1.05",
    "2025-01-01,JPY,0.0065",
]


def eur(sub_id: str, cus: str, euros: int) -> dict:
    return subscription(sub_id, cus, [item(price(euros * 100, currency="eur"), 1)], currency="eur")


def usd(sub_id: str, cus: str, dollars: int) -> dict:
    return subscription(sub_id, cus, [item(price(dollars * 100), 1)])


@pytest.fixture
def two_currencies(store: Store) -> Store:
    import_fx(store, ADMIN, RATES)
    import_events(
        store,
        ADMIN,
        lines(
            [
                event(ts("2025-01-05"), usd("sub_u", "cus_u", 100), "created"),
                event(ts("2025-01-10"), eur("sub_e", "cus_e", 100), "created"),  # rate of Jan 9
                event(ts("2025-02-14"), eur("sub_e", "cus_e", 150)),  # at 1.05
            ]
        ),
    )
    return store


def test_movements_at_their_days_rate_and_revaluation_as_fx(two_currencies: Store) -> None:
    jan = revenue_kpis(two_currencies, period("2025-01-01", "2025-01-31")).as_json()
    assert (jan["new"], jan["mrr_end"], jan["fx"]) == (100 + 110.0, 100 + 120.0, 10.0)
    feb = revenue_kpis(two_currencies, period("2025-02-01", "2025-02-28")).as_json()
    assert feb["mrr_start"] == 220.0  # EUR at Jan 31's 1.20
    assert feb["expansion"] == 52.5  # €50 at Feb 14's 1.05, never inflated by FX
    assert feb["mrr_end"] == 100 + 157.5  # €150 at 1.05 (latest rate on or before Feb 28)
    assert feb["fx"] == -15.0
    assert feb["net_new_mrr"] == 52.5  # fx is reported apart


def test_series_identity_holds_with_fx(two_currencies: Store) -> None:
    rows = mrr_series(two_currencies, period("2025-01-01", "2025-03-31"), "week").rows
    for r in rows:
        total = (
            r["mrr_start"]
            + r["new"]
            + r["expansion"]
            + r["reactivation"]
            - r["contraction"]
            - r["churn"]
            + r["fx"]
        )
        assert round(total, 2) == r["mrr_end"], r


def test_missing_rate_is_an_error_naming_currency_and_day(store: Store) -> None:
    import_fx(store, ADMIN, ["date,currency,rate", "2025-01-09,EUR,1.10"])
    import_events(
        store, ADMIN, lines([event(ts("2025-01-05"), eur("sub_e", "cus_e", 100), "created")])
    )
    with pytest.raises(MissingFxRate, match=r"EUR on or before 2025-01-05"):
        revenue_kpis(store, period("2025-01-01", "2025-01-31"))
    # Once the balance is valued on a day with a rate, the period works.
    assert revenue_kpis(store, period("2025-01-10", "2025-01-31")).as_json()["mrr_end"] == 110.0


def test_no_rates_at_all_is_never_a_silent_one(store: Store) -> None:
    import_events(
        store, ADMIN, lines([event(ts("2025-01-05"), eur("sub_e", "cus_e", 100), "created")])
    )
    with pytest.raises(HubError, match="EUR"):
        revenue_kpis(store, period("2025-01-01", "2025-01-31"))


def test_zero_decimal_currency_converts_whole_units(store: Store) -> None:
    import_fx(store, ADMIN, RATES)
    jpy = subscription("sub_j", "cus_j", [item(price(12000, currency="jpy"), 1)], currency="jpy")
    import_events(store, ADMIN, lines([event(ts("2025-01-05"), jpy, "created")]))
    k = revenue_kpis(store, period("2025-01-01", "2025-01-31")).as_json()
    assert k["mrr_end"] == 78.0  # ¥12,000 × 0.0065


def test_spend_in_another_currency_uses_the_days_rate(store: Store) -> None:
    import_fx(store, ADMIN, RATES)
    import_events(
        store, ADMIN, lines([event(ts("2025-02-03"), usd("sub_u", "cus_u", 100), "created")])
    )
    import_spend(store, ADMIN, ["date,channel,amount,currency", "2025-02-14,meetups,100,EUR"])
    assert revenue_kpis(store, period("2025-02-01", "2025-02-28")).as_json()["cac"] == 105.0


def test_fx_import_rejects_a_rate_for_the_reporting_currency(store: Store) -> None:
    with pytest.raises(InputError, match=r"line 2: USD is the reporting currency"):
        import_fx(store, ADMIN, ["date,currency,rate", "2025-01-01,USD,1.1"], label="fx.csv")


def test_fx_import_replaces_a_days_rate_and_counts_duplicates(store: Store) -> None:
    first = import_fx(store, ADMIN, ["date,currency,rate", "2025-01-09,EUR,1.10"])
    again = import_fx(store, ADMIN, ["date,currency,rate", "2025-01-09,EUR,1.1"])
    changed = import_fx(store, ADMIN, ["date,currency,rate", "2025-01-09,EUR,1.3"])
    assert (first.new, again.duplicates, changed.new) == (1, 1, 1)
    import_events(
        store, ADMIN, lines([event(ts("2025-01-10"), eur("sub_e", "cus_e", 100), "created")])
    )
    assert revenue_kpis(store, period("2025-01-10", "2025-01-10")).as_json()["mrr_end"] == 130.0
