"""Reliability KPIs over the store: uptime, outages, error rate, latency percentiles.

Everything is SQL over segments and rollups plus interval arithmetic on the few rows that
come back; raw tables are only read for sub-hour (requests) or sub-day (probe latency)
edges of a window. `reliability_summary` is the stable JSON of
`hub kpi reliability --json`; Overview tiles are registered at the bottom.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session

from engine.kpi.registry import KpiDefinition, KpiReading, Target, register
from engine.periods import Period
from engine.reliability.histogram import percentiles
from engine.reliability.ingest import utc_ceil, utc_floor
from engine.reliability.models import (
    MaintenanceWindow,
    MonitoringGap,
    Probe,
    ProbeSegment,
    ProbeSeries,
    RequestLog,
)
from engine.reliability.sql import time_param, time_value
from engine.reliability.timeline import (
    DOWN,
    MAINTENANCE,
    NO_DATA,
    UP,
    Segment,
    Span,
    merge_intervals,
    outages,
    seconds_by_state,
    system_timeline,
    target_timeline,
    uptime,
)
from engine.store import Store

DEFAULT_AVAILABILITY_OBJECTIVE = 0.999
SUMMARY_KEYS = (
    "uptime",
    "uptime_by_target",
    "downtime_seconds",
    "no_data_seconds",
    "outages",
    "longest_outage_seconds",
    "error_rate",
    "requests",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "probe_latency_p95_ms",
    "error_budget_remaining",
)

UPTIME_DEFINITION = (
    "Time-weighted uptime of the system over the critical probe targets (all targets when "
    "none is critical): each check stands for the time to the target's next check, capped "
    "at twice the target's interval (the median gap between checks for imported history "
    "with no configured probe); the latest check stands for one interval. A moment is down "
    "if any critical target is down, no data if none is down but one has no data. "
    "Uptime = up time ÷ (up + down time); time with no data and declared maintenance "
    "windows are left out."
)
ERROR_RATE_DEFINITION = (
    "Requests with status ≥ 500 ÷ all requests of the product's API in the period "
    "(request logs from `hub import requests` and POST /v1/requests)."
)
LATENCY_DEFINITION = (
    "API latency p95: the smallest duration v such that at least 95 % of the period's "
    "requests took ≤ v, computed from merged fine histograms of duration_ms (≤ 1 % "
    "relative error), never by averaging percentiles of minutes, hours or hosts."
)
NO_PROBES = (
    "no probes yet: add one with `hub probe add NAME --url URL` or import history with "
    "`hub import probes FILE.csv`"
)
NO_REQUESTS = (
    "no request logs yet: import them with `hub import requests FILE` or send them to "
    "POST /v1/requests"
)


# ---------------------------------------------------------------- uptime


@dataclass
class UptimeReport:
    """Timelines of every target and of the system over [start, end) (end clipped to now)."""

    start: datetime
    end: datetime
    targets: dict[str, list[Span]]
    system_targets: list[str]
    system: list[Span]
    critical: list[str]
    maintenance: list[MaintenanceWindow] = field(default_factory=list)
    gaps: list[MonitoringGap] = field(default_factory=list)
    any_probes: bool = False

    def seconds(self) -> dict[str, float]:
        return dict(seconds_by_state(self.system, self.start, self.end))

    def target_uptime(self) -> dict[str, float | None]:
        return {
            name: uptime(seconds_by_state(spans, self.start, self.end))
            for name, spans in sorted(self.targets.items())
        }

    def outages(self) -> list[Span]:
        return outages(self.system)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def uptime_report(
    store: Store, start: datetime, end: datetime, *, now: datetime | None = None
) -> UptimeReport:
    """Per-target and system timelines; the future (after `now`) is not measured."""
    start, end = _utc(start), _utc(min(end, now or datetime.now(UTC)))
    end = max(end, start)
    with store.session() as s:
        probes = {p.name: p.critical for p in s.scalars(select(Probe))}
        any_probes = bool(probes) or bool(
            s.scalar(select(exists().where(ProbeSeries.target != "")))
        )
        segments: dict[str, list[Segment]] = defaultdict(list)
        if end > start:
            for target, a, b, ok in s.execute(
                select(
                    ProbeSegment.target,
                    ProbeSegment.starts_at,
                    ProbeSegment.ends_at,
                    ProbeSegment.ok,
                ).where(ProbeSegment.starts_at < end, ProbeSegment.ends_at > start)
            ):
                segments[target].append(Segment(a, b, ok))
        windows = list(
            s.scalars(
                select(MaintenanceWindow).where(
                    MaintenanceWindow.starts_at < end, MaintenanceWindow.ends_at > start
                )
            )
        )
        gaps = list(
            s.scalars(
                select(MonitoringGap)
                .where(MonitoringGap.starts_at < end, MonitoringGap.ends_at > start)
                .order_by(MonitoringGap.starts_at)
            )
        )
    names = sorted(probes.keys() | segments.keys())
    timelines = {}
    for name in names:
        maint = [(w.starts_at, w.ends_at) for w in windows if w.target in (None, name)]
        timelines[name] = target_timeline(segments.get(name, []), maint, start, end)
    critical = sorted(n for n, c in probes.items() if c)
    system_targets = critical or sorted(segments)
    system = system_timeline([timelines[n] for n in system_targets], start, end)
    if not system_targets and end > start:
        # Nothing measured: all of it is no data, except declared all-target maintenance.
        everyone = [(w.starts_at, w.ends_at) for w in windows if w.target is None]
        system = target_timeline([], everyone, start, end)
    return UptimeReport(
        start, end, timelines, system_targets, system, critical, windows, gaps, any_probes
    )


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class RequestStats:
    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


def _pieces(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """Split [start, end) into raw sub-hour edges, hour-grain and UTC-day-grain pieces."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    hs, he = utc_ceil(start, "h"), utc_floor(end, "h")
    if hs >= he:
        return [("raw", start, end)]
    out = [("raw", start, hs), ("raw", he, end)]
    ds, de = utc_ceil(hs, "d"), utc_floor(he, "d")
    if ds < de:
        out += [("h", hs, ds), ("h", de, he), ("d", ds, de)]
    else:
        out.append(("h", hs, he))
    return [(k, a, b) for k, a, b in out if b > a]


