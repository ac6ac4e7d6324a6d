"""Graph building without streamlit: layers, layout, edges, filters, search, figures."""

from __future__ import annotations

import json
import subprocess
import sys

import plotly.io as pio
import pytest

from engine.architecture.figures import THEMES, figure_2d, figure_3d
from engine.architecture.graph import (
    DEPENDENCY,
    UNASSIGNED,
    GraphFilter,
    build_graph,
    component_rows,
    hover_text,
)
from engine.architecture.health import ComponentHealth, HealthOverlay
from tests.architecture.helpers import comp, model, shop


def test_layers_stack_top_down_in_request_order_with_unknown_layers_last() -> None:
    doc = model(
        comp("db", "data"),
        comp("ui", "frontend"),
        comp("ml", "ml-platform"),
        comp("orphan", layer=None),
        comp("api", "gateway"),
    )
    g = build_graph(doc)
    assert g.layers == ["frontend", "gateway", "data", "ml-platform", UNASSIGNED]
    z = {n.id: n.z for n in g.nodes}
    assert z["ui"] > z["api"] > z["db"] > z["ml"] > z["orphan"]  # layers on the z axis
    y2 = {n.id: n.y2 for n in g.nodes}
    assert y2["ui"] > y2["api"] > y2["db"] > y2["ml"] > y2["orphan"]  # 2D bands top down
    assert {n.level for n in g.nodes} == {0, 1, 2, 3, 4}


def test_edges_come_from_connections_and_uncovered_dependencies() -> None:
    g = build_graph(shop())
    edges = {(e.source, e.target): e for e in g.edges}
    assert set(edges) == {
        ("web", "api"),
        ("api", "orders"),
        ("api", "users"),
        ("api", "auth"),
        ("orders", "db"),
        ("users", "db"),
    }
    assert edges[("web", "api")].protocol == "REST" and edges[("web", "api")].declared
    assert edges[("orders", "db")].type == "data_flow"  # the connection covers the dependency
    assert edges[("api", "auth")].type == DEPENDENCY and not edges[("api", "auth")].declared
    assert edges[("web", "api")].label == "web → api · data_flow · REST"
    db = g.node("db")
    assert db is not None and sorted(db.dependents) == ["orders", "users"]
    api = g.node("api")
    assert api is not None and api.degree == 4  # 3 dependencies + 1 dependent


def test_dangling_references_self_loops_and_invalid_components_are_skipped() -> None:
    doc = model(
        comp("a", dependencies=["ghost", "a", "b"]),
        comp("b"),
        comp("b", name="duplicate"),  # an invalid document: the first one counts
        {"name": "no id"},
        "not an object",  # type: ignore[arg-type]
        connections=[{"from": "a", "to": "nowhere", "type": "data_flow"}],
    )
    g = build_graph(doc)
    assert sorted(g.ids) == ["a", "b"]
    assert [(e.source, e.target) for e in g.edges] == [("a", "b")]
    assert g.node("b").name == "B"  # type: ignore[union-attr]


def test_layout_is_stable_under_filters_and_nodes_do_not_overlap() -> None:
    doc = model(
        *[comp(f"svc-{i:02}", dependencies=[f"db-{i % 3}"]) for i in range(40)],
        *[comp(f"db-{i}", "data") for i in range(3)],
    )
    full = build_graph(doc)
    only_data = build_graph(doc, filters=GraphFilter.of(layers=["data"]))
    assert {n.id for n in only_data.nodes} == {"db-0", "db-1", "db-2"}
    assert only_data.edges == []
    for n in only_data.nodes:
        same = full.node(n.id)
        assert same is not None and (n.x, n.y, n.z, n.x2, n.y2) == (
            same.x,
            same.y,
            same.z,
            same.x2,
            same.y2,
        )
    assert len({(n.x2, n.y2) for n in full.nodes}) == len(full.nodes)
    assert len({(n.x, n.y, n.z) for n in full.nodes}) == len(full.nodes)
    assert only_data.total == 43


def test_filters_by_layer_status_and_technology_combine() -> None:
    doc = shop()
    by_status = build_graph(doc, filters=GraphFilter.of(statuses=["active"]))
    assert sorted(by_status.ids) == ["api", "auth", "orders", "web"]
    by_tech = build_graph(doc, filters=GraphFilter.of(technologies=["Python", "Go"]))
    assert sorted(by_tech.ids) == ["auth", "orders", "users"]
    both = build_graph(
        doc, filters=GraphFilter.of(layers=["services"], statuses=["active"], technologies=["Go"])
    )
    assert both.ids == ["orders"]
    assert not GraphFilter().active and GraphFilter.of(layers=["x"]).active
    g = build_graph(doc)
    assert g.statuses == ["active", "planned", "deprecated"]
    assert g.technologies == ["FastAPI", "Go", "OAuth2", "PostgreSQL", "Python", "React"]


