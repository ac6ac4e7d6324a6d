"""The demo kind: deterministic, through the importers, and removable exactly."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.demo import DemoSpec
from engine.periods import Period
from engine.reliability.demo import ReliabilityDemo
from engine.reliability.ingest import import_probe_records, import_request_records
from engine.reliability.kpis import reliability_summary, request_stats
from engine.reliability.models import (
    MaintenanceWindow,
    MonitoringGap,
    Probe,
    ProbeResult,
    ProbeSegment,
    RequestLog,
    RequestRollup,
)
from engine.store import Store
from tests.actors import ADMIN
from tests.reliability.helpers import at, check, request

TODAY = date(2026, 1, 20)
SPEC = DemoSpec(
    scale="S",
    seed=7,
    today=TODAY,
    days=12,
    launch_day=date(2026, 1, 14),
    outages=(
        (at("2026-01-12 10:17"), timedelta(minutes=42)),
        (at("2026-01-17 03:05"), timedelta(minutes=14)),
    ),
)
PERIOD = Period.from_days(SPEC.first_day, TODAY, ZoneInfo("UTC"))


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_demo_tells_the_story_and_clears_exactly(store: Store) -> None:
    rows = ReliabilityDemo().load(store, SPEC, lambda *_: None)
    assert rows == _count(store, ProbeResult) + _count(store, RequestLog)
    assert _count(store, ProbeResult) > 4 * 12 * 1400
    summary = reliability_summary(store, PERIOD)
    assert summary["outages"] == 2
    assert summary["longest_outage_seconds"] == pytest.approx(42 * 60, abs=5)
    # 25 missed checks (14:05–14:29); the 14:04 check stands for 2 min (cap): 14:06–14:30.
    assert summary["no_data_seconds"] == pytest.approx(24 * 60, abs=30)
    assert 0.99 < summary["uptime"] < 1
    assert 0 < summary["error_rate"] < 0.05
    assert 20 < summary["latency_p95_ms"] < 250
    assert _count(store, MaintenanceWindow) == 1 and _count(store, MonitoringGap) == 1
    with store.session() as s:
        assert all(p.paused for p in s.scalars(select(Probe)))  # never probed for real

    # Real data next to the demo survives `clear`, rollups included.
    import_probe_records(store, ADMIN, [check("real", "2026-01-19 10:00", True)])
    import_request_records(store, ADMIN, [request(at("2026-01-19 10:00"), 500, 42.0)])
    from engine.demo import clear

    clear(store, ADMIN)
    assert _count(store, ProbeResult) == 1 and _count(store, RequestLog) == 1
    assert _count(store, Probe) == 0 and _count(store, MaintenanceWindow) == 0
    assert _count(store, MonitoringGap) == 0
    with store.session() as s:
        assert set(s.scalars(select(ProbeSegment.target))) == {"real"}
        assert s.scalar(select(func.sum(RequestRollup.requests))) == 2  # hour + day grain
    stats = request_stats(store, PERIOD.start, PERIOD.end)
    assert (stats.requests, stats.errors) == (1, 1)
    assert stats.p50 == pytest.approx(42.0, rel=0.01)


def test_demo_is_deterministic() -> None:
    from engine.reliability.demo import _targets, _window, probe_records, request_records

    start, end = _window(SPEC)
    first = list(request_records(SPEC, 2000, start, end))
    assert first == list(request_records(SPEC, 2000, start, end))
    probes = _targets("S")
    a = [r for _, r in zip(range(5000), probe_records(SPEC, probes, start, end), strict=False)]
    b = [r for _, r in zip(range(5000), probe_records(SPEC, probes, start, end), strict=False)]
    assert a == b