def _rollup_counts(s: Session, pieces: Iterable[tuple[str, datetime, datetime]]) -> tuple[int, int]:
    requests = errors = 0
    for kind, a, b in pieces:
        if kind == "raw":
            row = s.execute(
                text(
                    "SELECT count(*), sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) "
                    "FROM request_logs WHERE ts >= :a AND ts < :b"
                ).bindparams(a=_naive(s, a), b=_naive(s, b))
            ).one()
        else:
            row = s.execute(
                text(
                    "SELECT sum(requests), sum(errors) FROM request_rollups "
                    "WHERE grain = :g AND bucket_start >= :a AND bucket_start < :b"
                ).bindparams(g=kind, a=_naive(s, a), b=_naive(s, b))
            ).one()
        requests += int(row[0] or 0)
        errors += int(row[1] or 0)
    return requests, errors


def _rollup_bins(
    s: Session, pieces: Iterable[tuple[str, datetime, datetime]]
) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for kind, a, b in pieces:
        if kind == "raw":
            sql = (
                "SELECT latency_bin, count(*) FROM request_logs WHERE ts >= :a AND ts < :b "
                "GROUP BY latency_bin"
            )
            params: dict[str, Any] = {"a": _naive(s, a), "b": _naive(s, b)}
        else:
            sql = (
                "SELECT bin, sum(count) FROM request_latency_bins "
                "WHERE grain = :g AND bucket_start >= :a AND bucket_start < :b GROUP BY bin"
            )
            params = {"g": kind, "a": _naive(s, a), "b": _naive(s, b)}
        out.extend((int(k), int(n)) for k, n in s.execute(text(sql), params))
    return out


def _naive(s: Session, value: datetime) -> Any:
    """Bind value for textual SQL, in the form `UtcDateTime` stores."""
    return time_param(s)(value)


def request_stats(store: Store, start: datetime, end: datetime) -> RequestStats:
    """Requests, errors and p50/p95/p99 of [start, end) from merged histograms."""
    pieces = _pieces(start, end)
    with store.session() as s:
        requests, errors = _rollup_counts(s, pieces)
        bins = _rollup_bins(s, pieces) if requests else []
    p50, p95, p99 = percentiles(bins, (0.50, 0.95, 0.99))
    return RequestStats(requests, errors, p50, p95, p99)


def has_requests(store: Store) -> bool:
    with store.session() as s:
        return bool(s.scalar(select(exists().where(RequestLog.id.is_not(None)))))


