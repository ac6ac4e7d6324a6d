from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from starlette.testclient import TestClient

from engine import demo
from engine.api.app import create_app
from engine.kpi.registry import overview
from engine.periods import Period
from engine.store import Store
from engine.store.base import utcnow
from engine.sync.demo import SyncDemo
from engine.sync.kpis import first_sync_success, latency_percentiles, success_rate
from engine.sync.models import ConflictRecord, Snapshot, SyncJob, SyncTarget
from tests.actors import install_key
from tests.sync.harness import component, document, make_world

UTC = ZoneInfo("UTC")


def _sync_tiles(store: Store, period: Period) -> dict[str, object]:
    return {
        t.definition.key: t.reading
        for t in overview(store, period, True)
        if t.definition.section == "Sync"
    }


def test_tiles_are_honest_before_any_target(store: Store) -> None:
    period = Period.from_days(date.today() - timedelta(days=6), date.today(), UTC)
    tiles = _sync_tiles(store, period)
    assert tiles and all(r.no_data and "hub target add" in r.no_data for r in tiles.values())


def test_success_rates_and_latency_from_real_jobs(store: Store) -> None:
    w = make_world(store, github_doc=None, drive_doc=document(component("auth")))
    assert w.sync()["status"] == "succeeded"
    w.edit_drive(document(component("auth", version="x")))  # invalid: this job fails
    assert w.sync()["status"] == "failed"
    start, end = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
    assert success_rate(store, start, end) == (0.5, 2)
    rate_after = 2 / 3
    assert first_sync_success(store) == (1.0, 1)
    w.edit_drive(document(component("auth", version="2.0.0")))
    assert w.sync()["status"] == "succeeded"
    p50, p95 = latency_percentiles(store, start, end)
    with store.session() as s:  # jobs that synced have timings; the failed one has none
        durations = sorted(
            j.fetch_ms + j.merge_ms + j.write_ms
            for j in s.scalars(select(SyncJob).where(SyncJob.fetch_ms.is_not(None)))
        )
    assert len(durations) == 2
    assert p50 == durations[0] and p95 == durations[1]  # nearest rank: ceil(0.5×2)=1, ceil(1.9)=2
    period = Period.from_days(
        date.today() - timedelta(days=1), date.today() + timedelta(days=1), UTC
    )
    tiles = _sync_tiles(store, period)
    assert tiles["sync_success_rate"].value == rate_after
    assert tiles["sync_success_rate"].previous is None  # no jobs the period before: null, not 0


def test_metrics_endpoint_reports_sync_jobs_from_the_store(store: Store) -> None:
    w = make_world(store, github_doc=None, drive_doc=document(component("auth")))
    w.sync()
    install_key(store, "hub_read_metrics", scope="read")
    body = (
        TestClient(create_app(store))
        .get("/metrics", headers={"Authorization": "Bearer hub_read_metrics"})
        .text
    )
    assert 'sync_operations_total{status="succeeded",target="arch"} 1.0' in body
    assert "sync_duration_seconds_count 1.0" in body


def test_demo_history_loads_and_clears_only_itself(store: Store) -> None:
    make_world(store, github_doc=None, drive_doc=document(component("auth")))  # a real target
    spec = demo.make_spec("S", 3, today=date(2026, 11, 1))
    rows = SyncDemo().load(store, spec, lambda *_: None)
    assert rows > 1000
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(SyncTarget)) == 4
        assert s.scalar(select(func.count()).select_from(Snapshot)) > 100
        assert s.scalar(select(func.count()).where(ConflictRecord.status == "open")) == 1
        model = s.scalars(select(Snapshot.document).order_by(Snapshot.id.desc())).first()
    assert model is not None and '"layer"' in model
    with store.session() as s:
        assert SyncDemo().clear(s) == 3
    with store.session() as s:
        assert s.scalars(select(SyncTarget.name)).all() == ["arch"]
        assert s.scalar(select(func.count()).select_from(SyncJob)) == 0
