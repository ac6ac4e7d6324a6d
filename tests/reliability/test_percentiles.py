"""Latency percentiles from merged histograms agree with numpy to within 1 %."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from engine.reliability.histogram import ALPHA, bin_of, bin_value, percentiles
from engine.reliability.ingest import import_request_records
from engine.reliability.kpis import request_stats
from engine.store import Store
from tests.actors import ADMIN
from tests.reliability.helpers import request

SHARES = (0.5, 0.95, 0.99)


def _exact(values: list[float], q: float) -> float:
    """The definition: smallest v such that at least q of the values are ≤ v."""
    return float(np.percentile(values, q * 100, method="inverted_cdf"))


@pytest.mark.parametrize("seed", range(5))
def test_merged_histograms_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.concatenate(
        [rng.lognormal(3.5, 0.8, 20_000), rng.exponential(400, 500), rng.uniform(0, 2, 300)]
    ).round(3)
    # Split into "minutes", histogram each, merge: the result must not depend on the split.
    parts = np.array_split(rng.permutation(values), 37)
    bins = [(bin_of(float(v)), 1) for part in parts for v in part]
    for q, got in zip(SHARES, percentiles(bins, SHARES), strict=True):
        want = _exact(list(values), q)
        assert got == pytest.approx(want, rel=ALPHA, abs=0.001)


def test_every_bin_value_is_within_one_percent() -> None:
    for v in (0.0011, 0.5, 1, 7.3, 99.99, 100, 1234.5, 86_400_000):
        assert bin_value(bin_of(v)) == pytest.approx(v, rel=ALPHA)
    assert bin_value(bin_of(0)) == 0.0
    assert percentiles([], SHARES) == [None, None, None]


def test_window_percentiles_over_the_store_use_rollups_and_raw_edges(store: Store) -> None:
    rng = random.Random(7)
    start = datetime(2026, 1, 10, tzinfo=UTC)
    rows = []
    for _ in range(6000):
        when = start + timedelta(seconds=rng.uniform(0, 3 * 86400))
        duration = round(rng.lognormvariate(3.2, 0.9), 2)
        status = 500 if rng.random() < 0.01 else 200
        rows.append(request(when, status, duration))
    import_request_records(store, ADMIN, rows)
    windows = [
        (start, start + timedelta(days=3)),  # whole UTC days: day grain
        (start + timedelta(hours=5), start + timedelta(days=2, hours=7)),  # hours + days
        (start + timedelta(hours=5, minutes=17), start + timedelta(days=1, minutes=3)),  # raw
        (start + timedelta(minutes=10), start + timedelta(minutes=50)),  # raw only
    ]
    for a, b in windows:
        inside = [r for r in rows if a <= r.ts < b]
        stats = request_stats(store, a, b)
        assert stats.requests == len(inside)
        assert stats.errors == sum(r.status >= 500 for r in inside)
        durations = [r.duration_ms for r in inside]
        for q, got in zip(SHARES, (stats.p50, stats.p95, stats.p99), strict=True):
            assert got == pytest.approx(_exact(durations, q), rel=ALPHA)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_daily_series_follow_reporting_days_in_any_timezone(store: Store, zone: str) -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from engine.periods import Period
    from engine.reliability.kpis import reliability_daily

    rng = random.Random(3)
    start = datetime(2026, 1, 9, tzinfo=UTC)
    rows = [
        request(
            start + timedelta(seconds=rng.uniform(0, 4 * 86400)),
            503 if rng.random() < 0.05 else 200,
            round(rng.lognormvariate(3, 0.7), 2),
        )
        for _ in range(3000)
    ]
    import_request_records(store, ADMIN, rows)
    tz = ZoneInfo(zone)
    period = Period.from_days(date(2026, 1, 10), date(2026, 1, 12), tz)
    days = reliability_daily(store, period)
    assert [d.day for d in days] == [date(2026, 1, 10), date(2026, 1, 11), date(2026, 1, 12)]
    for d in days:
        inside = [r for r in rows if r.ts.astimezone(tz).date() == d.day]
        assert (d.requests, d.errors) == (len(inside), sum(r.status >= 500 for r in inside))
        assert d.p95 == pytest.approx(_exact([r.duration_ms for r in inside], 0.95), rel=ALPHA)
        assert d.uptime is None  # no probes: no uptime, not 0