# ---------------------------------------------------------------- probe latency


def probe_latency_p95(store: Store, start: datetime, end: datetime) -> float | None:
    """p95 latency of successful checks of the critical targets (all when none critical)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return None
    with store.session() as s:
        targets = list(s.scalars(select(Probe.name).where(Probe.critical.is_(True))))
        # Naming every target (not "any target") lets the (target, checked_at) index serve.
        targets = targets or list(s.scalars(select(ProbeSeries.target)))
        if not targets:
            return None
        ds, de = utc_ceil(start, "d"), utc_floor(end, "d")
        raw = [(start, end)] if ds >= de else [(start, ds), (de, end)]
        names = ", ".join(f":t{i}" for i in range(len(targets)))
        target_sql = f" AND target IN ({names})"
        params: dict[str, Any] = {f"t{i}": n for i, n in enumerate(targets)}
        bins: list[tuple[int, int]] = []
        for a, b in raw:
            if b <= a:
                continue
            bins += s.execute(
                text(
                    "SELECT latency_bin, count(*) FROM probe_results WHERE checked_at >= :a "
                    "AND checked_at < :b AND ok AND latency_bin IS NOT NULL"
                    f"{target_sql} GROUP BY latency_bin"
                ),
                params | {"a": _naive(s, a), "b": _naive(s, b)},
            ).all()
        if ds < de:
            bins += s.execute(
                text(
                    "SELECT bin, sum(count) FROM probe_latency_bins WHERE day >= :a "
                    f"AND day < :b{target_sql} GROUP BY bin"
                ),
                params | {"a": _naive(s, ds), "b": _naive(s, de)},
            ).all()
    return percentiles(bins, (0.95,))[0]


# ---------------------------------------------------------------- summary


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def reliability_summary(
    store: Store,
    period: Period,
    *,
    objective: float = DEFAULT_AVAILABILITY_OBJECTIVE,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The JSON of `hub kpi reliability --from A --to B --json` (null where undefined)."""
    report = uptime_report(store, period.start, period.end, now=now)
    stats = request_stats(store, period.start, period.end)
    seconds = report.seconds()
    measured = seconds[UP] + seconds[DOWN]
    found = report.outages()
    has_targets = bool(report.targets)
    budget = (1 - objective) * measured
    return {
        "uptime": uptime(seconds_by_state(report.system, report.start, report.end)),
        "uptime_by_target": report.target_uptime(),
        "downtime_seconds": _round(seconds[DOWN]) if has_targets else None,
        "no_data_seconds": _round(seconds[NO_DATA]),
        "outages": len(found) if has_targets else None,
        "longest_outage_seconds": _round(max((o.seconds for o in found), default=0.0))
        if has_targets
        else None,
        "error_rate": stats.error_rate,
        "requests": stats.requests,
        "latency_p50_ms": _round(stats.p50),
        "latency_p95_ms": _round(stats.p95),
        "latency_p99_ms": _round(stats.p99),
        "probe_latency_p95_ms": _round(probe_latency_p95(store, period.start, period.end)),
        "error_budget_remaining": 1 - seconds[DOWN] / budget if budget > 0 else None,
    }


# ---------------------------------------------------------------- per-day series


@dataclass(frozen=True)
class DayReliability:
    """One reporting day: system uptime and the API's error rate and latency."""

    day: date
    uptime: float | None
    downtime_seconds: float
    no_data_seconds: float
    maintenance_seconds: float
    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


def day_windows(period: Period) -> list[tuple[date, datetime, datetime]]:
    """Each reporting day of the period as a UTC window clipped to the period."""
    out = []
    day = period.first_day
    while day <= period.last_day:
        a = datetime.combine(day, time(), period.tz)
        b = datetime.combine(day + timedelta(days=1), time(), period.tz)
        a, b = max(a, period.start), min(b, period.end)
        if b > a:
            out.append((day, _utc(a), _utc(b)))
        day += timedelta(days=1)
    return out