def test_search_highlights_a_component_with_its_dependencies_and_dependents() -> None:
    g = build_graph(shop(), search="API")
    assert g.matches == ["api"]
    assert g.highlight == {
        "api": "focus",
        "orders": "dependency",
        "users": "dependency",
        "auth": "dependency",
        "web": "dependent",
    }
    chain = build_graph(shop(), search="web", transitive=True)
    assert chain.highlight["web"] == "focus"
    assert chain.highlight["db"] == "dependency"  # web → api → orders → db
    assert build_graph(shop(), search="web").highlight == {"web": "focus", "api": "dependency"}


def test_search_by_name_prefers_exact_matches_then_substrings() -> None:
    doc = model(comp("orders", name="Orders"), comp("orders-archive", name="Orders Archive"))
    assert build_graph(doc, search="orders").matches == ["orders"]
    assert sorted(build_graph(doc, search="rder").matches) == ["orders", "orders-archive"]
    assert build_graph(doc, search="orders archive").matches == ["orders-archive"]
    assert build_graph(doc, search="nothing").highlight == {}
    assert build_graph(doc, search="  ").matches == []


def test_search_respects_filters() -> None:
    g = build_graph(shop(), search="api", filters=GraphFilter.of(layers=["gateway", "services"]))
    assert "web" not in g.highlight and g.highlight["orders"] == "dependency"


def test_rows_and_hover_show_the_fields() -> None:
    g = build_graph(shop())
    rows = {r["id"]: r for r in component_rows(g)}
    assert rows["api"]["dependencies"] == "auth, orders, users"
    assert rows["api"]["dependents"] == "web"
    assert rows["auth"]["technologies"] == "OAuth2, Python"
    overlay = HealthOverlay(True, statuses={"api": ComponentHealth("api", "api", "id", "up")})
    with_health = {r["id"]: r for r in component_rows(g, overlay.statuses)}
    assert with_health["api"]["health"] == "up" and with_health["web"]["health"] == ""
    text = hover_text({**comp("x", metadata={"owner": "<ana>"}), "custom": "kept"})
    assert "custom: kept" in text and "owner=&lt;ana&gt;" in text and text.startswith("<b>X</b>")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_figures_follow_the_theme_and_carry_every_node(theme: str) -> None:
    g = build_graph(shop(), search="api")
    for build in (figure_3d, figure_2d):
        fig = build(g, theme=theme)
        assert fig.layout.paper_bgcolor == THEMES[theme].background
        nodes = [t for t in fig.data if t.customdata is not None]
        assert sorted(i for t in nodes for i in t.customdata) == sorted(g.ids)
        dimmed = [t for t in nodes if t.marker.opacity < 0.5]
        assert sorted(i for t in dimmed for i in t.customdata) == ["db"]  # not near "api"
        json.loads(pio.to_json(fig))  # serializable, as streamlit sends it
    three = figure_3d(g, theme=theme)
    assert any(t.type == "cone" for t in three.data)  # edge direction in 3D
    assert any(t.type == "mesh3d" for t in three.data)  # layer planes


def test_node_size_grows_with_dependency_count() -> None:
    fig = figure_2d(build_graph(shop()))
    sizes = {}
    for t in fig.data:
        if t.customdata is not None:
            sizes.update(zip(t.customdata, t.marker.size, strict=True))
    assert sizes["api"] > sizes["db"] > sizes["web"]


def test_colour_by_health_and_diff_and_animation() -> None:
    g = build_graph(shop())
    overlay = HealthOverlay(
        True,
        statuses={
            "api": ComponentHealth("api", "api", "id", "down"),
            "web": ComponentHealth("web", "web", "id", "up"),
        },
    )
    fig = figure_2d(g, colour_by="health", health=overlay)
    names = {t.name: sorted(t.customdata) for t in fig.data if t.customdata is not None}
    assert names == {
        "probe down": ["api"],
        "probe up": ["web"],
        "no probe": ["auth", "db", "orders", "users"],
    }
    diff = figure_3d(g, colour_by="diff", diff={"api": "changed", "db": "added"})
    names = {t.name for t in diff.data if t.customdata is not None}
    assert names == {"changed", "added", "unchanged"}
    animated = figure_2d(g, animate=True)
    assert len(animated.frames) > 2 and animated.layout.updatemenus
    assert not figure_2d(g).frames


def test_empty_model_still_draws() -> None:
    g = build_graph({"components": []})
    assert g.nodes == [] and g.layers == []
    assert figure_3d(g).data and figure_2d(g).data is not None


def test_engine_architecture_never_imports_streamlit() -> None:
    code = (
        "import sys, engine.architecture.graph, engine.architecture.figures, "
        "engine.architecture.history, engine.architecture.diff, engine.architecture.health, "
        "engine.architecture.export, engine.architecture.cli; "
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
