"""The Architecture page through the real entry point, checked against the engine."""

from __future__ import annotations

import json
from datetime import date

from engine import demo
from engine.architecture.diff import diff_models
from engine.architecture.graph import GraphFilter, build_graph, component_rows
from engine.architecture.history import load_version, targets, versions
from engine.store import Store
from engine.sync.demo import SyncDemo
from engine.sync.targets import add_target
from tests.actors import ADMIN
from tests.pages.harness import assert_clean, open_page


def _load_sync_demo(store: Store) -> None:
    SyncDemo().load(store, demo.make_spec("S", 42, today=date.today()), lambda *_: None)


def _frames(at) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The page's tables by their columns' signature."""
    out = {}
    for df in at.dataframe:
        frame = df.value
        out[",".join(frame.columns[:3])] = frame
    return out


def _charts(at) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _node_ids(spec: dict) -> set[str]:
    return {i for t in spec["data"] if t.get("customdata") for i in t["customdata"]}


def test_empty_store_says_how_to_get_a_model(store: Store) -> None:
    at = open_page("architecture.py")
    assert_clean(at)
    assert any("No architecture model yet" in i.value for i in at.info)


def test_target_without_snapshots_says_how_to_sync(store: Store) -> None:
    add_target(store, ADMIN, "fresh", github="acme/x:arch.json@main", drive="file-1", schedule=None)
    at = open_page("architecture.py")
    assert_clean(at)
    assert any("has no synced model yet" in i.value for i in at.info)


def test_demo_model_history_diff_and_health(store: Store) -> None:
    _load_sync_demo(store)
    at = open_page("architecture.py")
    assert_clean(at)
    names = [t.name for t in targets(store)]
    target = at.selectbox(key="arch_target")
    assert target.options == names and target.value == names[0]

    listed = versions(store, names[0], limit=500)
    latest = listed[-1]
    assert at.select_slider(key=f"arch_version_{names[0]}").value == latest.snapshot_id
    _, doc = load_version(store, names[0], latest.snapshot_id)
    _, previous = load_version(store, names[0], listed[-2].snapshot_id)
    frames = _frames(at)

    components = frames["id,name,layer"]
    expected = component_rows(build_graph(doc))
    assert components.drop(columns=["health", "probe"], errors="ignore").to_dict("records") == [
        {k: r[k] for k in components.columns if k in r} for r in expected
    ]
    assert 20 <= len(components) <= 40 and set(components["layer"]) <= {
        "frontend",
        "gateway",
        "services",
        "data",
        "infrastructure",
        "security",
    }
    history = frames["id,version,created (UTC)"]
    assert list(history["id"]) == [v.snapshot_id for v in reversed(listed)]
    assert history["what changed it"].iloc[0] == latest.description

    diff = diff_models(previous, doc)
    changes = frames["component,change,field"]
    assert changes.to_dict("records") == diff.field_rows()

    charts = _charts(at)
    assert len(charts) == 3  # 3D, 2D and the diff's 2D
    ids = {c["id"] for c in doc["components"]}
    assert _node_ids(charts[0]) == ids and _node_ids(charts[1]) == ids
    assert any(t["type"] == "scatter3d" for t in charts[0]["data"])

    # Only sync demo data: no probes, and the page says so instead of painting green.
    assert any("no probes configured" in i.value for i in at.info)


def test_filters_search_and_version_live_in_the_url(store: Store) -> None:
    _load_sync_demo(store)
    listed = versions(store, "platform", limit=500)
    first = listed[0]
    at = open_page(
        "architecture.py",
        {
            "target": "platform",
            "version": str(first.snapshot_id),
            "layers": "data,services",
            "q": "primary-db",
            "colour": "diff",
        },
    )
    assert_clean(at)
    assert at.selectbox(key="arch_target").value == "platform"
    assert at.select_slider(key="arch_version_platform").value == first.snapshot_id
    _, doc = load_version(store, "platform", first.snapshot_id)
    graph = build_graph(
        doc, filters=GraphFilter.of(layers=["data", "services"]), search="primary-db"
    )
    components = _frames(at)["id,name,layer"]
    assert sorted(components["id"]) == sorted(graph.ids)
    assert set(components["layer"]) == {"data", "services"}
    assert any("🔎 primary-db" in c.value for c in at.caption)
    assert at.radio(key="arch_colour").value == "diff"
    assert (
        at.query_params["layers"] == ["data,services"]
        or at.query_params["layers"] == "data,services"
    )

    at.multiselect(key="arch_layers").set_value([]).run()
    at.text_input(key="arch_q").set_value("").run()
    assert_clean(at)
    assert "layers" not in at.query_params and "q" not in at.query_params
    at.select_slider(key="arch_version_platform").set_value(listed[-1].snapshot_id).run()
    assert_clean(at)
    assert "version" not in at.query_params  # the latest version needs no parameter
    assert len(_frames(at)["id,name,layer"]) == len(
        load_version(store, "platform")[1]["components"]
    )