def _grouped_requests(
    s: Session, grain: str, start: datetime, end: datetime
) -> tuple[dict[datetime, tuple[int, int]], dict[datetime, list[tuple[int, int]]]]:
    params = {"g": grain, "a": _naive(s, start), "b": _naive(s, end)}
    counts: dict[datetime, tuple[int, int]] = {}
    for bucket, n, e in s.execute(
        text(
            "SELECT bucket_start, sum(requests), sum(errors) FROM request_rollups "
            "WHERE grain = :g AND bucket_start >= :a AND bucket_start < :b GROUP BY bucket_start"
        ),
        params,
    ):
        counts[_as_utc(bucket)] = (int(n), int(e))
    bins: dict[datetime, list[tuple[int, int]]] = defaultdict(list)
    for bucket, k, n in s.execute(
        text(
            "SELECT bucket_start, bin, sum(count) FROM request_latency_bins "
            "WHERE grain = :g AND bucket_start >= :a AND bucket_start < :b "
            "GROUP BY bucket_start, bin"
        ),
        params,
    ):
        bins[_as_utc(bucket)].append((int(k), int(n)))
    return counts, bins


def _as_utc(value: datetime | str) -> datetime:
    return time_value(value)


def _daily_requests(
    store: Store, windows: list[tuple[date, datetime, datetime]]
) -> dict[date, RequestStats]:
    """Per-day request stats with one grouped query per grain where days align with it."""
    out: dict[date, RequestStats] = {}
    by_grain: dict[str, list[tuple[date, datetime, datetime]]] = {"d": [], "h": []}
    odd = []
    for w in windows:
        _, a, b = w
        if utc_floor(a, "d") == a and utc_floor(b, "d") == b and b - a == timedelta(days=1):
            by_grain["d"].append(w)
        elif utc_floor(a, "h") == a and utc_floor(b, "h") == b:
            by_grain["h"].append(w)
        else:
            odd.append(w)
    for grain, items in by_grain.items():
        if not items:
            continue
        with store.session() as s:
            counts, bins = _grouped_requests(s, grain, items[0][1], items[-1][2])
        step = timedelta(days=1) if grain == "d" else timedelta(hours=1)
        for day, a, b in items:
            n = e = 0
            merged: list[tuple[int, int]] = []
            t = a
            while t < b:
                c = counts.get(t)
                if c:
                    n, e = n + c[0], e + c[1]
                    merged += bins.get(t, [])
                t += step
            p50, p95, p99 = percentiles(merged, (0.5, 0.95, 0.99))
            out[day] = RequestStats(n, e, p50, p95, p99)
    for day, a, b in odd:
        out[day] = request_stats(store, a, b)
    return out


def reliability_daily(
    store: Store,
    period: Period,
    *,
    now: datetime | None = None,
    report: UptimeReport | None = None,
) -> list[DayReliability]:
    """One row per reporting day, for charts and sparklines."""
    report = report or uptime_report(store, period.start, period.end, now=now)
    windows = day_windows(period)
    requests = _daily_requests(store, windows)
    out = []
    for day, a, b in windows:
        sec = seconds_by_state(report.system, a, b)
        r = requests[day]
        out.append(
            DayReliability(
                day,
                uptime(sec),
                sec[DOWN],
                sec[NO_DATA],
                sec[MAINTENANCE],
                r.requests,
                r.errors,
                r.p50,
                r.p95,
                r.p99,
            )
        )
    return out


