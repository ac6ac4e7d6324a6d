"""Overview tiles (section "Product"): DAU, signups, activation rate, NPS.

Each tile is honest: with no events (or no survey responses) it says how to add them,
never 0; with events but an undefined value (no signups → no activation rate) it is `—`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from engine.kpi.registry import KpiDefinition, KpiReading, Target, register
from engine.periods import Period
from engine.product import kpis, surveys
from engine.product.buckets import day_date
from engine.product.common import Days, guard_timezone
from engine.product.rollups import TimezoneChanged
from engine.store import Store

SECTION = "Product"
NO_EVENTS = "no events yet: import with `hub import events FILE`"
NO_SURVEYS = "no survey responses yet: import with `hub import survey FILE.csv` or POST /v1/surveys"


def _reading(
    store: Store,
    period: Period,
    compare: bool,
    value_of: Callable[[Store, Period], float | None],
    series_of: Callable[[Store, Period], list[tuple[date, float]]],
) -> KpiReading:
    with store.session() as s:
        try:
            guard_timezone(s)
        except TimezoneChanged as exc:
            return KpiReading.missing(str(exc))
        if not kpis.has_events(s):
            return KpiReading.missing(NO_EVENTS)
    return KpiReading(
        value=value_of(store, period),
        previous=value_of(store, period.previous()) if compare else None,
        series=series_of(store, period),
    )


def _dau(store: Store, period: Period) -> float:
    return sum(n for _, n in kpis.daily_active(store, period)) / Days.of(period).count


def _dau_series(store: Store, period: Period) -> list[tuple[date, float]]:
    return [(d, float(n)) for d, n in kpis.daily_active(store, period)]


def _activation(store: Store, period: Period) -> kpis.Activation:
    with store.session() as s:
        return kpis.activation(s, Days.of(period))


@register(
    KpiDefinition(
        "product.dau",
        "DAU",
        "users",
        kpis.DEFINITIONS["dau"] + " " + kpis.DEFINITIONS["active_user"],
        SECTION,
        Target(">=", 50),
        order=10,
    )
)
def dau_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    return _reading(store, period, compare, _dau, _dau_series)


@register(
    KpiDefinition(
        "product.signups", "Signups", "users", kpis.DEFINITIONS["signups"], SECTION, order=11
    )
)
def signups_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    def series(st: Store, p: Period) -> list[tuple[date, float]]:
        by_day = _activation(st, p).by_day
        d = Days.of(p)
        return [(day_date(n), float(by_day.get(n, (0, 0))[0])) for n in range(d.first, d.last + 1)]

    return _reading(store, period, compare, lambda st, p: float(_activation(st, p).signups), series)


@register(
    KpiDefinition(
        "product.activation_rate",
        "Activation rate",
        "ratio",
        kpis.DEFINITIONS["activation_rate"],
        SECTION,
        order=12,
    )
)
def activation_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    def series(st: Store, p: Period) -> list[tuple[date, float]]:
        by_day = _activation(st, p).by_day
        return [(day_date(n), a / s) for n, (s, a) in sorted(by_day.items()) if s]

    return _reading(store, period, compare, lambda st, p: _activation(st, p).rate, series)


@register(
    KpiDefinition(
        "product.nps", "NPS", "score", surveys.NPS_DEFINITION, SECTION, Target(">", 40), order=13
    )
)
def nps_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    if not surveys.has_responses(store):
        return KpiReading.missing(NO_SURVEYS)
    series = [
        (row["bucket"], float(row["nps"]))
        for row in surveys.trend(store, period, "day")
        if row["nps"] is not None
    ]
    return KpiReading(
        value=surveys.survey_summary(store, period)["nps"],
        previous=surveys.survey_summary(store, period.previous())["nps"] if compare else None,
        series=series,
    )
