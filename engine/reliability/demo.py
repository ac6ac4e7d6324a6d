"""Demo reliability data: a year of 1-minute probes and the product API's request logs.

The story matches the other kinds (`DemoSpec`): traffic grows toward the launch spike,
two outages take the critical targets down (and the API answers 503), one maintenance
window is declared, and once the prober itself was not running for a while. Everything is
generated from `spec.rng("reliability")` and imported through the real importers, in
batches marked demo, so `hub demo --clear` removes exactly this.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.access.principal import SYSTEM
from engine.demo import DemoSpec, ProgressFn, register
from engine.ingest import ImportReport, finish_batch, open_batch
from engine.reliability.ingest import (
    ProbeRecord,
    RequestRecord,
    apply_probe_bins,
    apply_request_rollups,
    demo_batch_filter,
    import_probe_records,
    import_request_records,
    rebuild_segments,
)
from engine.reliability.models import (
    MaintenanceWindow,
    MonitoringGap,
    Probe,
    ProbeResult,
    RequestLog,
)
from engine.store import Store


@dataclass(frozen=True)
class DemoTarget:
    name: str
    path: str
    latency_ms: float
    critical: bool
    blip_rate: float  # isolated failed checks (non-critical targets only)


TARGETS = (
    DemoTarget("api", "https://api.bakhmach.example/healthz", 45, True, 0.0),
    DemoTarget("web", "https://app.bakhmach.example/", 110, True, 0.0),
    DemoTarget("auth", "https://auth.bakhmach.example/health", 60, False, 0.0003),
    DemoTarget("docs", "https://docs.bakhmach.example/", 190, False, 0.0006),
)
EXTRA_TARGETS = ("billing", "search", "files", "webhooks", "status", "cdn", "admin", "mail")
SCALE = {"S": (4, 200_000), "M": (8, 1_000_000), "L": (12, 5_000_000)}
ROUTES = (
    # service, route, method, median ms, share of traffic
    ("api", "/v1/projects", "GET", 28.0, 0.30),
    ("api", "/v1/projects", "POST", 55.0, 0.08),
    ("api", "/v1/me", "GET", 12.0, 0.22),
    ("api", "/v1/auth/login", "POST", 70.0, 0.06),
    ("api", "/v1/search", "GET", 48.0, 0.14),
    ("web", "/", "GET", 22.0, 0.12),
    ("web", "/dashboard", "GET", 38.0, 0.08),
)


def _targets(scale: str) -> list[DemoTarget]:
    count, _ = SCALE.get(scale, SCALE["S"])
    out = list(TARGETS)
    for i, name in enumerate(EXTRA_TARGETS[: max(0, count - len(TARGETS))]):
        out.append(
            DemoTarget(name, f"https://{name}.bakhmach.example/health", 70 + 15 * i, False, 0.0004)
        )
    return out[:count]


def _window(spec: DemoSpec, now: datetime | None = None) -> tuple[datetime, datetime]:
    start = datetime.combine(spec.first_day, time(), UTC)
    end = datetime.combine(spec.today + timedelta(days=1), time(), UTC)
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    return start, min(end, max(now, start + timedelta(days=1)))


def _maintenance(spec: DemoSpec) -> tuple[datetime, datetime]:
    """A Sunday-night database upgrade about three months ago: 90 minutes."""
    day = spec.today - timedelta(days=min(90, spec.days // 3))
    day -= timedelta(days=(day.weekday() - 6) % 7)
    start = datetime.combine(day, time(2, 0), UTC)
    return start, start + timedelta(minutes=90)


def _gap(spec: DemoSpec) -> tuple[datetime, datetime]:
    """The worker host was rebooted once: no checks for 25 minutes."""
    start = datetime.combine(spec.today - timedelta(days=min(61, spec.days // 2)), time(14, 5), UTC)
    return start, start + timedelta(minutes=25)


def _inside(t: datetime, windows: list[tuple[datetime, datetime]]) -> bool:
    return any(a <= t < b for a, b in windows)


def _minutes(windows: list[tuple[datetime, datetime]], start: datetime) -> set[int]:
    """Minute indexes (from `start`) that fall inside any of the windows."""
    out: set[int] = set()
    for a, b in windows:
        first = math.floor((a - start).total_seconds() / 60)
        last = math.ceil((b - start).total_seconds() / 60)
        out.update(m for m in range(first, last) if a <= start + timedelta(minutes=m) < b)
    return out


def probe_records(
    spec: DemoSpec, targets: list[DemoTarget], start: datetime, end: datetime
) -> Iterator[ProbeRecord]:
    rng = spec.rng("reliability.probes")
    random = rng.random
    # Latency noise from a fixed table of lognormal draws: same shape, a fraction of the cost.
    noise = [rng.lognormvariate(0, 0.25) for _ in range(4096)]
    outage = _minutes([(a, a + length) for a, length in spec.outages], start)
    ma, mb = _maintenance(spec)
    # The upgrade was done 5 minutes early: checks are up again inside the window, so the
    # maintenance does not spill into a short outage after it.
    maint = _minutes([(ma, mb - timedelta(minutes=5))], start)
    gap = _minutes([_gap(spec)], start)
    minutes = int((end - start).total_seconds() // 60)
    # Latency follows the day: slower in the afternoon peak, faster at night.
    daily = [1 + 0.25 * math.sin((m / 60 - 9) / 24 * 2 * math.pi) for m in range(1440)]
    for target in targets:
        name, base, blips = target.name, target.latency_ms, target.blip_rate
        down_minutes = (outage | maint) if target.critical else maint
        for m in range(minutes):
            if m in gap:
                continue
            at = start + timedelta(seconds=m * 60 + random() * 3)
            if m in down_minutes or (blips and random() < blips):
                if random() < 0.5:
                    yield ProbeRecord(name, at, False, None, None, "timeout after 10s")
                else:
                    latency = round(5 + random() * 35, 1)
                    yield ProbeRecord(name, at, False, 503, latency, "status 503 not in 200-299")
                continue
            latency = round(base * daily[m % 1440] * noise[int(random() * 4096)], 1)
            yield ProbeRecord(name, at, True, 200, latency, None)


def _day_weights(spec: DemoSpec, days: int) -> list[float]:
    weights = []
    for d in range(days):
        day = spec.first_day + timedelta(days=d)
        since_launch = (day - spec.launch_day).days
        growth = 0.15 if since_launch < 0 else 1.0 + since_launch / 60
        spike = 3.0 * math.exp(-abs(since_launch) / 4) if since_launch >= 0 else 0.0
        weekly = 0.65 if day.weekday() >= 5 else 1.0
        weights.append((growth + spike) * weekly)
    return weights


_HOURS = [0.3, 0.2, 0.15, 0.15, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.4, 1.4,
          1.3, 1.4, 1.5, 1.5, 1.4, 1.2, 1.0, 0.9, 0.8, 0.7, 0.5, 0.4]  # fmt: skip


def request_records(
    spec: DemoSpec, total: int, start: datetime, end: datetime
) -> Iterator[RequestRecord]:
    rng = spec.rng("reliability.requests")
    days = max(1, (end - start).days)
    weights = _day_weights(spec, days)
    scale = total / sum(weights)
    outages = [(a, a + length) for a, length in spec.outages]
    maint = [_maintenance(spec)]
    route_weights = [r[4] for r in ROUTES]
    hours = list(range(24))
    for d in range(days):
        day_start = start + timedelta(days=d)
        n = int(weights[d] * scale + rng.random())
        stamps = sorted(
            day_start + timedelta(hours=h, seconds=rng.random() * 3600)
            for h in rng.choices(hours, _HOURS, k=n)
        )
        stamps = [t for t in stamps if t < end]
        for t, route in zip(stamps, rng.choices(ROUTES, route_weights, k=len(stamps)), strict=True):
            service, path, method, median, _ = route
            troubled = _inside(t, outages) or _inside(t, maint)
            if troubled and service == "api" and rng.random() < 0.85:
                yield RequestRecord(t, service, path, method, 503, round(rng.uniform(1, 30), 2))
                continue
            u = rng.random()
            status = 500 if u < 0.0004 else (404 if u < 0.012 else (400 if u < 0.016 else 200))
            if method == "POST" and status == 200:
                status = 201
            duration = round(median * rng.lognormvariate(0, 0.55), 2)
            yield RequestRecord(t, service, path, method, status, duration)


class ReliabilityDemo:
    name = "reliability"

    def load(self, store: Store, spec: DemoSpec, progress: ProgressFn) -> int:
        from engine.reliability.probes import add_maintenance, add_probe, record_gap

        targets = _targets(spec.scale)
        _, per_year = SCALE.get(spec.scale, SCALE["S"])
        total_requests = max(1, per_year * spec.days // 365)
        start, end = _window(spec)
        with store.session() as s:
            batch = open_batch(s, "probes", "demo", "demo probe targets", is_demo=True)
            config_batch = batch.id
            a, b = _gap(spec)
            if a < end:
                record_gap(s, a, b, "prober not running (host reboot)", batch_id=config_batch)
            finish_batch(batch, ImportReport("probes", batch.id))
        for t in targets:
            # Paused: the worker must never probe the demo company's made-up URLs.
            add_probe(
                store,
                SYSTEM,
                t.name,
                t.path,
                interval="60s",
                critical=t.critical,
                paused=True,
                batch_id=config_batch,
            )
        ma, mb = _maintenance(spec)
        if ma < end:
            add_maintenance(
                store, SYSTEM, ma, mb, reason="database upgrade (demo)", batch_id=config_batch
            )
        expected = len(targets) * int((end - start).total_seconds() // 60)
        label = f"Reliability: {len(targets)} probe targets"

        def probe_progress(done: int, _total: int) -> None:
            progress(label, done, expected)

        probes = import_probe_records(
            store,
            SYSTEM,
            probe_records(spec, targets, start, end),
            source="demo",
            label="demo probe history",
            is_demo=True,
            progress=probe_progress,
        )
        progress(label, expected, expected)
        progress("Reliability: request logs", 0, total_requests)
        requests = import_request_records(
            store,
            SYSTEM,
            request_records(spec, total_requests, start, end),
            source="demo",
            label="demo request logs",
            is_demo=True,
        )
        progress("Reliability: request logs", total_requests, total_requests)
        return probes.new + requests.new

    def clear(self, session: Session) -> int:
        demo = demo_batch_filter()
        apply_request_rollups(session, demo, -1)
        removed = (
            session.execute(delete(RequestLog).where(_is_demo(RequestLog.batch_id))).rowcount or 0
        )
        apply_probe_bins(session, demo, -1)
        targets = set(
            session.scalars(
                select(ProbeResult.target).where(_is_demo(ProbeResult.batch_id)).distinct()
            )
        )
        removed += (
            session.execute(delete(ProbeResult).where(_is_demo(ProbeResult.batch_id))).rowcount or 0
        )
        targets |= set(session.scalars(select(Probe.name).where(_is_demo(Probe.batch_id))))
        session.execute(delete(Probe).where(_is_demo(Probe.batch_id)))
        session.execute(delete(MaintenanceWindow).where(_is_demo(MaintenanceWindow.batch_id)))
        session.execute(delete(MonitoringGap).where(_is_demo(MonitoringGap.batch_id)))
        for target in sorted(targets):
            rebuild_segments(session, target)
        return removed


def _is_demo(column):  # type: ignore[no-untyped-def]
    from engine.store.models import ImportBatch

    return column.in_(select(ImportBatch.id).where(ImportBatch.is_demo.is_(True)))


register(ReliabilityDemo())
