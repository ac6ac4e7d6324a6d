"""Sync KPIs (Overview tiles and `/metrics`), computed in SQL from job history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select

from engine.kpi.registry import KpiDefinition, KpiReading, Target, register
from engine.observability import REGISTRY
from engine.periods import Period
from engine.store import Store, get_store
from engine.sync.models import JOB_ENDED, SyncJob, SyncTarget

NO_TARGETS = (
    "no sync targets yet: add one with `hub target add NAME --github OWNER/REPO:PATH "
    "--drive FILE_ID`"
)
NO_JOBS = "no sync ended in this period: run one with `hub sync run NAME`"
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def _duration_ms(job: Any) -> Any:
    """Engine time of a job: fetch + merge + write (network included in fetch/write)."""
    return (
        func.coalesce(job.fetch_ms, 0)
        + func.coalesce(job.merge_ms, 0)
        + func.coalesce(job.write_ms, 0)
    )


def success_rate(store: Store, start: datetime, end: datetime) -> tuple[float | None, int]:
    """Succeeded ÷ ended jobs (conflict, failed and cancelled count against it)."""
    with store.session() as s:
        ended, ok = s.execute(
            select(
                func.count(),
                func.sum(case((SyncJob.status == "succeeded", 1), else_=0)),
            ).where(
                SyncJob.status.in_(JOB_ENDED),
                SyncJob.finished_at >= start,
                SyncJob.finished_at < end,
            )
        ).one()
    return (ok / ended if ended else None), ended


def daily_success(store: Store, period: Period) -> list[tuple[date, float]]:
    with store.session() as s:
        rows = s.execute(
            select(SyncJob.finished_at, SyncJob.status)
            .where(
                SyncJob.status.in_(JOB_ENDED),
                SyncJob.finished_at >= period.start_utc,
                SyncJob.finished_at < period.end_utc,
            )
            .order_by(SyncJob.finished_at)
        ).all()
    days: dict[date, list[int]] = {}
    for finished, status in rows:
        day = finished.astimezone(period.tz).date()
        bucket = days.setdefault(day, [0, 0])
        bucket[0] += status == "succeeded"
        bucket[1] += 1
    return [(d, ok / n) for d, (ok, n) in sorted(days.items())]


def first_sync_success(store: Store) -> tuple[float | None, int]:
    """Share of targets whose first ended job succeeded (plan target ≥ 98 %)."""
    with store.session() as s:
        first = (
            select(SyncJob.target_id, func.min(SyncJob.id).label("job_id"))
            .where(SyncJob.status.in_(JOB_ENDED))
            .group_by(SyncJob.target_id)
            .subquery()
        )
        total, ok = s.execute(
            select(func.count(), func.sum(case((SyncJob.status == "succeeded", 1), else_=0)))
            .select_from(first)
            .join(SyncJob, SyncJob.id == first.c.job_id)
        ).one()
    return (ok / total if total else None), total


def latency_percentiles(
    store: Store, start: datetime, end: datetime, shares: tuple[float, ...] = (0.5, 0.95)
) -> list[float | None]:
    """Nearest-rank percentiles of job engine time: smallest v with ≥ share of jobs ≤ v."""
    with store.session() as s:
        n = s.scalar(
            select(func.count()).where(
                SyncJob.status.in_(JOB_ENDED),
                SyncJob.finished_at >= start,
                SyncJob.finished_at < end,
                SyncJob.fetch_ms.is_not(None),
            )
        )
        out: list[float | None] = []
        for share in shares:
            if not n:
                out.append(None)
                continue
            rank = max(1, -(-int(share * n * 1_000_000) // 1_000_000))  # ceil(share × n)
            out.append(
                s.scalar(
                    select(_duration_ms(SyncJob))
                    .where(
                        SyncJob.status.in_(JOB_ENDED),
                        SyncJob.finished_at >= start,
                        SyncJob.finished_at < end,
                        SyncJob.fetch_ms.is_not(None),
                    )
                    .order_by(_duration_ms(SyncJob))
                    .offset(rank - 1)
                    .limit(1)
                )
            )
    return out


def _has_targets(store: Store) -> bool:
    with store.session() as s:
        return bool(s.scalar(select(func.count()).select_from(SyncTarget)))


@register(
    KpiDefinition(
        "sync_success_rate",
        "Sync success rate",
        "ratio",
        "Sync jobs that ended succeeded ÷ all sync jobs that ended in the period (conflict, "
        "failed and cancelled count as not succeeded). Retries inside a job do not count twice.",
        "Sync",
        Target(">=", 0.98),
        order=10,
    )
)
def _success_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    if not _has_targets(store):
        return KpiReading.missing(NO_TARGETS)
    value, n = success_rate(store, period.start_utc, period.end_utc)
    if not n:
        return KpiReading.missing(NO_JOBS)
    prev = period.previous()
    previous = success_rate(store, prev.start_utc, prev.end_utc)[0] if compare else None
    return KpiReading(value, previous, daily_success(store, period))


@register(
    KpiDefinition(
        "first_sync_success_rate",
        "First-sync success rate",
        "ratio",
        "Share of sync targets whose first ended job succeeded (all time). Plan target ≥ 98 %.",
        "Sync",
        Target(">=", 0.98),
        order=20,
    )
)
def _first_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    if not _has_targets(store):
        return KpiReading.missing(NO_TARGETS)
    value, n = first_sync_success(store)
    if not n:
        return KpiReading.missing(NO_JOBS)
    return KpiReading(value)


def _latency_tile(share: float) -> Any:
    def provider(store: Store, period: Period, compare: bool) -> KpiReading:
        if not _has_targets(store):
            return KpiReading.missing(NO_TARGETS)
        (value,) = latency_percentiles(store, period.start_utc, period.end_utc, (share,))
        if value is None:
            return KpiReading.missing(NO_JOBS)
        previous = None
        if compare:
            prev = period.previous()
            (previous,) = latency_percentiles(store, prev.start_utc, prev.end_utc, (share,))
        return KpiReading(value, previous)

    return provider


for _share, _order, _target in ((0.5, 30, None), (0.95, 40, Target("<", 50))):
    _pct = int(_share * 100)
    register(
        KpiDefinition(
            f"sync_latency_p{_pct}",
            f"Sync latency p{_pct}",
            "ms",
            f"p{_pct} of sync job time (fetch + merge + write, ms) over jobs ended in the period: "
            f"the smallest value v such that at least {_pct} % of jobs took ≤ v.",
            "Sync",
            _target,
            higher_is_better=False,
            order=_order,
        )
    )(_latency_tile(_share))


class SyncCollector(Collector):
    """`sync_operations_total{target,status}` and `sync_duration_seconds`, read from the
    store at scrape time so every API process reports the same, whichever worker ran a job."""

    def __init__(self, store_fn: Any = get_store) -> None:
        self.store_fn = store_fn

    def collect(self) -> Any:
        try:
            store = self.store_fn()
            with store.session() as s:
                rows = s.execute(
                    select(SyncTarget.name, SyncJob.status, func.count())
                    .join(SyncTarget, SyncTarget.id == SyncJob.target_id)
                    .where(SyncJob.status.in_(JOB_ENDED))
                    .group_by(SyncTarget.name, SyncJob.status)
                ).all()
                bucket_cols = [
                    func.sum(case((_duration_ms(SyncJob) <= b * 1000, 1), else_=0))
                    for b in DURATION_BUCKETS
                ]
                hist = s.execute(
                    select(func.count(), func.sum(_duration_ms(SyncJob)), *bucket_cols).where(
                        SyncJob.status.in_(JOB_ENDED), SyncJob.fetch_ms.is_not(None)
                    )
                ).one()
        except Exception:  # no schema yet or database down: /readyz says why
            return
        ops = CounterMetricFamily(
            "sync_operations", "Sync jobs ended, by target and status.", labels=["target", "status"]
        )
        for name, status, count in rows:
            ops.add_metric([name, status], count)
        yield ops
        count, total_ms, *buckets = hist
        h = HistogramMetricFamily("sync_duration_seconds", "Engine time per ended sync job.")
        h.add_metric(
            [],
            [(str(b), int(v or 0)) for b, v in zip(DURATION_BUCKETS, buckets, strict=True)]
            + [("+Inf", int(count or 0))],
            (total_ms or 0) / 1000,
        )
        yield h


if not getattr(REGISTRY, "_hub_sync_collector", False):
    REGISTRY.register(SyncCollector())
    REGISTRY._hub_sync_collector = True  # type: ignore[attr-defined]