def hourly_requests(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per UTC hour: requests, errors, error rate, p50/p95/p99 (short windows' charts)."""
    start, end = utc_floor(start, "h"), utc_ceil(end, "h")
    with store.session() as s:
        counts, bins = _grouped_requests(s, "h", start, end)
    out = []
    for bucket in sorted(counts):
        n, e = counts[bucket]
        p50, p95, p99 = percentiles(bins.get(bucket, []), (0.5, 0.95, 0.99))
        out.append(
            {
                "start": bucket,
                "requests": n,
                "errors": e,
                "error_rate": e / n if n else None,
                "p50_ms": p50,
                "p95_ms": p95,
                "p99_ms": p99,
            }
        )
    return out


def targets_table(
    store: Store, period: Period, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Every target with its configuration, latest state and figures for the period."""
    from engine.reliability.probes import list_probes

    report = uptime_report(store, period.start, period.end, now=now)
    rows = []
    for view in list_probes(store):
        spans = report.targets.get(view.name, [])
        sec = seconds_by_state(spans, report.start, report.end)
        rows.append(
            {
                "target": view.name,
                "url": view.url,
                "critical": view.critical,
                "paused": view.paused,
                "configured": view.configured,
                "interval_seconds": view.interval_seconds,
                "uptime": uptime(sec),
                "downtime_seconds": round(sec[DOWN], 3),
                "no_data_seconds": round(sec[NO_DATA], 3),
                "outages": len(outages(spans)),
                "last_checked_at": view.last_checked_at,
                "last_ok": view.last_ok,
            }
        )
    return rows


def intervals_of(spans: Iterable[Span], state: str) -> list[tuple[datetime, datetime]]:
    return merge_intervals((s.start, s.end) for s in spans if s.state == state)


# ---------------------------------------------------------------- Overview tiles


def _series(days: list[DayReliability], attr: str) -> list[tuple[date, float]]:
    return [(d.day, v) for d in days if (v := getattr(d, attr)) is not None]


@register(
    KpiDefinition(
        key="reliability.uptime",
        label="Uptime",
        unit="ratio",
        definition=UPTIME_DEFINITION,
        section="Reliability",
        target=Target(">", 0.999, amber=0.0005),
        order=10,
    )
)
def uptime_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    report = uptime_report(store, period.start, period.end)
    if not report.any_probes:
        return KpiReading.missing(NO_PROBES)
    value = uptime(seconds_by_state(report.system, report.start, report.end))
    if value is None:
        return KpiReading.missing(
            "no probe results in this period: is the worker running (`hub worker`)?"
        )
    previous = None
    if compare:
        before = period.previous()
        prev = uptime_report(store, before.start, before.end)
        previous = uptime(seconds_by_state(prev.system, prev.start, prev.end))
    days = reliability_daily(store, period, report=report)
    return KpiReading(value, previous, _series(days, "uptime"))


@register(
    KpiDefinition(
        key="reliability.error_rate",
        label="Error rate",
        unit="ratio",
        definition=ERROR_RATE_DEFINITION,
        section="Reliability",
        target=Target("<", 0.001, amber=1.0),
        higher_is_better=False,
        order=20,
    )
)
def error_rate_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    return _request_tile(store, period, compare, "error_rate")


@register(
    KpiDefinition(
        key="reliability.latency_p95",
        label="API p95 latency",
        unit="ms",
        definition=LATENCY_DEFINITION,
        section="Reliability",
        target=Target("<", 100.0, amber=0.5, source="roadmap"),
        higher_is_better=False,
        order=30,
    )
)
def latency_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    return _request_tile(store, period, compare, "p95")


def _request_tile(store: Store, period: Period, compare: bool, field: str) -> KpiReading:
    """A tile reading one field of the request statistics (error rate, p95)."""
    if not has_requests(store):
        return KpiReading.missing(NO_REQUESTS)
    value = getattr(request_stats(store, period.start, period.end), field)
    if value is None:
        return KpiReading.missing("no requests logged in this period")
    previous = None
    if compare:
        before = period.previous()
        previous = getattr(request_stats(store, before.start, before.end), field)
    days = _daily_requests(store, day_windows(period))
    series = [
        (d, getattr(r, field)) for d, r in sorted(days.items()) if getattr(r, field) is not None
    ]
    return KpiReading(value, previous, series)


def status_timeline(store: Store, period: Period, *, now: datetime | None = None) -> dict[str, Any]:
    """Plain data for a status timeline: each target's and the system's state spans,
    the system's outages, monitoring gaps and maintenance windows (instants in UTC)."""
    report = uptime_report(store, period.start, period.end, now=now)

    def spans(items: list[Span]) -> list[dict[str, Any]]:
        return [{"start": x.start, "end": x.end, "state": x.state} for x in items]

    return {
        "start": report.start,
        "end": report.end,
        "critical": report.critical,
        "system_targets": report.system_targets,
        "targets": {name: spans(items) for name, items in sorted(report.targets.items())},
        "system": spans(report.system),
        "outages": [
            {"start": o.start, "end": o.end, "seconds": o.seconds} for o in report.outages()
        ],
        "gaps": [
            {
                "start": max(g.starts_at, report.start),
                "end": min(g.ends_at, report.end),
                "reason": g.reason,
            }
            for g in report.gaps
        ],
        "maintenance": [
            {"start": w.starts_at, "end": w.ends_at, "target": w.target, "reason": w.reason}
            for w in report.maintenance
        ],
    }


def has_probes(store: Store) -> bool:
    with store.session() as s:
        return bool(
            s.scalar(select(exists().where(Probe.id.is_not(None))))
            or s.scalar(select(exists().where(ProbeSeries.target.is_not(None))))
        )
