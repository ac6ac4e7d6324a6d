"""Demo kind (deterministic, fast, removable alone), Overview tiles, migration parity."""

from __future__ import annotations

import time
from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from engine.kpi.registry import overview
from engine.periods import Period
from engine.product.demo import ProductDemo, generate_users
from engine.product.kpis import product_summary
from engine.product.models import ProductEvent, SurveyResponse, UserDay
from engine.store.registry import target_metadata
from tests.product.helpers import ingest, period, track


def _spec(scale: str = "S"):  # type: ignore[no-untyped-def]
    from engine.demo import make_spec

    return make_spec(scale, 7, today=date(2026, 6, 30))  # type: ignore[arg-type]


def _product_tiles(store, p: Period):  # type: ignore[no-untyped-def]
    return {
        t.definition.key: t for t in overview(store, p, True) if t.definition.section == "Product"
    }


def test_demo_is_deterministic_and_shaped():
    spec = _spec()
    a = [c for calls in generate_users(spec, 40) for c in calls]
    b = [c for calls in generate_users(spec, 40) for c in calls]
    assert a == b
    names = {c.get("event") for c in a}
    assert {"Signed Up", "Target Created", "First Sync Completed", "Signed In"} <= names
    assert any(c["type"] == "identify" and "anonymousId" in c for c in a)


def test_demo_loads_fast_and_clears_only_demo_rows(store):
    ingest(store, [track("Signed In", "2026-06-29T10:00:00Z", "real-user")])
    started = time.perf_counter()
    rows = ProductDemo().load(store, _spec(), lambda *_: None)
    elapsed = time.perf_counter() - started
    assert rows > 10_000 and elapsed < 20
    p = period("2026-06-01", "2026-06-30")
    s = product_summary(store, p)
    assert s["dau"] > 20 and s["signups"] > 0 and 0 < s["activation_rate"] < 1
    assert s["time_to_value_median_seconds"] < 600
    with store.session() as sess:
        ProductDemo().clear(sess)
        sess.execute(select(1))
    with store.session() as sess:
        assert sess.scalar(select(func.count()).select_from(ProductEvent)) == 1
        assert sess.scalar(select(func.count()).select_from(SurveyResponse)) == 0
        assert sess.scalars(select(UserDay.person)).all() == ["real-user"]
    assert product_summary(store, p)["active_users"] == 1


def test_tiles_are_honest_when_empty(store):
    tiles = _product_tiles(store, period("2024-03-01", "2024-03-07"))
    assert set(tiles) == {
        "product.dau", "product.signups", "product.activation_rate", "product.nps",
    }  # fmt: skip
    assert "hub import events FILE" in (tiles["product.dau"].reading.no_data or "")
    assert "hub import survey" in (tiles["product.nps"].reading.no_data or "")
    assert all(t.reading.value is None for t in tiles.values())


def test_tiles_with_data(store):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-02T10:00:00Z", "a"),
            track("Signed In", "2024-03-05T10:00:00Z", "b"),
            track("Signed In", "2024-02-28T10:00:00Z", "b"),
        ],
    )
    tiles = _product_tiles(store, period("2024-03-01", "2024-03-07"))
    dau = tiles["product.dau"].reading
    assert dau.value == 2 / 7 and dau.previous == 1 / 7 and len(dau.series) == 7
    assert tiles["product.dau"].status == "red"
    assert tiles["product.signups"].reading.value == 1
    assert tiles["product.activation_rate"].reading.value == 0.0
    assert tiles["product.nps"].reading.no_data


def test_migration_matches_models(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), target_metadata())
    ours = [d for d in diff if "product_" in repr(d)]
    assert ours == []
