"""Hand-computed uptime over the store: gaps, maintenance and outages across period edges."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.periods import Period
from engine.reliability.ingest import import_probe_records, rebuild_segments, record_probe_results
from engine.reliability.kpis import SUMMARY_KEYS, reliability_summary, uptime_report
from engine.reliability.models import ProbeSegment
from engine.reliability.probes import add_maintenance, add_probe
from engine.store import Store
from tests.actors import ADMIN
from tests.reliability.helpers import at, check

UTC_TZ = ZoneInfo("UTC")
DAY = Period.from_days(date(2026, 1, 10), date(2026, 1, 10), UTC_TZ)
H = 3600.0


def _load_two_targets(store: Store) -> None:
    """A: hourly, with a 2-hour outage, two no-data stretches and 1 h of maintenance.
    B: hourly and contiguous, down 02:00–04:00. Both critical."""
    add_probe(store, ADMIN, "a", "https://a.example/", interval="1h", critical=True)
    add_probe(store, ADMIN, "b", "https://b.example/", interval="1h", critical=True)
    a = [
        ("2026-01-09 23:30", True),  # covers to 00:30: 30 min inside the period
        ("2026-01-10 00:30", False),
        ("2026-01-10 01:00", False),  # next check 4 h later: covers 2 h (cap), then no data
        ("2026-01-10 05:00", True),
        ("2026-01-10 06:00", True),  # next 17.5 h later: 2 h, then no data until 23:30
        ("2026-01-10 23:30", True),  # covers to 00:30 next day: 30 min inside
        ("2026-01-11 00:30", True),
    ]
    b = [
        (f"2026-01-{d:02d} {h:02d}:00", h not in (2, 3) or d != 10)
        for d in (9, 10, 11)
        for h in range(24)
    ]
    records = [check("a", w, ok) for w, ok in a] + [check("b", w, ok) for w, ok in b]
    import_probe_records(store, ADMIN, records)
    add_maintenance(store, ADMIN, at("2026-01-10 05:30"), at("2026-01-10 06:30"), target="a")


def test_hand_computed_target_and_system_uptime(store: Store) -> None:
    _load_two_targets(store)
    s = reliability_summary(store, DAY)
    assert set(s) == set(SUMMARY_KEYS)
    # A: up 4 h − 1 h maintenance = 3 h; down 2.5 h; no data 17.5 h.
    assert s["uptime_by_target"]["a"] == pytest.approx(3 / 5.5)
    assert s["uptime_by_target"]["b"] == pytest.approx(22 / 24)
    # System: down 00:30–04:00 (A down, then B down while A has no data) = 3.5 h;
    # no data 04:00–05:00 and 08:00–23:30 = 16.5 h; up 4 h (A in maintenance is neutral).
    assert s["downtime_seconds"] == pytest.approx(3.5 * H)
    assert s["no_data_seconds"] == pytest.approx(16.5 * H)
    assert s["uptime"] == pytest.approx(4 / 7.5)
    assert s["outages"] == 1
    assert s["longest_outage_seconds"] == pytest.approx(3.5 * H)
    assert s["error_budget_remaining"] == pytest.approx(1 - 3.5 * H / (0.001 * 7.5 * H))
    # No request logs: counts are 0, rates and percentiles undefined.
    assert s["requests"] == 0
    assert s["error_rate"] is None and s["latency_p95_ms"] is None
    assert s["probe_latency_p95_ms"] == pytest.approx(50.0, rel=0.01)


def test_outages_spanning_period_edges_are_clipped(store: Store) -> None:
    checks = [
        (f"2026-01-{d:02d} {h:02d}:00", (d, h) not in {(9, 23), (10, 0), (10, 23), (11, 0)})
        for d in (9, 10, 11)
        for h in range(24)
    ]
    add_probe(store, ADMIN, "c", "https://c.example/", interval="1h")
    import_probe_records(store, ADMIN, [check("c", w, ok) for w, ok in checks])
    s = reliability_summary(store, DAY)
    # Down 23:00–01:00 across the start and 23:00–01:00 across the end: 1 h inside each.
    assert s["outages"] == 2
    assert s["longest_outage_seconds"] == pytest.approx(H)
    assert s["downtime_seconds"] == pytest.approx(2 * H)
    assert s["uptime"] == pytest.approx(22 / 24)
    both = Period.from_days(date(2026, 1, 9), date(2026, 1, 11), UTC_TZ)
    whole = reliability_summary(store, both)
    assert whole["outages"] == 2
    assert whole["longest_outage_seconds"] == pytest.approx(2 * H)


def test_all_target_maintenance_and_non_critical_targets(store: Store) -> None:
    add_probe(store, ADMIN, "core", "https://core.example/", interval="1h", critical=True)
    add_probe(store, ADMIN, "docs", "https://docs.example/", interval="1h")
    hours = [f"2026-01-10 {h:02d}:00" for h in range(24)] + ["2026-01-11 00:00"]
    records = [check("core", w, not w.endswith(("10 10:00", "10 11:00"))) for w in hours]
    records += [check("docs", w, False) for w in hours]  # docs is down all day: not critical
    import_probe_records(store, ADMIN, records)
    add_maintenance(store, ADMIN, at("2026-01-10 10:00"), at("2026-01-10 12:00"))  # --all
    s = reliability_summary(store, DAY)
    assert s["uptime"] == 1.0  # the only down time of `core` is inside maintenance
    assert s["downtime_seconds"] == 0
    assert s["uptime_by_target"]["docs"] == 0.0


def test_imported_history_without_configuration_uses_the_median_gap(store: Store) -> None:
    # Gaps of 10 min, except one of 45 min: median 10 min → cap 20 min.
    times = ["00:00", "00:10", "00:20", "01:05", "01:15", "01:25"]
    import_probe_records(store, ADMIN, [check("legacy", f"2026-01-10 {t}", True) for t in times])
    report = uptime_report(store, DAY.start, DAY.end)
    spans = [(x.start, x.end, x.state) for x in report.targets["legacy"]]
    assert spans[:3] == [
        (at("2026-01-10 00:00"), at("2026-01-10 00:40"), "up"),  # 00:20 + 20 min cap
        (at("2026-01-10 00:40"), at("2026-01-10 01:05"), "no_data"),
        (at("2026-01-10 01:05"), at("2026-01-10 01:35"), "up"),  # latest: one interval
    ]


def test_incremental_writes_match_a_full_rebuild(store: Store) -> None:
    add_probe(store, ADMIN, "live", "https://live.example/", interval="60s", critical=True)
    base = at("2026-01-10 00:00")
    pattern = [True] * 5 + [False] * 3 + [True] * 4
    for i, ok in enumerate(pattern * 3):
        gap = 400 if i == 17 else 0  # one late check: a stretch of no data
        when = base + timedelta(seconds=60 * i + gap)
        with store.session() as s:
            record_probe_results(
                s, [check("live", "2026-01-10 00:00", ok)._replace(checked_at=when)]
            )

    def segments() -> list[tuple[object, object, bool]]:
        with store.session() as s:
            rows = s.scalars(select(ProbeSegment).order_by(ProbeSegment.starts_at))
            return [(r.starts_at, r.ends_at, r.ok) for r in rows]

    incremental = segments()
    with store.session() as s:
        rebuild_segments(s, "live")
    assert segments() == incremental
    assert len(incremental) >= 6


def test_the_future_is_not_measured(store: Store) -> None:
    add_probe(store, ADMIN, "a", "https://a.example/", interval="1h")
    import_probe_records(store, ADMIN, [check("a", "2026-01-10 00:00", True)])
    s = reliability_summary(store, DAY, now=at("2026-01-10 12:00"))
    assert s["uptime"] == 1.0
    assert s["no_data_seconds"] == pytest.approx(11 * H)  # 01:00–12:00, not to midnight


def test_no_probes_at_all_is_null_not_zero(store: Store) -> None:
    s = reliability_summary(store, DAY)
    assert s["uptime"] is None and s["downtime_seconds"] is None and s["outages"] is None
    assert s["uptime_by_target"] == {}
    assert s["error_budget_remaining"] is None
