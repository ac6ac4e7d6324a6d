"""Overview tiles of the Revenue section: MRR, net new MRR, customer churn, LTV:CAC.

Each tile reads the same `RevenueKpis` as `hub kpi revenue`, so the Overview and the CLI
never disagree; a tile without its data source says how to add it instead of showing 0.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from engine.errors import HubError
from engine.kpi.registry import KpiDefinition, KpiReading, Target, register
from engine.periods import Period
from engine.revenue.money import ratio
from engine.revenue.reports import (
    NO_DATA,
    RevenueKpis,
    data_version,
    has_revenue_data,
    mrr_series,
    revenue_kpis,
)
from engine.store import Store

SECTION = "Revenue"
NO_SPEND = "no marketing spend yet: import it with `hub import spend spend.csv` for CAC"
MONTH_DAYS = Decimal(30)

_cache: OrderedDict[tuple[Any, ...], RevenueKpis] = OrderedDict()
_lock = threading.Lock()


def kpis_for(store: Store, period: Period) -> RevenueKpis:
    """`revenue_kpis`, memoised per data version (four tiles ask for the same period)."""
    key = (store.url, period.start, period.end, data_version(store))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = revenue_kpis(store, period)
    with _lock:
        _cache[key] = value
        while len(_cache) > 64:
            _cache.popitem(last=False)
    return value


def monthly_churn(k: RevenueKpis, period: Period) -> Decimal | None:
    """Customer churn rate of the period scaled to 30 days (the target is per month)."""
    rate = ratio(Decimal(k.churned_customers), k.flows.paying_start)
    days = Decimal(period.duration.total_seconds()) / 86400
    return None if rate is None else rate * MONTH_DAYS / days


def ltv_to_cac(k: RevenueKpis, _period: Period) -> Decimal | None:
    return k.ltv_to_cac()


def _reading(
    store: Store,
    period: Period,
    compare: bool,
    value_of: Any,
    series: list[tuple[Any, float]] | None = None,
    when_none: Any = "",
) -> KpiReading:
    """The tile's reading; `when_none` (text, or a function of the KPIs) explains a value
    with a zero denominator."""
    if not has_revenue_data(store):
        return KpiReading.missing(NO_DATA)
    try:
        value = value_of(kpis_for(store, period), period)
        previous = None
        if compare:
            prev = period.previous()
            previous = value_of(kpis_for(store, prev), prev)
    except HubError as exc:  # e.g. a missing FX rate: say which, never a wrong number
        return KpiReading.missing(str(exc))
    if value is None:
        k = kpis_for(store, period)
        return KpiReading.missing(when_none(k) if callable(when_none) else when_none)
    return KpiReading(
        value=float(value),
        previous=None if previous is None else float(previous),
        series=series or [],
    )


def _daily(store: Store, period: Period, key: str) -> list[tuple[Any, float]]:
    """Sparkline points from the daily MRR series (end of day, or cumulative net new)."""
    try:
        rows = mrr_series(store, period, "day").rows
    except HubError:
        return []
    points, total = [], 0.0
    for day, row in zip(_days(period), rows, strict=False):
        if key == "mrr_end":
            points.append((day, row["mrr_end"]))
        else:
            total += (
                row["new"]
                + row["expansion"]
                + row["reactivation"]
                - row["contraction"]
                - row["churn"]
            )
            points.append((day, round(total, 2)))
    return points


def _trailing(
    store: Store, period: Period, value_of: Any, points: int = 6
) -> list[tuple[Any, float]]:
    """Sparkline of a monthly KPI: its value over the 30 days ending at up to `points`
    evenly spaced days of the period."""
    days = _days(period)
    step = max(1, len(days) // points)
    ends = days[::-1][::step][:points][::-1]
    out = []
    for day in ends:
        window = Period.from_days(day - timedelta(days=29), day, period.tz)
        try:
            value = value_of(kpis_for(store, window), window)
        except HubError:
            return []
        if value is not None:
            out.append((day, float(value)))
    return out


def _days(period: Period) -> list[Any]:
    first, last = period.first_day, period.last_day
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@register(
    KpiDefinition(
        key="revenue.mrr",
        label="MRR",
        unit="money",
        definition=(
            "Monthly recurring revenue at the end of the period: the sum over active and "
            "past-due Stripe subscriptions of price × quantity normalised to a month, less "
            "forever coupons, excluding metered items and taxes, converted to the reporting "
            "currency at the last day's rate."
        ),
        section=SECTION,
        target=Target(">=", 50_000),
        order=10,
    )
)
def mrr_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    series = _daily(store, period, "mrr_end") if has_revenue_data(store) else []
    return _reading(store, period, compare, lambda k, _p: k.flows.end, series)


@register(
    KpiDefinition(
        key="revenue.net_new_mrr",
        label="Net new MRR",
        unit="money",
        definition=(
            "new + expansion + reactivation − contraction − churn MRR in the period, each "
            "valued at the rate of its day; FX revaluation is excluded."
        ),
        section=SECTION,
        order=20,
    )
)
def net_new_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    def value(k: RevenueKpis, _p: Period) -> Decimal:
        f = k.flows
        return f.new + f.expansion + f.reactivation - f.contraction - f.churn

    series = _daily(store, period, "net_new") if has_revenue_data(store) else []
    return _reading(store, period, compare, value, series)


@register(
    KpiDefinition(
        key="revenue.customer_churn",
        label="Customer churn (monthly)",
        unit="ratio",
        definition=(
            "Customers paying at the start of the period who churned in it ÷ paying "
            "customers at the start (ChartMogul's rule: customers who start and churn inside "
            "the period are not counted), scaled to 30 days (× 30 ÷ days in the period)."
        ),
        section=SECTION,
        target=Target("<", 0.02),
        higher_is_better=False,
        order=30,
    )
)
def churn_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    series = _trailing(store, period, monthly_churn) if has_revenue_data(store) else []
    return _reading(
        store,
        period,
        compare,
        monthly_churn,
        series,
        when_none="no paying customers at the start of the period",
    )


@register(
    KpiDefinition(
        key="revenue.ltv_cac",
        label="LTV:CAC",
        unit="multiple",
        definition=(
            "LTV ÷ CAC for the period, as in `hub kpi revenue`: LTV = ARPA (MRR at the end ÷ "
            "paying customers at the end) ÷ customer churn rate; CAC = marketing spend in "
            "the period (at each day's rate) ÷ new customers in it."
        ),
        section=SECTION,
        target=Target(">=", 3.0, source="benchmark"),
        order=40,
    )
)
def ltv_cac_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    def why(k: RevenueKpis) -> str:
        if k.spend is None:
            return NO_SPEND
        return "needs churned customers, new customers and spend in the period"

    series = _trailing(store, period, ltv_to_cac) if has_revenue_data(store) else []
    return _reading(store, period, compare, ltv_to_cac, series, when_none=why)
